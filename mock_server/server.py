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

import uvicorn

from .app import MockApp

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
        # to wait for (lifespan is off), so close at once.
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


class SocketServer:
    """``app`` served by uvicorn on ``host`` (loopback) and a free port, in a daemon thread."""

    def __init__(self, app: MockApp, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._server: _PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off", server_header=False)
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
