"""Stand-ins on loopback for what interception must never reach: a proxy that records what it is sent, and
"production" (a TLS server on 127.0.0.2 with a certificate for Labelf's names from a CA of its own), reached
through a resolver spy installed *below* the kit."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from labelf_testkit.mock_server import LABELF_HOSTS, normalize_host


@dataclass
class RecordingProxy:
    """A proxy on 127.0.0.1 that answers 502 to everything and records each request's first line and headers."""

    seen: list[str] = field(default_factory=list)
    url: str = ""

    def labelf_requests(self) -> list[str]:
        return [line for line in self.seen if any(host in line.lower() for host in LABELF_HOSTS)]


@contextmanager
def recording_proxy() -> Iterator[RecordingProxy]:
    proxy = RecordingProxy()
    listener = socket.create_server(("127.0.0.1", 0))
    proxy.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if stop.is_set():
                connection.close()
                return
            with connection:
                connection.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data:
                    proxy.seen.append(data.decode("latin-1"))
                    connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        stop.set()
        socket.create_connection(listener.getsockname()[:2], timeout=5).close()  # wakes accept()
        thread.join(5)
        listener.close()


@dataclass
class Production:
    """What stands in for Labelf's production hosts: https on 127.0.0.2, counting the requests it answers."""

    port: int
    ca_file: Path
    requests: list[str] = field(default_factory=list)

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@contextmanager
def production_server(folder: Path) -> Iterator[Production]:
    ca = trustme.CA()
    cert = ca.issue_cert(*sorted(LABELF_HOSTS))
    ca_file = folder / "production-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    record: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            record.append(f"{self.command} {self.path}")
            body = b'{"served_by": "production"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Production(server.server_address[1], ca_file, record)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def resolve_labelf_to_production(monkeypatch: pytest.MonkeyPatch, production: Production) -> list[str]:
    """Below the kit: Labelf's names resolve to production (any port asked, production's port answered), as
    DNS would outside interception.  Returns the names looked up, in order."""
    below = socket.getaddrinfo
    names: list[str] = []

    def spy(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
        names.append(name)
        if normalize_host(name) in LABELF_HOSTS:
            return below("127.0.0.2", production.port, family, type, proto, flags)
        return below(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return names
