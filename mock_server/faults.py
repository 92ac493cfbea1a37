"""Faults a test asks for: fail the next N calls of a route, add latency, answer garbage, drop the connection.

A :class:`FaultPlan` is a queue of :class:`Fault` s; :class:`FaultMiddleware` sits outside the endpoints and
takes the first pending fault that matches each request.  Nothing here is faithful to Labelf (it is what a
test *asks* the mock to do); error bodies are rendered by the host's own error types (:class:`~.OAuthError`
on the auth host, :class:`~.ApiError` on the API host) so clients parse them as they would a real failure.

A fault kind is one entry of ``_KINDS``: how it describes itself and what it does to the request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import anyio
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._bearer import BEARER_CHALLENGE
from .api_errors import ApiError
from .matching import RequestFacts, RequestMatch
from .oauth_errors import OAuthError, server_error
from .routes import FAULT_ROUTES, fault_routes_of, host_of

__all__ = ["BEFORE_DROP", "RAW_SEND", "DroppedConnection", "Fault", "FaultKind", "FaultMiddleware", "FaultPlan"]

FaultKind = Literal["status", "malformed_json", "empty_body", "drop", "delay"]

RAW_SEND = "labelf.raw_send"
#: Scope extension: a callable run just before a connection is dropped (the journal records the request).
BEFORE_DROP = "labelf.before_drop"

#: The statuses Labelf's newer docs list (``/errors``: 400, 401, 403, 404, 409, 429, 500), each with the
#: ``error_code`` the mock uses for it (the codes are the mock's choice), plus the usual gateway errors.
_API_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
# RFC 6749 §4.1.2.1's temporarily_unavailable, in fosite's wording (errors.go ErrTemporarilyUnavailable).
_TEMPORARILY_UNAVAILABLE = (
    "The authorization server is currently unable to handle the request due to a temporary overloading or "
    "maintenance of the server."
)
_TRUNCATED = {"auth": b'{"access_token": "ory_at_trunc', "api": b'[{"text": "trunc'}


class DroppedConnection(Exception):
    """Raised in-process where the mock would close the socket without answering."""


@dataclass
class Fault:
    """One planned misbehaviour.  ``times=None`` means every matching call until the plan is cleared."""

    route: str
    kind: FaultKind = "status"
    status: int = 500
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = 1
    hits: int = 0
    #: Only requests whose content matches (body, headers, query, model id); ``None``: every request of the route.
    match: RequestMatch | None = None

    def __post_init__(self) -> None:
        if self.route not in FAULT_ROUTES and not self.route.startswith("/"):
            raise ValueError(
                f"Unknown route {self.route!r}: use one of {', '.join(FAULT_ROUTES)} or an exact path starting "
                "with '/'."
            )
        if self.kind not in _KINDS:
            raise ValueError(f"Unknown fault kind {self.kind!r}: use one of {', '.join(_KINDS)}.")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be at least 1 (or None for every call), got {self.times!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be non-negative, got {self.delay!r}")

    def matches(self, path: str) -> bool:
        """Whether a request for ``path`` is one this fault targets."""
        if self.route.startswith("/"):
            return path == self.route
        return self.route in fault_routes_of(path)

    @property
    def pending(self) -> bool:
        """Whether the fault still has calls to spoil."""
        return self.times is None or self.hits < self.times

    def describe(self) -> str:
        """A one-line account, for journal entries and "unused fault" reports."""
        what = _KINDS[self.kind][0](self)
        if self.delay and self.kind != "delay":
            what += f" after {self.delay:g}s"
        count = "every call" if self.times is None else f"{self.hits}/{self.times} used"
        where = f" where {self.match.describe()}" if self.match is not None else ""
        return f"{self.route}{where}: {what} ({count})"

    def error_response(self, path: str) -> Response:
        """The answer the host would give with this fault's status: its own error body, or ``body``."""
        if host_of(path) == "api":
            code = _API_CODES.get(self.status, "ERROR")
            # The headers a real answer with this status carries: RFC 6750 §3's challenge on a 401, and the
            # documented Retry-After on a 429 ("Back off and retry using the Retry-After header").
            headers = {401: {"www-authenticate": BEARER_CHALLENGE}, 429: {"retry-after": "1"}}
            api_error = ApiError(self.status, code, f"Injected fault: {code.lower().replace('_', ' ')}.")
            api_error.headers = headers.get(self.status, {})
            response = api_error.response()
        else:
            error = server_error()
            if self.status in {429, 503}:
                error = OAuthError("temporarily_unavailable", self.status, _TEMPORARILY_UNAVAILABLE)
            error.status = self.status
            response = error.response()
        if self.body is not None:
            response.body = self.body
        response.headers.update({k.lower(): v for k, v in self.headers.items()})
        response.headers["content-length"] = str(len(response.body))
        return response


