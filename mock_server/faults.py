"""Faults a test asks for, as data: fail the next N calls of a route, add latency, answer garbage, drop.

A :class:`FaultPlan` is a queue of :class:`Fault` s; the fault middleware
(:mod:`~labelf_testkit.mock_server.middleware.faults`) takes the first pending fault that matches each request,
and :mod:`~labelf_testkit.mock_server.middleware._fault_answers` renders its answer as the host would.  Nothing
here is faithful to Labelf: it is what a test *asks* the mock to do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Literal

from .endpoints import check_route, on_route
from .matching import RequestFacts, RequestMatch

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "FaultPlan", "retry_after_header"]

FaultKind = Literal["status", "malformed_json", "empty_body", "drop", "delay"]


def retry_after_header(value: object) -> str:
    """``value`` as a ``Retry-After`` header: whole seconds, 0 or more, or an HTTP date (RFC 9110 §10.2.3,
    ``Retry-After = HTTP-date / delay-seconds``, ``delay-seconds = 1*DIGIT``); else a ``ValueError`` saying so."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if text.isascii() and text.isdigit():
        return text
    try:
        if not (text.isascii() and text.isprintable()):  # header text: no line breaks or control characters
            raise ValueError(text)
        parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(
            f"retry_after takes whole seconds (0 or more) or an HTTP date such as 'Wed, 21 Oct 2015 07:28:00 GMT' "
            f"(RFC 9110 section 10.2.3), got {value!r}."
        ) from None
    return text


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
        check_route(self.route)
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {self.kind!r}: use one of {', '.join(FAULT_KINDS)}.")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be at least 1 (or None for every call), got {self.times!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be non-negative, got {self.delay!r}")

    def matches(self, path: str) -> bool:
        """Whether a request for ``path`` is one this fault targets."""
        return on_route(self.route, path)

    @property
    def pending(self) -> bool:
        """Whether the fault still has calls to spoil."""
        return self.times is None or self.hits < self.times

    def describe(self) -> str:
        """A one-line account, for journal entries and "unused fault" reports."""
        what = FAULT_KINDS[self.kind](self)
        if self.delay and self.kind != "delay":
            what += f" after {self.delay:g}s"
        count = "every call" if self.times is None else f"{self.hits}/{self.times} used"
        where = f" where {self.match.describe()}" if self.match is not None else ""
        return f"{self.route}{where}: {what} ({count})"


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


#: Each kind of fault, and how it describes itself (what it does is the fault middleware's).
FAULT_KINDS: dict[str, Callable[[Fault], str]] = {
    "status": lambda f: f"status {f.status}",
    "malformed_json": lambda f: "malformed JSON",
    "empty_body": lambda f: "empty body",
    "drop": lambda f: "dropped connection",
    "delay": lambda f: f"latency {f.delay:g}s",
}
