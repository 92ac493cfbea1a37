"""A bounded record of every request the mock received, as data; everything it shows is redacted.

The journal middleware (:mod:`~labelf_testkit.mock_server.middleware.journal`) records into it.

Recording is the hot path, so an entry keeps the raw request privately (never in ``repr``, never compared)
and builds its public, redacted views on first use: client secrets, ``token=`` values and Basic credentials
read ``[REDACTED]``; bearer tokens appear only as a fingerprint (``sha256:`` and 12 hex digits), which is
enough to assert "every API call carried the newest token" without a token reaching pytest's output.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

from .endpoints import TOKEN_PATH
from .matching import RequestFacts, parse_body
from .redaction import fingerprint, redact_form, redact_headers, redact_query

__all__ = ["CAPTURE_LIMIT", "EntryFields", "Journal", "JournalEntry", "issued_token_of"]

#: An entry keeps at most this much of the request's headers and, separately, of its body, so a full journal
#: (1,000 entries) stays near 32 MiB whatever clients send.
CAPTURE_LIMIT = 16 * 1024
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True, eq=False)
class EntryFields:
    """The stored fields of a journal entry, local or remote: :class:`JournalEntry` and the remote handle's
    entries both derive from it, so a field added here appears in both (and in the control API's view of it)."""

    method: str
    path: str
    status: int | None
    at: float
    fault: str | None = None
    #: Whether the headers or the body were longer than the journal keeps (16 KiB each).
    truncated: bool = False
    #: Seconds from when the mock began handling the request to when its answer was complete (a monotonic
    #: clock, ``time.perf_counter``: a frozen or advanced mock clock does not change it); ``None`` when the mock
    #: finished no answer (a ``drop`` fault, a client that hung up, an answer cut short).
    duration: float | None = None
    #: The entry's number in its journal: 1, 2, 3… in the order recorded, never reused, and not shifted when
    #: old entries are evicted or the journal is cleared (``since=`` polling in the control API reads it).
    seq: int = 0
    #: When the request arrived (its headers read), on the same clock as ``at``: the session clock's Unix time.
    #: ``at`` is when its answer was recorded, ``duration`` later on a steady clock (with a frozen clock, unmoved
    #: meanwhile, the two are equal).  ``None`` only for an entry built by hand without it.
    arrived_at: float | None = None


@dataclass(frozen=True, eq=False)
class JournalEntry(EntryFields):
    """One request as the mock saw it, and the status it answered; public views are redacted."""

    # The raw request and answer, unredacted: not dataclass fields, so never in repr, ``dataclasses.asdict`` or
    # pytest's diff of two entries.  The journal sets them on each entry; the class's values are an empty one.
    _raw_headers: ClassVar[list[tuple[bytes, bytes]]] = []
    _raw_query: ClassVar[bytes] = b""
    _raw_body: ClassVar[bytes] = b""
    _raw_answer: ClassVar[bytes] = b""
    _raw_cut: ClassVar[frozenset[str]] = frozenset()

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
        return issued_token_of(self.path, self.status, self._raw_answer)

    @cached_property
    def facts(self) -> RequestFacts:
        """What a matcher sees of this request: the same :class:`~.matching.RequestFacts` a fault sees (built from
        the request as received, not from the redacted views), with ``cut`` naming the parts the journal kept only
        the first 16 KiB of."""
        return RequestFacts.from_raw(
            self.method, self.path, self._raw_headers, self._raw_query, parse_body(self._raw_body), self._raw_cut
        )

    def json(self) -> Any:
        """The request body parsed as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self) -> str:
        extra = (f" [fault: {self.fault}]" if self.fault else "") + (" [truncated]" if self.truncated else "")
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} -> {self.status}{extra}"


#: What the hot path records: :class:`JournalEntry`'s fields, then its raw request and answer and the parts of the
#: request that were cut, as a plain tuple (``seq`` is not in it: the journal numbers entries by their place).
_Raw = tuple[
    str,
    str,
    "int | None",
    float,
    "str | None",
    bool,
    "float | None",
    "float | None",
    list[tuple[bytes, bytes]],
    bytes,
    bytes,
    bytes,
    frozenset[str],
]


class Journal:
    """The last ``maxlen`` requests, oldest first; thread-safe.

    Requests are recorded as plain tuples (building the entry was a third of the journal's cost on a token
    request, measured in-process) and become :class:`JournalEntry` objects the first time anyone reads them.
    """

    def __init__(self, maxlen: int = 1_000) -> None:
        self._entries: deque[JournalEntry | _Raw] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._unread = False
        self._recorded = 0  # entries ever recorded: the newest entry's seq
        #: Bumped by every :meth:`clear`: a request that arrived before the last clear (a test's request still
        #: in flight when the next test began) is not recorded into the new journal.
        self.epoch = 0

    def append(self, entry: JournalEntry | _Raw, epoch: int | None = None) -> None:
        """Record one request; ``epoch`` is :attr:`epoch` when it arrived (a stale one is not recorded)."""
        with self._lock:
            if epoch is None or epoch == self.epoch:
                self._recorded += 1
                if isinstance(entry, JournalEntry):  # the rare path: the hot path records tuples
                    object.__setattr__(entry, "seq", self._recorded)
                self._entries.append(entry)
                self._unread = True

    def clear(self) -> None:
        """Forget everything, including requests still being answered."""
        with self._lock:
            self._entries.clear()
            self.epoch += 1

    def entries(self) -> list[JournalEntry]:
        """A snapshot, oldest first."""
        return self.snapshot()[0]

    def snapshot(self) -> tuple[list[JournalEntry], int]:
        """The entries, oldest first, and the newest ``seq`` recorded (0: none yet), read together.

        Entries are numbered without gaps (stale requests are not recorded, so not numbered), and eviction and
        :meth:`clear` only drop the oldest: the journal holds ``seq`` ``last - len + 1`` to ``last``.
        """
        with self._lock:
            if self._unread:
                first = self._recorded - len(self._entries) + 1
                self._entries = deque(
                    (_entry(item, first + i) for i, item in enumerate(self._entries)), maxlen=self._entries.maxlen
                )
                self._unread = False
            return list(self._entries), self._recorded  # type: ignore[arg-type]  # every item is an entry now

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)


_FIELDS = (
    *(f.name for f in fields(JournalEntry) if f.name != "seq"),
    "_raw_headers",
    "_raw_query",
    "_raw_body",
    "_raw_answer",
    "_raw_cut",
)


def _entry(item: JournalEntry | _Raw, seq: int) -> JournalEntry:
    if isinstance(item, JournalEntry):
        return item
    # Not through __init__: a frozen dataclass sets each field with object.__setattr__.
    entry = JournalEntry.__new__(JournalEntry)
    entry.__dict__.update(zip(_FIELDS, item, strict=True))
    entry.__dict__["seq"] = seq
    return entry


def issued_token_of(path: str, status: int | None, body: bytes) -> str | None:
    """Fingerprint of the access token a token endpoint answer ``body`` issued, if it issued one."""
    if path != TOKEN_PATH or status != 200:
        return None
    try:
        token = json.loads(body).get("access_token")
    except (ValueError, AttributeError):
        return None
    return fingerprint(token) if isinstance(token, str) else None
