"""Clients talking to the mock in-process, with no socket: httpx (sync and async) and requests.

Synchronous calls run the ASGI app on the caller's own thread, in a private event loop; synchronous code
called from inside someone else's running event loop is served by one daemon event-loop thread instead.
A connection the mock drops on purpose (:class:`~labelf_testkit.mock_server.DroppedConnection`) surfaces as
the exception the client raises
for a real dropped connection.
"""

from __future__ import annotations

import asyncio
import http.client
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

from ._connection_drop import DroppedConnection

__all__ = ["AsyncInProcessTransport", "InProcessTransport", "requests_adapter"]

_T = TypeVar("_T")
_DROPPED = "Server disconnected without sending a response."


class _CoroutineRunner:
    """Runs coroutines for synchronous callers.

    A caller whose thread has no running event loop gets a private loop of its own, driven right there
    (measured: a hop to another thread costs about 1 ms per request).  A caller inside a running loop (sync
    code in an async test) is served by one daemon event-loop thread, started lazily, which never blocks exit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        self._private_loops: list[asyncio.AbstractEventLoop] = []

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._private_loop().run_until_complete(coroutine)
        return self._in_loop_thread(coroutine)

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = self._local.loop = asyncio.new_event_loop()
            with self._lock:
                self._private_loops.append(loop)
        return loop

    def _in_loop_thread(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="labelf-inprocess", daemon=True)
                self._thread.start()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            private, self._private_loops = self._private_loops, []
        for idle in private:
            if not idle.is_running():
                idle.close()
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()


async def _call_app(transport: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
    try:
        response = await transport.handle_async_request(request)
    except DroppedConnection:
        raise httpx.RemoteProtocolError(_DROPPED, request=request) from None
    content = await response.aread()
    return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncClient`` transport into ``app``; a dropped connection is ``httpx.RemoteProtocolError``."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app in the caller's event loop."""
        await request.aread()
        return await _call_app(self._transport, request)


class InProcessTransport(httpx.BaseTransport):
    """An ``httpx.Client`` transport into ``app``; call :meth:`close` (or close the client) when done."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._runner = _CoroutineRunner()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app (see ``_CoroutineRunner``) and wait for the answer."""
        body = request.read()
        async_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = self._runner.run(_call_app(self._transport, async_request))
        response.request = request
        return response

    def close(self) -> None:
        """Stop the event-loop thread."""
        self._runner.close()


def requests_adapter(transport: InProcessTransport) -> Any:
    """A ``requests`` adapter that sends through ``transport``; mount it on a session for a URL prefix.

    Dropped connections raise ``requests.ConnectionError`` wrapping ``RemoteDisconnected``, as requests does.
    """
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict

    class _InProcessAdapter(BaseAdapter):
        def send(
            self,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Mapping[str, str] | None = None,
        ) -> requests.Response:
            body = request.body.encode() if isinstance(request.body, str) else request.body
            outgoing = httpx.Request(
                request.method or "GET", request.url or "", headers=dict(request.headers), content=body or b""
            )
            try:
                answer = transport.handle_request(outgoing)
            except httpx.RemoteProtocolError as exc:
                reason = http.client.RemoteDisconnected("Remote end closed connection without response")
                raise requests.ConnectionError(("Connection aborted.", reason), request=request) from exc
            response = requests.Response()
            response.status_code = answer.status_code
            response.headers = CaseInsensitiveDict(answer.headers.multi_items())
            response._content = answer.content
            response.encoding = requests.utils.get_encoding_from_headers(response.headers)
            response.reason = http.client.responses.get(answer.status_code, "")
            response.url = request.url or ""
            response.request = request
            response.connection = self  # type: ignore[assignment]  # requests types it as HTTPAdapter
            return response

        def close(self) -> None:
            """Nothing to release: the transport owns the event loop."""

    return _InProcessAdapter()
