"""Send every connection to Labelf's hosts to the mock's loopback servers, whatever HTTP client opens it.

Interception works where a connection is made, not where a request is built: name resolution
(``socket.getaddrinfo``, which ``requests``/urllib3, ``http.client``/``urllib``, httpx's sync transport,
``asyncio`` and aiohttp's default resolver all call) answers the mock's address for Labelf's hosts, and
``anyio.connect_tcp`` (httpx's async transport, which keeps the URL's port) is pointed there too.  The client
then talks to a real server over a real socket with its own code: its timeouts fire, urllib3's ``Retry``
runs, streaming and concurrency are real.  For https the client's TLS handshake is checked against the mock's
throwaway CA, for connections to Labelf's host names only (``ssl.SSLContext.wrap_socket``/``wrap_bio``);
verification is never turned off and the user's own context is never changed.

A planned connection fault (``labelf_mock.refuse_connections``) resolves the next connections to a loopback
port nothing listens on, so the kernel refuses them and the client's own connect-retry machinery runs.

Other hosts are left alone, or refused with :class:`BlockedRequestError` when ``block_other_hosts`` is set
(loopback always passes).  Mocking tools that answer before a socket is opened (responses, respx,
pytest-httpx, vcrpy) are told to let Labelf's hosts through while interception is active, so those requests
reach the mock and the rest stay with the tool (see :mod:`labelf_testkit.coexistence`).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .coexistence import tool_patches
from .mock_server import LABELF_HOSTS, LOOPBACK_HOSTS, MockApp, normalize_host
from .servers import MockServers

__all__ = ["BlockedRequestError", "intercept", "is_routed"]

_PORTS = {"http": 80, "https": 443}


class BlockedRequestError(RuntimeError):
    """A connection to a host that is neither Labelf's nor loopback, made while other hosts are blocked.

    Not an ``OSError`` on purpose: code under test that retries on connection errors must not swallow it.
    """


@dataclass(frozen=True)
class _Route:
    hosts: frozenset[str]
    servers: MockServers
    block: bool

    def address(self, host: str, port: object) -> tuple[str, int] | None:
        """The mock's address for a connection to ``host:port``; ``None`` to leave it alone; raises if blocked."""
        name = normalize_host(host)
        if name in self.hosts:
            number = _port(port)
            if self.servers.refusals.take(name, number):  # planned by labelf_mock.refuse_connections()
                return self.servers.refusing_address()
            server = self.servers.plain() if number == 80 else self.servers.secure()
            return server.host, server.port
        if self.block and not _is_local(name):
            raise BlockedRequestError(
                f"labelf-testkit blocked a connection to {name!r} (port {port}): while other hosts are blocked, "
                f"only Labelf's hosts ({', '.join(sorted(self.hosts))}) are reached, and they go to the mock. "
                "Allow other hosts with @pytest.mark.labelf_intercept(block_other_hosts=False); reach the mock "
                "directly at labelf_mock.base_url."
            )
        return None

    def tls_context(self, server_hostname: object) -> ssl.SSLContext | None:
        """The context to use instead of the client's for a handshake with ``server_hostname``."""
        if isinstance(server_hostname, bytes):
            server_hostname = server_hostname.decode("ascii", "replace")
        if isinstance(server_hostname, str) and normalize_host(server_hostname) in self.hosts:
            return self.servers.client_context()
        return None


def _port(port: object) -> int | None:
    if isinstance(port, bytes):
        port = port.decode("ascii", "replace")
    if isinstance(port, str):
        return int(port) if port.isdigit() else _PORTS.get(port.lower())
    return port if isinstance(port, int) else None


def _is_local(name: str) -> bool:
    if name in LOOPBACK_HOSTS or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def is_routed(host: str) -> bool:
    """Whether a request to ``host`` goes to the mock right now (interception active and a Labelf host)."""
    route = _active
    return route is not None and normalize_host(host) in route.hosts


# --- the patches, held while at least one interception is active --------------------------------------------

_lock = threading.RLock()
_active: _Route | None = None
_holders = 0
_originals: list[tuple[Any, str, Any]] = []


