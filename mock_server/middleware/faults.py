"""``FaultMiddleware``: applies the test's planned faults; a request with no fault goes to the app untouched.

It sits outside the endpoints and takes the first pending fault of the plan (:class:`~..faults.FaultPlan`) that
matches each request; when a pending fault has content criteria, it reads as much of the request as they need.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from time import perf_counter

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._connection_drop import drop_connection
from ..endpoints import FAULT_SCOPE_KEY
from ..faults import Fault, FaultPlan
from ..matching import RequestFacts
from ._fault_answers import fault_response

__all__ = ["FaultMiddleware"]


async def _drop(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await drop_connection(scope, receive)


async def _pass_through(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await app(scope, receive, send)


async def _answer(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await fault_response(fault, scope["path"])(scope, receive, send)


#: What each kind of fault does with the request (after the fault's ``delay``).
_APPLY: dict[str, Callable[[Fault, ASGIApp, Scope, Receive, Send], Awaitable[None]]] = {
    "status": _answer,
    "malformed_json": _answer,
    "empty_body": _answer,
    "drop": _drop,
    "delay": _pass_through,
}


class FaultMiddleware:
    """Applies the plan's faults; requests with no fault go to the app untouched."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = None
        if scope["type"] == "http" and len(self.plan):
            facts = None
            looks, reads_body = self.plan.needs(scope["path"])
            if reads_body:
                body, receive = await _buffered(receive, self.plan.max_body_bytes)
                facts = RequestFacts.from_scope(scope, body)
            elif looks:
                facts = RequestFacts.from_scope(scope)
            fault = self.plan.take(scope["path"], facts)
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[FAULT_SCOPE_KEY] = fault.describe()
        if fault.delay:
            await sleep_at_least(fault.delay)
        await _APPLY[fault.kind](fault, self.app, scope, receive, send)


async def sleep_at_least(seconds: float) -> None:
    """Sleep ``seconds`` at least, as ``perf_counter`` (the journal's ``duration``) and a client's timer count them.

    A loop's timer can end a sleep early by that clock: uvloop's (libuv's) timers count whole milliseconds from a
    time cached once per loop iteration, so ``labelf-mock serve`` on uvloop answered a 0.05 s latency after
    0.0497 s.  What the timer left out is slept again."""
    deadline = perf_counter() + seconds
    await anyio.sleep(seconds)
    while (left := deadline - perf_counter()) > 0:
        await anyio.sleep(left)


async def _buffered(receive: Receive, limit: int) -> tuple[bytes | None, Receive]:
    """The request body (``None`` when longer than ``limit`` or cut by a disconnect), and a ``receive`` that
    hands the app every message read here before reading on: the app sees the request unchanged."""
    messages: list[Message] = []
    size, complete = 0, False
    while size <= limit:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
            break
    body = b"".join(m.get("body", b"") for m in messages) if complete and size <= limit else None
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return body, replay