class FaultPlan:
    """The faults of one test, consumed in order; thread-safe for the socket server."""

    def __init__(self, max_body_bytes: int = 1 << 20) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        #: The most a fault that matches on the body reads of it (the config's ``max_body_bytes``).
        self.max_body_bytes = max_body_bytes

    def add(self, fault: Fault) -> Fault:
        """Queue ``fault`` behind the ones already planned."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str, facts: RequestFacts | None = None) -> Fault | None:
        """The first pending fault for ``path`` whose content criteria ``facts`` meets, counted as used."""
        with self._lock:
            for fault in self._faults:
                if fault.pending and fault.matches(path):
                    if fault.match is not None and (facts is None or not fault.match.matches(facts)):
                        continue
                    fault.hits += 1
                    return fault
        return None

    def needs(self, path: str) -> tuple[bool, bool]:
        """Whether a pending fault for ``path`` looks at the request's content, and whether at its body."""
        with self._lock:
            matches = [f.match for f in self._faults if f.match is not None and f.pending and f.matches(path)]
        return bool(matches), any(m.needs_body(path) for m in matches)

    def faults(self) -> list[Fault]:
        """Every planned fault, in order."""
        with self._lock:
            return list(self._faults)

    def unused(self) -> list[Fault]:
        """Faults with a finite count that were never fully used."""
        with self._lock:
            return [f for f in self._faults if f.times is not None and f.hits < f.times]

    def clear(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)


async def _drop(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    # uvicorn's `send` is a bound method of its request/response cycle, which holds the transport.
    # Closing it answers nothing, which is what a crashed upstream looks like to the client.
    extensions = scope.get("extensions", {})
    if (before_drop := extensions.get(BEFORE_DROP)) is not None:
        before_drop()
    raw_send = extensions.get(RAW_SEND)
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None:
        raise DroppedConnection
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass  # wait until the server has seen the close, so it does not write a 500 into it


async def _pass_through(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await app(scope, receive, send)


def _answer(body: Callable[[Fault, str], bytes] | None) -> _Apply:
    async def apply(fault: Fault, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        response = fault.error_response(scope["path"])
        if body is not None and fault.body is None:
            response.body = body(fault, scope["path"])
            response.headers["content-length"] = str(len(response.body))
        await response(scope, receive, send)

    return apply


_Apply = Callable[[Fault, ASGIApp, Scope, Receive, Send], Awaitable[None]]
#: Each kind: its description, and what it does with the request (after the fault's ``delay``).
_KINDS: dict[str, tuple[Callable[[Fault], str], _Apply]] = {
    "status": (lambda f: f"status {f.status}", _answer(None)),
    "malformed_json": (lambda f: "malformed JSON", _answer(lambda f, path: _TRUNCATED[host_of(path)])),
    "empty_body": (lambda f: "empty body", _answer(lambda f, path: b"")),
    "drop": (lambda f: "dropped connection", _drop),
    "delay": (lambda f: f"latency {f.delay:g}s", _pass_through),
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
        scope.setdefault("state", {})["labelf_fault"] = fault.describe()
        if fault.delay:
            await anyio.sleep(fault.delay)
        await _KINDS[fault.kind][1](fault, self.app, scope, receive, send)


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