@contextmanager
def intercept(
    target: MockServers | MockApp, hosts: Iterable[str] = LABELF_HOSTS, block_other_hosts: bool = False
) -> Iterator[MockServers]:
    """While active, connections to ``hosts`` go to the mock's loopback servers; other hosts pass or are refused.

    ``target`` is the mock's :class:`~labelf_testkit.servers.MockServers`, or an app to serve for the duration
    (its servers stop at the end).  Nested uses stack: the innermost wins until it ends.
    """
    global _active
    servers = target if isinstance(target, MockServers) else MockServers(target)
    route = _Route(frozenset(map(normalize_host, hosts)), servers, block_other_hosts)
    servers.secure()  # https is what Labelf's URLs use: start it now, not on a client's thread
    with _lock:
        _hold_patches()
        previous, _active = _active, route
    try:
        yield servers
    finally:
        with _lock:
            _active = previous
            _release_patches()
        if servers is not target:
            servers.stop()


def _hold_patches() -> None:
    global _holders
    _holders += 1
    if _holders > 1:
        return
    patches = _socket_patches() + _tls_patches() + _anyio_patches() + tool_patches(is_routed)
    _originals[:] = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)


def _release_patches() -> None:
    global _holders
    _holders -= 1
    if _holders == 0:
        for owner, name, original in reversed(_originals):
            setattr(owner, name, original)
        _originals.clear()


def _socket_patches() -> list[tuple[Any, str, Any]]:
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        route = _active
        if route is not None and isinstance(host, str | bytes):
            name = host.decode("idna") if isinstance(host, bytes) else host
            address = route.address(name, port)
            if address is not None:
                # Any family: the mock listens on IPv4 loopback even when the client asked for IPv6.
                return original(address[0], address[1], 0, *args[1:], **kwargs)
        return original(host, port, *args, **kwargs)

    return [(socket, "getaddrinfo", getaddrinfo)]


def _tls_patches() -> list[tuple[Any, str, Any]]:
    wrap_socket, wrap_bio = ssl.SSLContext.wrap_socket, ssl.SSLContext.wrap_bio

    def swap(own: ssl.SSLContext, server_side: bool, server_hostname: Any) -> tuple[ssl.SSLContext, Any]:
        """The mock's client context and the name as DNS compares it, for a Labelf host; else unchanged."""
        route = _active
        context = None if route is None or server_side else route.tls_context(server_hostname)
        if context is None:
            return own, server_hostname
        name = server_hostname.decode() if isinstance(server_hostname, bytes) else server_hostname
        return context, normalize_host(name)  # the certificate has no name with the root's trailing dot

    def patched_wrap_socket(
        self: ssl.SSLContext,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: Any = None,
        session: Any = None,
    ) -> Any:
        context, name = swap(self, server_side, server_hostname)
        return wrap_socket(
            context,
            sock,
            server_side,
            do_handshake_on_connect,
            suppress_ragged_eofs,
            name,
            session if context is self else None,  # a session of another context cannot be resumed
        )

    def patched_wrap_bio(
        self: ssl.SSLContext,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: Any = None,
        session: Any = None,
    ) -> Any:
        context, name = swap(self, server_side, server_hostname)
        return wrap_bio(context, incoming, outgoing, server_side, name, session if context is self else None)

    return [(ssl.SSLContext, "wrap_socket", patched_wrap_socket), (ssl.SSLContext, "wrap_bio", patched_wrap_bio)]


def _anyio_patches() -> list[tuple[Any, str, Any]]:
    # anyio resolves the name but connects to the *caller's* port, so the port must be changed here.
    import anyio

    original = anyio.connect_tcp

    async def connect_tcp(remote_host: Any, remote_port: int, **kwargs: Any) -> Any:
        route = _active
        address = route.address(str(remote_host), remote_port) if route is not None else None
        if address is None:
            return await original(remote_host, remote_port, **kwargs)
        if kwargs.get("tls") or kwargs.get("ssl_context") is not None:
            kwargs.setdefault("tls_hostname", str(remote_host))
        return await original(address[0], address[1], **kwargs)

    return [(anyio, "connect_tcp", connect_tcp)]
