"""Serving the mock on a real socket: :func:`bind_socket` (used by ``labelf-mock serve`` too) and
:class:`SocketServer`, uvicorn in a background thread.

The plugin starts one per test session (per xdist worker), on an ephemeral loopback port.  ``stop()`` waits
for the thread and closes the socket, so nothing is left running or listening after the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import MockApp
from .tls import LoopbackTLS

__all__ = ["ServerError", "SocketServer", "bind_socket"]


def bind_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0 picks a free one), ready to hand to uvicorn.

    The socket is created with ``IPPROTO_TCP`` explicitly: asyncio sets ``TCP_NODELAY`` only on accepted
    sockets whose protocol says TCP (``asyncio.base_events._set_nodelay``), and without it every response
    waits out the client's 40 ms delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class ServerError(RuntimeError):
    """The socket server could not start, or died."""


class _PromptServer(uvicorn.Server):
    """uvicorn polls ``should_exit`` every 100 ms; this one also wakes at once when asked to stop."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)  # on_tick also refreshes the Date header

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn always sleeps 100 ms for open connections to wind down; with none open there is nothing
        # to wait for (lifespan is off), so close at once.  A TLS connection closed politely waits for the
        # client's close_notify, which an idle keep-alive client never sends: abort those.
        if self.config.ssl is not None:
            for connection in list(self.server_state.connections):
                if not _busy(connection):
                    connection.transport.abort()
            for _ in range(100):  # connection_lost reaches uvicorn a few loop iterations later
                if not self.server_state.connections:
                    break
                await asyncio.sleep(0)
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()

    def wake(self) -> None:
        """Make the main loop look at ``should_exit`` now (thread-safe)."""
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nothing left to wake
                self._loop.call_soon_threadsafe(self._wake.set)


#: How long a stopping server waits for requests still in flight (a client that sent half a body never
#: finishes) before it cancels them.
STOP_GRACE_SECONDS = 2


def cancellable(app: ASGIApp) -> ASGIApp:
    """``app``, ending quietly when a request is cancelled (:meth:`SocketServer.drop_in_flight`, or a stop
    after :data:`STOP_GRACE_SECONDS`): uvicorn would log the cancellation as an application error."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        try:  # not contextlib.suppress: a context manager object per request is measurable (bench/)
            await app(scope, receive, send)
        except asyncio.CancelledError:
            return

    return serve


def _busy(connection: object) -> bool:
    """Whether a uvicorn connection (h11 or httptools protocol) is serving a request it has not answered."""
    cycle = getattr(connection, "cycle", None)
    return cycle is not None and not cycle.response_complete and not cycle.disconnected


class SocketServer:
    """``app`` served by uvicorn on ``host`` (loopback) and a free port, in a daemon thread; over https when
    ``tls`` is given (its certificate chain and key; clients trust ``tls.ca_bundle``)."""

    def __init__(
        self,
        app: MockApp,
        host: str = "127.0.0.1",
        tls: LoopbackTLS | None = None,
        wrap: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self._wrap = wrap  # ASGI middleware around the app, outermost (the plugin's late-request guard)
        self.host = host
        self.tls = tls
        self.port = 0
        self._server: _PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with TLS; IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server thread is alive and serving."""
        return self._thread is not None and self._thread.is_alive() and bool(self._server and self._server.started)

    def start(self, timeout: float = 10.0) -> None:
        """Bind, start serving and return once uvicorn accepts connections."""
        if self._thread is not None:
            raise ServerError("The server is already started.")
        self._socket = bind_socket(self.host, 0)
        self.port = self._socket.getsockname()[1]
        if isinstance(self.app, MockApp):
            # Discovery's issuer: the URL a request was served on, never the Host header.
            self.app.mock.served_at(self.base_url, (self.host, self.port))
        tls = self.tls
        served = cancellable(self.app)
        config = uvicorn.Config(
            self._wrap(served) if self._wrap else served,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            # A request held by a long planned delay must not hold the end of the session for that long.
            timeout_graceful_shutdown=STOP_GRACE_SECONDS,
            ssl_certfile=str(tls.cert_chain) if tls else None,
            ssl_keyfile=str(tls.private_key) if tls else None,
        )
        self._server = _PromptServer(config)
        self._thread = threading.Thread(target=self._run, name=f"labelf-mock:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise ServerError(f"The mock server on {self.base_url} failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise ServerError(f"The mock server on {self.base_url} did not start within {timeout}s.")
            time.sleep(0.001)

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None  # noqa: S101 - set by start()
        try:
            # uvicorn installs signal handlers only on the main thread; in this thread it installs none.
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported by start() or stop()
            self._error = exc

    def drop_in_flight(self, timeout: float = 5.0, idle: bool = False) -> int:
        """Close every connection whose request has not been answered yet; returns how many (thread-safe).

        The plugin calls this when a test ends, so a request its client gave up on (a timeout, a thread never
        joined) cannot be answered into the next test.  Idle keep-alive connections stay open, unless ``idle``:
        then they are closed too, and this returns once their sockets are.
        """
        server, loop = self._server, self._server._loop if self._server else None
        if server is None or loop is None or loop.is_closed():
            return 0
        state = server.server_state
        if not state.tasks and not (state.connections if idle else any(_busy(c) for c in list(state.connections))):
            return 0  # the usual case, answered without a hop to the server's thread

        def close() -> int:
            busy = [c for c in server.server_state.connections if _busy(c)]
            for connection in [c for c in server.server_state.connections if c not in busy] if idle else ():
                connection.transport.abort()
            for connection in busy:
                # Before the cancellation lands: nothing more is sent (uvicorn would answer a 500 otherwise).
                connection.cycle.disconnected = True  # type: ignore[union-attr]  # _busy found a cycle
                connection.transport.abort()  # not close(): TLS would wait for the client's close_notify
            for task in server.server_state.tasks:  # a planned delay would otherwise sleep on
                task.cancel()
            return len(busy)

        async def close_in_loop() -> int:
            closed = close()
            for _ in range(100):  # the sockets close, and uvicorn forgets them, a few loop iterations later
                if not idle or not server.server_state.connections:
                    break
                await asyncio.sleep(0)
            return closed

        try:
            return asyncio.run_coroutine_threadsafe(close_in_loop(), loop).result(timeout)
        except RuntimeError:  # the loop stopped meanwhile: nothing left in flight
            return 0

    def restart(self) -> None:
        """Clean up after a server that died, and serve again (on a new port)."""
        self.stop()
        self.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise ServerError(f"The mock server on {self.base_url} did not stop within {timeout}s.")
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
