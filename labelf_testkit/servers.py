"""One mock app and the loopback servers that serve it: plain http, and https with a throwaway CA.

Interception sends a client's own connection to these servers, so everything the client does on a socket
(timeouts, retries, streaming, concurrency) happens for real.  The https server's certificate names Labelf's
production hosts as well as loopback, so a client that connects to ``https://auth.app.labelf.ai`` checks a
real certificate chain, against a CA that only the redirected connections trust.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ._client_tls import client_context
from ._late_requests import guard, serving
from .mock_server import MockApp, MockConfig, SocketServer, create_app
from .mock_server.internal import LABELF_HOSTS, LoopbackTLS, make_loopback_tls, normalize_host

__all__ = ["ConnectionRefusals", "MockServers", "RefusedConnection", "ServerPool"]


class RefusedConnection(NamedTuple):
    """One connection attempt interception refused: the Labelf host and the port the client asked for."""

    host: str
    port: int | None


@dataclass
class _Planned:
    host: str | None
    left: int


class ConnectionRefusals:
    """Planned refusals of the next connections to Labelf's hosts, and the attempts refused so far.

    A refused connection never reaches the server, so it is in no journal; :attr:`refused` is its record.
    """

    def __init__(self) -> None:
        self._plan: list[_Planned] = []  # consumed first to last
        self.refused: list[RefusedConnection] = []
        self._lock = threading.Lock()

    def plan(self, times: int, host: str | None = None) -> None:
        """Refuse the next ``times`` connections to ``host`` (a Labelf host; ``None``: any of them)."""
        name = None if host is None else normalize_host(host)
        if name is not None and name not in LABELF_HOSTS:
            raise ValueError(f"{host!r} is not a Labelf host; use one of {', '.join(sorted(LABELF_HOSTS))}.")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive int, not {times!r}.")
        with self._lock:
            self._plan.append(_Planned(name, times))

    def take(self, host: str, port: int | None) -> bool:
        """Whether this connection to ``host`` is to be refused (then it is recorded and the plan used up)."""
        if not self._plan:  # the usual case: nothing planned, no lock taken
            return False
        with self._lock:
            for entry in self._plan:
                if entry.host is None or entry.host == host:
                    entry.left -= 1
                    if entry.left == 0:
                        self._plan.remove(entry)
                    self.refused.append(RefusedConnection(host, port))
                    return True
        return False

    def unused(self) -> list[str]:
        """Descriptions of refusals planned but not (all) used."""
        with self._lock:
            return [f"refuse {e.left} more connection(s) to {e.host or 'any Labelf host'}" for e in self._plan]

    def reset(self) -> None:
        """Nothing planned, nothing recorded."""
        with self._lock:
            self._plan.clear()
            self.refused = []


class MockServers:
    """``app`` on loopback: :meth:`plain` (http) and :meth:`secure` (https), each started on first use."""

    def __init__(self, app: MockApp, tls_dir: str | Path | None = None) -> None:
        self.app = app
        self._tls_dir = tls_dir
        self._tls: LoopbackTLS | None = None
        self._context: ssl.SSLContext | None = None
        self._servers: dict[bool, SocketServer] = {}
        self._lock = threading.RLock()
        #: Connections interception is to refuse (``LabelfMock.refuse_connections``), and those it refused.
        self.refusals = ConnectionRefusals()
        self._closed_port: socket.socket | None = None
        self._remove_tls: weakref.finalize[..., MockServers] | None = None

    @property
    def tls(self) -> LoopbackTLS:
        """The CA bundle, certificate chain and key of the https server (made on first use)."""
        with self._lock:
            if self._tls is None:
                folder = self._tls_dir
                if folder is None:  # ours, with the CA and the leaf key: removed at stop() or at exit at the latest
                    folder = tempfile.mkdtemp(prefix="labelf-testkit-tls-")
                    self._remove_tls = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
                self._tls = make_loopback_tls(folder, extra_names=sorted(LABELF_HOSTS))
            return self._tls

    def client_context(self) -> ssl.SSLContext:
        """A client context that verifies certificates and host names against this mock's CA, and no other."""
        with self._lock:
            if self._context is None:
                self._context = client_context(str(self.tls.ca_bundle))  # made once; resumes its sessions
            return self._context

    def plain(self) -> SocketServer:
        """The http server, started if it is not running (restarted if it died)."""
        return self._server(secure=False)

    def secure(self) -> SocketServer:
        """The https server, started if it is not running (restarted if it died)."""
        return self._server(secure=True)

    def refusing_address(self) -> tuple[str, int]:
        """A loopback address that refuses every connection: a port bound here and never listened on, so the
        kernel answers each connection with a reset and the client gets its own ``ConnectionRefusedError``."""
        with self._lock:
            if self._closed_port is None:
                self._closed_port = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self._closed_port.bind(("127.0.0.1", 0))  # held, so no other program can listen there
            host, port = self._closed_port.getsockname()[:2]
            return host, port

    def started(self) -> list[SocketServer]:
        """The servers started so far."""
        with self._lock:
            return list(self._servers.values())

    def _server(self, secure: bool) -> SocketServer:
        with self._lock:
            server = self._servers.get(secure)
            if server is None:
                tls = self.tls if secure else None
                server = self._servers[secure] = SocketServer(self.app, tls=tls, wrap=guard)
                server.start()
                serving((server.host, server.port))
            return server

    def drop_in_flight(self) -> int:
        """Close the connections of requests not answered yet, on every server; how many were closed."""
        return sum(server.drop_in_flight() for server in self.started())

    def close_connections(self) -> None:
        """Close every connection to these servers, idle keep-alive ones included; returns once they are."""
        for server in self.started():
            server.drop_in_flight(idle=True)

    def stop(self) -> None:
        """Stop every server (threads joined, sockets closed) and remove the TLS folder this object made; the
        servers start again on next use."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
            if self._closed_port is not None:
                self._closed_port.close()
                self._closed_port = None
            remove_tls, self._remove_tls = self._remove_tls, None
            if remove_tls is not None:
                self._tls = self._context = None
        for server in servers:
            serving((server.host, server.port), running=False)
            server.stop()
        if remove_tls is not None:
            remove_tls()


class ServerPool:
    """The session's mock servers, one :class:`MockServers` per distinct ``labelf_config`` object.

    pytest keeps one value per definition of a session fixture, so two directories that each override
    ``labelf_config`` hand over two objects, and each gets its own app, state and servers.
    """

    def __init__(self) -> None:
        self._pool: dict[int, tuple[MockConfig, MockServers]] = {}
        self._lock = threading.Lock()

    def for_config(self, config: MockConfig) -> MockServers:
        """The servers for ``config``, its app created on first use."""
        with self._lock:
            entry = self._pool.get(id(config))
            if entry is None:
                entry = self._pool[id(config)] = (config, MockServers(create_app(config)))  # keeps config alive
            return entry[1]

    def stop(self) -> None:
        """Stop every server of every config."""
        with self._lock:
            entries, self._pool = list(self._pool.values()), {}
        for _, servers in entries:
            servers.stop()
