"""Requests that arrive after the test that sent them has ended.

A thread a test starts and never joins, or an asyncio task it creates and never awaits (on an event loop that
outlives the test: pytest-asyncio's session-scoped loop, anyio's runner kept by a wider-scoped async fixture), can
send its request while a later test runs.  The request reaches the
same mock server as that later test's own requests, so the server alone cannot tell them apart; the client
side can.  At the end of each test that uses the mock, the threads it left running are remembered with the
test's id (:func:`test_ended`).  Tasks are known by their context instead: an async test's body runs with
:data:`_RUN` set (:func:`watch_tasks`), every task it creates copies that context, and once the test has ended a
connection made from such a task is late (:func:`origin`).  While interception is active (or, in a test that
uses the mock without it, while such threads or tasks are alive: :func:`guarding`), a connection to the mock made
by one of them is registered by its local address (:func:`register`, called from the ``connect`` patches), and
the servers' :func:`guard` answers each request on it with 503 and an explanation instead of passing it to the
mock: it is never journaled.  :func:`take_arrivals` hands the messages to the plugin, which shows them as
:class:`LateRequestWarning` (naming the route and the test that started the thread).

Threads that belong to no test are not remembered: the mock's own servers, and the worker threads of
executors and thread pools (they serve whichever test submits work).  Likewise tasks created outside a test's
body (by a fixture, of any scope) carry no test.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._patching import LATE_GUARD

__all__ = [
    "LateRequestWarning",
    "TestRun",
    "guard",
    "guarding",
    "note",
    "origin",
    "origin_of_this_thread",
    "register",
    "running_threads",
    "take_arrivals",
    "test_ended",
    "watch_tasks",
]

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_ASGI = Callable[[_Scope, Callable[[], Awaitable[_Message]], Callable[[_Message], Awaitable[None]]], Awaitable[None]]

#: Name prefixes of threads that belong to no test.
_POOLED = ("labelf-mock:", "ThreadPoolExecutor", "asyncio_", "AnyIO worker thread")


class LateRequestWarning(UserWarning):
    """A request reached the mock after the test that sent it had ended; it was not journaled."""


class Origin(NamedTuple):
    """Who sent a late request: the test that started it, and what it is (``"a thread"``, ``"an asyncio task"``)."""

    test: str
    sender: str


@dataclass(eq=False)
class TestRun:
    """One run of one async test (a test run again, by pytest-rerunfailures or pytest-repeat, is another run)."""

    __test__ = False  # not a test class, whatever its name
    test: str
    ended: bool = False


#: The run of the async test whose body, or a task that body created, is running (tasks copy it when created).
_RUN: ContextVar[TestRun | None] = ContextVar("labelf_testkit_test_run", default=None)

_lock = threading.Lock()
_leftovers: weakref.WeakKeyDictionary[threading.Thread, str] = weakref.WeakKeyDictionary()
_left_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()  # created by a test's body, pending at its end
_late_clients: dict[tuple[str, int], Origin] = {}
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


def watch_tasks(function: Callable[..., Coroutine[Any, Any, Any]], test: str) -> tuple[Callable[..., Any], TestRun]:
    """``function`` (an async test), running its body with a :class:`TestRun` in its context, so that every
    task the body creates carries it; and that run, for :func:`test_ended` to end."""
    run = TestRun(test)

    @functools.wraps(function)
    async def watched(*args: Any, **kwargs: Any) -> Any:
        token = _RUN.set(run)  # in this task's own context: reset before the runner's next test runs in it
        before = asyncio.all_tasks()
        try:
            return await function(*args, **kwargs)
        finally:
            _RUN.reset(token)
            _left_tasks.update(task for task in asyncio.all_tasks() - before if not task.done())

    return watched, run


def test_ended(started_with: frozenset[threading.Thread], test: str, run: TestRun | None = None) -> None:
    """Remember the threads ``test`` left running (alive now, not alive when it started); its tasks' ``run``
    has ended."""
    if run is not None:
        run.ended = True
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


def origin() -> Origin | None:
    """Who is calling, if it was started by a test that has ended: an asyncio task (or a thread it handed its
    context to, as ``asyncio.to_thread`` does) created by an async test's body, or a thread a test started;
    else ``None``."""
    run = _RUN.get()
    if run is not None and run.ended:
        return Origin(run.test, "an asyncio task")
    test = origin_of_this_thread()
    return None if test is None else Origin(test, "a thread")


def register(sock: socket.socket | tuple[Any, ...], late: Origin) -> None:
    """``sock`` (or its local address) was connected to the mock by a sender a finished test left running."""
    if isinstance(sock, socket.socket):
        try:
            local = sock.getsockname()
        except OSError:
            return
    else:
        local = sock
    with _lock:
        _late_clients[(local[0], local[1])] = late


def note(local: object, peer: object) -> None:
    """A connection from ``local`` to ``peer`` was made; registered if it goes to the mock and the caller was left
    running by a finished test (for connections made below ``socket.connect``: uvloop's)."""
    late = origin()
    if late is not None and isinstance(local, tuple) and isinstance(peer, tuple) and tuple(peer[:2]) in _served:
        register(local, late)


@contextmanager
def guarding() -> Iterator[None]:
    """For a test that uses the mock without interception: while threads a finished test left running are
    alive, watch their connections to the mock (interception's own ``connect`` patch does it otherwise)."""
    if not any(thread.is_alive() for thread in list(_leftovers)) and all(task.done() for task in list(_left_tasks)):
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
            late = origin()
            if late is None or not isinstance(address, tuple) or tuple(address[:2]) not in _served:
                return original(self, address)
            try:
                return original(self, address)
            finally:
                register(self, late)

        return patched

    from ._uvloop_patches import uvloop_late_guard  # below socket.connect: uvloop connects in C

    return [(cls, "connect", wrap(cls.connect)), (cls, "connect_ex", wrap(cls.connect_ex)), *uvloop_late_guard()]


def take_arrivals() -> list[str]:
    """The late requests seen since the last call, as messages."""
    with _lock:
        taken, _arrivals[:] = list(_arrivals), []
    return taken


def guard(app: _ASGI) -> _ASGI:
    """``app``, except that a request on a connection registered as late is answered 503 and not passed on."""

    async def serve(scope: _Scope, receive: Callable[[], Awaitable[_Message]], send: Any) -> None:
        client = scope.get("client")
        late = _late_clients.get((client[0], client[1])) if _late_clients and client else None
        if late is None or scope["type"] != "http":
            await app(scope, receive, send)
            return
        await _refuse(scope, send, late)

    return serve


async def _refuse(scope: _Scope, send: Callable[[_Message], Awaitable[None]], late: Origin) -> None:
    headers = dict(scope.get("headers") or ())
    host = headers.get(b"host", b"?").decode("latin-1")
    route = f"{scope['method']} {scope['path']} (Host: {host})"
    message = (
        f"labelf-testkit: {route} arrived after its test ended: it was sent by {late.sender} that {late.test} "
        "started and left running. It was not journaled in the test running now; the mock answered 503. Join the "
        "threads and await (or cancel) the asyncio tasks a test starts before it ends."
    )
    with _lock:
        _arrivals.append(message)
    body = json.dumps({"error": "request_after_test_ended", "error_description": message}).encode()
    start_headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 503, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})
