"""A small loopback proxy in front of ``labelf-mock serve`` that alters one thing in the answers it relays."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# Hop-by-hop and framing headers are the proxy's own business (RFC 9110 §7.6.1); the rest is relayed.
_NOT_RELAYED = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


@dataclass
class Relayed:
    """One answer on its way back: what an alteration may change."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes


Alteration = Callable[[Relayed], None]


@contextmanager
def altering_proxy(upstream: str, alter: Alteration) -> Iterator[str]:
    """Serve a proxy to ``upstream`` on a free loopback port, with ``alter`` applied to each answer."""
    client = httpx.Client(base_url=upstream, timeout=10)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_RELAYED | {"host"}}
            answer = client.request(self.command, self.path, headers=headers, content=body)
            relayed = Relayed(
                self.command,
                self.path,
                answer.status_code,
                {k.lower(): v for k, v in answer.headers.items() if k.lower() not in _NOT_RELAYED},
                answer.content,
            )
            alter(relayed)
            self.send_response_only(relayed.status)
            for name, value in relayed.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(relayed.body)))
            self.end_headers()
            self.wfile.write(relayed.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _relay

        def log_message(self, format: str, *args: object) -> None:  # quiet: the upstream logs requests
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="drift-proxy", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        client.close()
