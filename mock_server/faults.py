"""Faults a test asks for: fail the next N calls of a route, add latency, answer garbage, drop the connection.

A :class:`FaultPlan` is a queue of :class:`Fault` s; :class:`FaultMiddleware` sits outside the app and takes
the first pending fault that matches each request.  Nothing here is faithful to Labelf (it is what a test
*asks* the mock to do); the default error bodies are the host's own error format so clients parse them as
they would a real failure.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BEFORE_DROP", "RAW_SEND", "ROUTES", "DroppedConnection", "Fault", "FaultMiddleware", "FaultPlan"]

FaultKind = Literal["status", "malformed_json", "empty_body", "drop", "delay"]

#: Route names a fault can target; any string starting with ``/`` is an exact path instead.
ROUTES: dict[str, re.Pattern[str]] = {
    "token": re.compile(r"/oauth2/token"),
    "revoke": re.compile(r"/oauth2/revoke"),
    "inference": re.compile(r"/v2/models/(?:[^/]+/)?inference"),
    "similarity": re.compile(r"/v2/similarity"),
    "models": re.compile(r"/v2/models(?:/(?!inference$)[^/]+)?"),
    "api": re.compile(r"/v2(?:/.*)?"),
    "any": re.compile(r".*"),
}

_API_CODES = {
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
_OAUTH_5XX = {
    503: (
        "temporarily_unavailable",
        "The authorization server is currently unable to handle the request due to a "
        "temporary overloading or maintenance of the server.",
    ),
}
_SERVER_ERROR = (
    "server_error",
    "The authorization server encountered an unexpected condition that prevented it from fulfilling the request.",
)


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

    def __post_init__(self) -> None:
        if self.route not in ROUTES and not self.route.startswith("/"):
            raise ValueError(
                f"Unknown route {self.route!r}: use one of {', '.join(ROUTES)} or an exact path starting with '/'."
            )
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be at least 1 (or None for every call), got {self.times!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be non-negative, got {self.delay!r}")

    def matches(self, path: str) -> bool:
        """Whether a request for ``path`` is one this fault targets."""
        if self.route.startswith("/"):
            return path == self.route
        return ROUTES[self.route].fullmatch(path) is not None

    @property
    def pending(self) -> bool:
        """Whether the fault still has calls to spoil."""
        return self.times is None or self.hits < self.times

    def describe(self) -> str:
        """A one-line account, for journal entries and "unused fault" reports."""
        what = {
            "status": f"status {self.status}",
            "malformed_json": "malformed JSON",
            "empty_body": "empty body",
            "drop": "dropped connection",
            "delay": "latency",
        }[self.kind]
        if self.delay and self.kind != "delay":
            what += f" after {self.delay:g}s"
        elif self.kind == "delay":
            what += f" {self.delay:g}s"
        count = "every call" if self.times is None else f"{self.hits}/{self.times} used"
        return f"{self.route}: {what} ({count})"

    def default_body(self, path: str) -> tuple[bytes, str]:
        """The body and content type the host would send for this status."""
        if path.startswith("/v2"):
            code = _API_CODES.get(self.status, "ERROR")
            payload = {
                "status": self.status,
                "message": f"Injected fault: {code.lower().replace('_', ' ')}.",
                "error_code": code,
                "request_id": "req_fault000",
            }
            return json.dumps(payload).encode(), "application/json"
        error, description = _OAUTH_5XX.get(self.status, _SERVER_ERROR)
        if self.status == 429:
            error, description = "temporarily_unavailable", "Too many requests."
        payload = {"error": error, "error_description": description}
        return json.dumps(payload, separators=(",", ":")).encode(), "application/json;charset=UTF-8"


class FaultPlan:
    """The faults of one test, consumed in order; thread-safe for the socket server."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Queue ``fault`` behind the ones already planned."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The first pending fault for ``path``, counted as used."""
        with self._lock:
            for fault in self._faults:
                if fault.pending and fault.matches(path):
                    fault.hits += 1
                    return fault
        return None

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


RAW_SEND = "labelf.raw_send"
#: Scope extension: a callable run just before a connection is dropped (the journal records the request).
BEFORE_DROP = "labelf.before_drop"


async def _drop(scope: Scope, receive: Receive) -> None:
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


class FaultMiddleware:
    """Applies the plan's faults; requests with no fault go to the app untouched."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.plan.take(scope["path"]) if scope["type"] == "http" and len(self.plan) else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["labelf_fault"] = fault.describe()
        if fault.delay:
            await anyio.sleep(fault.delay)
        if fault.kind == "delay":
            await self.app(scope, receive, send)
        elif fault.kind == "drop":
            await _drop(scope, receive)
        else:
            await self._answer(fault, scope, send)

    async def _answer(self, fault: Fault, scope: Scope, send: Send) -> None:
        body, content_type = fault.default_body(scope["path"])
        if fault.kind == "malformed_json":
            body = b'{"access_token": "ory_at_trunc' if scope["path"].startswith("/oauth2") else b'[{"text": "trunc'
        elif fault.kind == "empty_body":
            body = b""
        if fault.body is not None:
            body = fault.body
        headers = {"content-type": content_type, **{k.lower(): v for k, v in fault.headers.items()}}
        headers["content-length"] = str(len(body))
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": fault.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
