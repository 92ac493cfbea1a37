"""Requests that arrive after the test that sent them has ended.

A thread a test starts and never joins can send its request while a later test runs.  The request reaches the
same mock server as that later test's own requests, so the server alone cannot tell them apart; the client
side can.  At the end of each test that uses the mock, the threads it left running are remembered with the
test's id (:func:`test_ended`).  While interception is active (or, in a test that uses the mock without it,
while such threads are alive: :func:`guarding`), a connection to the mock made from one of those threads is
registered by its local address (:func:`register`, called from the ``connect`` patches), and the
servers' :func:`guard` answers each request on it with 503 and an explanation instead of passing it to the
mock: it is never journaled.  :func:`take_arrivals` hands the messages to the plugin, which shows them as
:class:`LateRequestWarning` (naming the route and the test that started the thread).

Threads that belong to no test are not remembered: the mock's own servers, and the worker threads of
executors and thread pools (they serve whichever test submits work).
"""

from __future__ import annotations

import functools
import json
import socket
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from ._patching import LATE_GUARD

__all__ = [
    "LateRequestWarning",
    "guard",
    "guarding",
    "origin_of_this_thread",
    "register",
    "running_threads",
    "take_arrivals",
    "test_ended",
]

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_ASGI = Callable[[_Scope, Callable[[], Awaitable[_Message]], Callable[[_Message], Awaitable[None]]], Awaitable[None]]

#: Name prefixes of threads that belong to no test.
_POOLED = ("labelf-mock:", "ThreadPoolExecutor", "asyncio_", "AnyIO worker thread")


class LateRequestWarning(UserWarning):
    """A request reached the mock after the test that sent it had ended; it was not journaled."""


_lock = threading.Lock()
_leftovers: weakref.WeakKeyDictionary[threading.Thread, str] = weakref.WeakKeyDictionary()
_late_clients: dict[tuple[str, int], str] = {}
_arrivals: list[str] = []
_served: set[tuple[str, int]] = set()  # the mock servers' addresses (MockServers registers them)


def serving(address: tuple[str, int], running: bool = True) -> None:
    """A mock server started (or, ``running=False``, stopped) at ``address``."""
    with _lock:
        if running:
            _served.add(address)
        else:
            _served.discard(address)


def running_threads() -> frozenset[threading.Thread]:
    """The threads alive now (taken when a test starts)."""
    return frozenset(threading.enumerate())


def test_ended(started_with: frozenset[threading.Thread], test: str) -> None:
    """Remember the threads ``test`` left running (alive now, not alive when it started)."""
    left = [t for t in threading.enumerate() if t not in started_with and not t.name.startswith(_POOLED)]
    with _lock:
        for thread in left:
            _leftovers[thread] = test
        _late_clients.clear()  # the test's connections to the mock have been closed


def origin_of_this_thread() -> str | None:
    """The test that started the calling thread, if that test has ended; else ``None``."""
    if not _leftovers:  # the usual case
        return None
    return _leftovers.get(threading.current_thread())


def register(sock: socket.socket, test: str) -> None:
    """``sock`` was connected to the mock by a thread ``test`` left running."""
    try:
        local = sock.getsockname()
    except OSError:
        return
    with _lock:
        _late_clients[(local[0], local[1])] = test


@contextmanager
def guarding() -> Iterator[None]:
    """For a test that uses the mock without interception: while threads a finished test left running are
    alive, watch their connections to the mock (interception's own ``connect`` patch does it otherwise)."""
    if not any(thread.is_alive() for thread in list(_leftovers)):
        yield
        return
    LATE_GUARD.hold(_guard_patches)
    try:
        yield
    finally:
        LATE_GUARD.release()


def _guard_patches() -> list[tuple[Any, str, Any]]:
    cls = socket.socket

    def wrap(original: Any) -> Any:
        @functools.wraps(original)
        def patched(self: socket.socket, address: Any) -> Any:
            origin = origin_of_this_thread()
            if origin is None or not isinstance(address, tuple) or tuple(address[:2]) not in _served:
                return original(self, address)
            try:
                return original(self, address)
            finally:
                register(self, origin)

        return patched

    return [(cls, "connect", wrap(cls.connect)), (cls, "connect_ex", wrap(cls.connect_ex))]


def take_arrivals() -> list[str]:
    """The late requests seen since the last call, as messages."""
    with _lock:
        taken, _arrivals[:] = list(_arrivals), []
    return taken


def guard(app: _ASGI) -> _ASGI:
    """``app``, except that a request on a connection registered as late is answered 503 and not passed on."""

    async def serve(scope: _Scope, receive: Callable[[], Awaitable[_Message]], send: Any) -> None:
        client = scope.get("client")
        test = _late_clients.get((client[0], client[1])) if _late_clients and client else None
        if test is None or scope["type"] != "http":
            await app(scope, receive, send)
            return
        await _refuse(scope, send, test)

    return serve


async def _refuse(scope: _Scope, send: Callable[[_Message], Awaitable[None]], test: str) -> None:
    headers = dict(scope.get("headers") or ())
    host = headers.get(b"host", b"?").decode("latin-1")
    route = f"{scope['method']} {scope['path']} (Host: {host})"
    message = (
        f"labelf-testkit: {route} arrived after its test ended: it was sent by a thread that {test} started and "
        "left running. It was not journaled in the test running now; the mock answered 503. Join the threads a "
        "test starts before it ends."
    )
    with _lock:
        _arrivals.append(message)
    body = json.dumps({"error": "request_after_test_ended", "error_description": message}).encode()
    start_headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 503, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})
