"""``JournalMiddleware``: records each HTTP request into the :class:`~..journal.Journal` once it has been
answered (or dropped), before the client sees the answer.

Recording is the hot path: a request is appended as a plain tuple, which the journal turns into a
:class:`~..journal.JournalEntry` the first time anyone reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..endpoints import BEFORE_DROP, FAULT_SCOPE_KEY, TOKEN_PATH
from ..journal import CAPTURE_LIMIT, Journal

__all__ = ["JournalMiddleware"]

_log = logging.getLogger("labelf_testkit.mock_server.journal")
_NOTHING_CUT: frozenset[str] = frozenset()


class JournalMiddleware:
    """Records each HTTP request into ``journal`` once it has been answered (or dropped)."""

    def __init__(self, app: ASGIApp, journal: Journal, now: Callable[[], float]) -> None:
        self.app = app
        self.journal = journal
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorder = _Recorder(self, scope, receive, send)
        # A fault that drops the connection calls this first, so the drop is recorded too.
        extensions = scope.setdefault("extensions", {})
        extensions[BEFORE_DROP] = recorder.record
        try:
            await self.app(scope, recorder.receive, recorder.send)
        finally:
            recorder.record()  # a crash never sent a final body
            extensions.pop(BEFORE_DROP, None)  # the recorder holds the scope: no cycle left for the collector

    def record(
        self,
        scope: Scope,
        body: bytes,
        status: int | None,
        response_body: bytes,
        epoch: int,
        body_read: bool = True,
        duration: float | None = None,
        arrived_at: float | None = None,
    ) -> None:
        """Append the entry for one answered request (if it still belongs to the current test); ``body_read``:
        whether ``body`` is all the client sent (up to the capture limit); ``duration``: seconds until the answer
        was complete (``None``: no answer was completed); ``arrived_at``: the clock's time when it arrived."""
        headers, headers_cut = _header_prefix(scope["headers"])
        query = scope.get("query_string", b"")
        cut = _NOTHING_CUT
        if headers_cut or len(query) > CAPTURE_LIMIT or len(body) > CAPTURE_LIMIT or not body_read:
            cut = frozenset(
                part
                for part, was_cut in (
                    ("headers", headers_cut),
                    ("query", len(query) > CAPTURE_LIMIT),
                    ("body", len(body) > CAPTURE_LIMIT or not body_read),
                )
                if was_cut
            )
        self.journal.append(
            (
                scope["method"],
                scope["path"],
                status,
                self.now(),
                scope.get("state", {}).get(FAULT_SCOPE_KEY),
                bool(cut),
                duration,
                arrived_at,
                headers,
                query[:CAPTURE_LIMIT],
                body[:CAPTURE_LIMIT],
                response_body[:CAPTURE_LIMIT],
                cut,
            ),
            epoch,
        )


class _Recorder:
    """One request on its way through the app: what it sent and what it got (one object, no closures: this
    sits on every request's path)."""

    __slots__ = (
        "_answer",
        "_arrived",
        "_body",
        "_done",
        "_keep_answer",
        "_middleware",
        "_read",
        "_receive",
        "_scope",
        "_send",
        "_start",
        "_started",
        "_status",
        "epoch",
    )

    def __init__(self, middleware: JournalMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self._started = perf_counter()  # the entry's duration runs from here to the answer's last body
        self._arrived = middleware.now()  # the entry's arrived_at, on the session clock as its at
        self._middleware, self._scope, self._receive, self._send = middleware, scope, receive, send
        self.epoch = middleware.journal.epoch
        self._body = b""
        self._answer = b""
        self._keep_answer = scope["path"] == TOKEN_PATH  # the issued token's fingerprint comes from it
        self._status: int | None = None
        self._start: Message | None = None
        self._read = self._done = False

    async def receive(self) -> Message:
        """The app's ``receive``: keeps up to the capture limit (and one byte more, to tell it was cut)."""
        message = await self._receive()
        if message["type"] == "http.request":
            if len(self._body) <= CAPTURE_LIMIT and (chunk := message.get("body", b"")):
                self._body += chunk[: CAPTURE_LIMIT + 1 - len(self._body)]
            self._read = not message.get("more_body", False)
        else:
            self._read = True
        return message

    async def send(self, message: Message) -> None:
        """The app's ``send``: records the request once its answer is complete, before the client sees it."""
        kind = message["type"]
        if kind == "http.response.start":
            self._status = message["status"]
            # Held back until the body: a client that reads only the status line must not see it before the
            # request is recorded.
            self._start = message
            return
        if kind == "http.response.body":
            if self._keep_answer:
                self._answer += message.get("body", b"")
            if not message.get("more_body", False):
                # An answer given before the body was read (a 401 from the API, say): the entry still shows
                # what the client sent, up to the limit.
                if not self._read and _declares_small_body(self._scope):
                    while not self._read:
                        await self.receive()
                self.record(perf_counter() - self._started)
            if self._start is not None:
                start, self._start = self._start, None
                await self._send(start)
        await self._send(message)

    def record(self, duration: float | None = None) -> None:
        """Record the request once: on its final body with how long the answer took, or (no ``duration``) on a
        drop, after a crash, or when the client hung up."""
        if self._done:
            return
        self._done = True
        try:
            read = self._read or not _declares_body(self._scope)
            self._middleware.record(
                self._scope, self._body, self._status, self._answer, self.epoch, read, duration, self._arrived
            )
        except Exception:  # the journal must never turn an answer into an error
            _log.exception("could not record %s %s in the journal", self._scope["method"], self._scope["path"])


def _declares_body(scope: Scope) -> bool:
    # Whether the request carries a body at all (RFC 9112 §6.3): a Content-Length above 0, or chunked.
    headers = dict(scope["headers"])
    declared = headers.get(b"content-length", b"0")
    return b"transfer-encoding" in headers or not declared.isdigit() or int(declared) > 0


def _declares_small_body(scope: Scope) -> bool:
    # Read what the app left unread only when it is small: a partial read of a large body makes the server close
    # the connection on a client still sending, where leaving it unread lets the server drain it.
    declared = dict(scope["headers"]).get(b"content-length", b"")
    return declared.isdigit() and int(declared) <= CAPTURE_LIMIT


def _header_prefix(headers: list[tuple[bytes, bytes]]) -> tuple[list[tuple[bytes, bytes]], bool]:
    """The headers up to :data:`CAPTURE_LIMIT` bytes of names and values, and whether any were cut."""
    size = 0
    for name, value in headers:  # a plain loop: the fastest sum here, and every request pays it
        size += len(name) + len(value)
    if size <= CAPTURE_LIMIT:
        return headers, False  # the usual case: keep the server's list as it is
    kept: list[tuple[bytes, bytes]] = []
    room = CAPTURE_LIMIT
    for name, value in headers:
        if len(name) >= room:
            break
        kept.append((name, value[: room - len(name)]))
        room -= len(name) + len(kept[-1][1])
    return kept, True
