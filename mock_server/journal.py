"""A bounded record of every request the mock received; everything it shows is redacted.

Recording is the hot path, so an entry keeps the raw request privately (never in ``repr``, never compared)
and builds its public, redacted views on first use: client secrets, ``token=`` values and Basic credentials
read ``[REDACTED]``; bearer tokens appear only as a fingerprint (``sha256:`` and 12 hex digits), which is
enough to assert "every API call carried the newest token" without a token reaching pytest's output.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import BEFORE_DROP
from .redaction import fingerprint, redact_form, redact_headers, redact_query
from .routes import TOKEN_PATH

__all__ = ["Journal", "JournalEntry", "JournalMiddleware"]

_log = logging.getLogger("labelf_testkit.mock_server.journal")
#: An entry keeps at most this much of the request's headers and, separately, of its body, so a full journal
#: (1,000 entries) stays near 32 MiB whatever clients send.
CAPTURE_LIMIT = 16 * 1024
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True, eq=False)
class JournalEntry:
    """One request as the mock saw it, and the status it answered; public views are redacted."""

    method: str
    path: str
    status: int | None
    at: float
    fault: str | None = None
    #: Whether the headers or the body were longer than the journal keeps (16 KiB each).
    truncated: bool = False
    # The raw request and answer, unredacted: not dataclass fields, so never in repr, ``dataclasses.asdict`` or
    # pytest's diff of two entries.  The journal sets them on each entry; the class's values are an empty one.
    _raw_headers: ClassVar[list[tuple[bytes, bytes]]] = []
    _raw_query: ClassVar[bytes] = b""
    _raw_body: ClassVar[bytes] = b""
    _raw_answer: ClassVar[bytes] = b""

    @cached_property
    def _auth(self) -> tuple[dict[str, str], str | None, str | None]:
        return redact_headers(self._raw_headers)

    @property
    def headers(self) -> dict[str, str]:
        """Request headers, lower-case names, a repeated one's values joined with ``", "``; ``Authorization``
        keeps its scheme only (``Basic [REDACTED]``)."""
        return self._auth[0]

    @property
    def client_id(self) -> str | None:
        """The client id sent (Basic header or ``client_id`` in the form)."""
        form_id = self.form.get("client_id", [None])[0]
        return self._auth[1] or form_id

    @property
    def token(self) -> str | None:
        """Fingerprint of the bearer token sent, if any."""
        return self._auth[2]

    @cached_property
    def query(self) -> str:
        """The query string, secret parameters redacted."""
        return redact_query(self._raw_query)

    @cached_property
    def _form_and_body(self) -> tuple[dict[str, list[str]], str]:
        content_type = self.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() in _FORM_TYPES:
            return redact_form(content_type, self._raw_body)
        return {}, self._raw_body.decode("utf-8", "replace")

    @property
    def form(self) -> dict[str, list[str]]:
        """Form parameters (urlencoded or multipart bodies), secret values redacted."""
        return self._form_and_body[0]

    @property
    def body(self) -> str:
        """The body as text (forms re-encoded with secrets redacted; the first 16 KiB, see ``truncated``)."""
        return self._form_and_body[1]

    @cached_property
    def issued_token(self) -> str | None:
        """Fingerprint of the access token this response issued, if it issued one."""
        return _issued(self.path, self.status, self._raw_answer)

    def json(self) -> Any:
        """The request body parsed as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self) -> str:
        extra = (f" [fault: {self.fault}]" if self.fault else "") + (" [truncated]" if self.truncated else "")
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} -> {self.status}{extra}"


#: What the hot path records: :class:`JournalEntry`'s fields, then its raw request and answer, as a plain tuple.
_Raw = tuple[str, str, "int | None", float, "str | None", bool, list[tuple[bytes, bytes]], bytes, bytes, bytes]


class Journal:
    """The last ``maxlen`` requests, oldest first; thread-safe.

    Requests are recorded as plain tuples (building the entry was a third of the journal's cost on a token
    request, measured in-process) and become :class:`JournalEntry` objects the first time anyone reads them.
    """

    def __init__(self, maxlen: int = 1_000) -> None:
        self._entries: deque[JournalEntry | _Raw] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._unread = False
        #: Bumped by every :meth:`clear`: a request that arrived before the last clear (a test's request still
        #: in flight when the next test began) is not recorded into the new journal.
        self.epoch = 0

    def append(self, entry: JournalEntry | _Raw, epoch: int | None = None) -> None:
        """Record one request; ``epoch`` is :attr:`epoch` when it arrived (a stale one is not recorded)."""
        with self._lock:
            if epoch is None or epoch == self.epoch:
                self._entries.append(entry)
                self._unread = True

    def clear(self) -> None:
        """Forget everything, including requests still being answered."""
        with self._lock:
            self._entries.clear()
            self.epoch += 1

    def entries(self) -> list[JournalEntry]:
        """A snapshot, oldest first."""
        with self._lock:
            if self._unread:
                self._entries = deque(map(_entry, self._entries), maxlen=self._entries.maxlen)
                self._unread = False
            return list(self._entries)  # type: ignore[arg-type]  # every item is an entry now

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)


_FIELDS = (*(f.name for f in fields(JournalEntry)), "_raw_headers", "_raw_query", "_raw_body", "_raw_answer")


def _entry(item: JournalEntry | _Raw) -> JournalEntry:
    if isinstance(item, JournalEntry):
        return item
    # Not through __init__: a frozen dataclass sets each field with object.__setattr__.
    entry = JournalEntry.__new__(JournalEntry)
    entry.__dict__.update(zip(_FIELDS, item, strict=True))
    return entry


def _issued(path: str, status: int | None, body: bytes) -> str | None:
    if path != TOKEN_PATH or status != 200:
        return None
    try:
        token = json.loads(body).get("access_token")
    except (ValueError, AttributeError):
        return None
    return fingerprint(token) if isinstance(token, str) else None


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

    def record(self, scope: Scope, body: bytes, status: int | None, response_body: bytes, epoch: int) -> None:
        """Append the entry for one answered request (if it still belongs to the current test)."""
        headers, headers_cut = _header_prefix(scope["headers"])
        query = scope.get("query_string", b"")
        self.journal.append(
            (
                scope["method"],
                scope["path"],
                status,
                self.now(),
                scope.get("state", {}).get("labelf_fault"),
                headers_cut or len(body) > CAPTURE_LIMIT or len(query) > CAPTURE_LIMIT,
                headers,
                query[:CAPTURE_LIMIT],
                body[:CAPTURE_LIMIT],
                response_body[:CAPTURE_LIMIT],
            ),
            epoch,
        )


class _Recorder:
    """One request on its way through the app: what it sent and what it got (one object, no closures: this
    sits on every request's path)."""

    __slots__ = (
        "_answer",
        "_body",
        "_done",
        "_keep_answer",
        "_middleware",
        "_read",
        "_receive",
        "_scope",
        "_send",
        "_start",
        "_status",
        "epoch",
    )

    def __init__(self, middleware: JournalMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
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
                self.record()
            if self._start is not None:
                start, self._start = self._start, None
                await self._send(start)
        await self._send(message)

    def record(self) -> None:
        """Record the request once (on its final body, on a drop, or after a crash)."""
        if self._done:
            return
        self._done = True
        try:
            self._middleware.record(self._scope, self._body, self._status, self._answer, self.epoch)
        except Exception:  # the journal must never turn an answer into an error
            _log.exception("could not record %s %s in the journal", self._scope["method"], self._scope["path"])


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
