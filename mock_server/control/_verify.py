"""Call counts and verification over a session's journal, and the near-miss report of a failed one.

The same rules as the Python handle's (``labelf_mock.inference.assert_called(times=1, model_id=2)``): a route
is named as faults name routes, and criteria judge the same facts of a request a fault judges
(:attr:`~..journal.JournalEntry.facts`); a request whose journal copy was cut short cannot be judged on the part
it lost, and says so.  A failed verification says which received requests came closest and how each differs, in the
"differs:" words of the unused-fault report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ..endpoints import on_route
from ..faults import Fault
from ..journal import JournalEntry
from ..matching import MatchArgs, RequestMatch
from ..unused_faults import unused_faults
from ._views import fault_view

__all__ = ["NEAR_MISSES", "Verdict", "calls", "mismatch", "near_misses", "on_route", "unused_report"]

#: How many near misses a failed verification lists.
NEAR_MISSES = 5


def mismatch(matcher: RequestMatch, entry: JournalEntry) -> str | None:
    """Why the recorded ``entry`` fails ``matcher`` (``None`` when it meets it): how it differs, or why its
    journal copy cannot tell."""
    return matcher.undecided(entry.facts) or matcher.mismatch(entry.facts)


def calls(entries: Sequence[JournalEntry], route: str, matcher: RequestMatch | None) -> list[JournalEntry]:
    """The entries on ``route`` that meet ``matcher``."""
    return [e for e in entries if on_route(route, e.path) and (matcher is None or mismatch(matcher, e) is None)]


@dataclass(frozen=True)
class NearMiss:
    """A received request and every way it differs from what was expected."""

    entry: JournalEntry
    differs: tuple[str, ...]

    def view(self) -> dict[str, Any]:
        """As JSON: the entry's one-line summary, its body's start and the differences."""
        return {"request": str(self.entry), "body": self.entry.body[:300], "differs": list(self.differs)}


def near_misses(
    entries: Sequence[JournalEntry], route: str, criteria: Mapping[str, object], limit: int = NEAR_MISSES
) -> list[NearMiss]:
    """The received requests that came closest to ``route`` + ``criteria``, fewest differences first (the most
    recent first among equals); requests that met everything are not misses."""
    singles = {name: RequestMatch.from_args(cast(MatchArgs, {name: value})) for name, value in criteria.items()}
    found = []
    for position, entry in enumerate(entries):
        differs = [] if on_route(route, entry.path) else [f"route: {entry.path} is not on {route!r}"]
        for name, matcher in singles.items():
            why = mismatch(matcher, entry) if matcher is not None else None
            if why is not None:
                differs.append(f"{name}: {why}")
        if differs:
            found.append((len(differs), -position, NearMiss(entry, tuple(differs))))
    found.sort(key=lambda item: (item[0], item[1]))
    return [miss for _, _, miss in found[:limit]]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one verification: ``ok``, the message a failure reads, and what backs it up."""

    ok: bool
    message: str
    count: int
    calls: tuple[JournalEntry, ...] = ()
    misses: tuple[NearMiss, ...] = ()

    def report(self, received: int) -> str:
        """The failure as text: the message, then each near miss and how it differs; or, when the session
        (``received`` requests in its journal) received nothing at all, where its requests may have gone."""
        lines = [self.message]
        if self.misses:
            lines.append("Closest requests received:")
            for miss in self.misses:
                lines.append(f"  - {miss.entry} — differs: {'; '.join(miss.differs)}")
        elif not self.ok and received == 0:
            lines.append(NOTHING_RECEIVED)
        return "\n".join(lines)


#: What a failed verification adds when its session's journal is empty.
NOTHING_RECEIVED = (
    "This session received no request at all. A request is journaled in the session whose client id, token or "
    "API key it carries: one sent with the built-in clients (CLIENT_ID) goes to the default session, one with "
    "another session's credentials to that session (docs/guide/sessions.md)."
)


def unused_report(faults: Sequence[Fault], entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
    """Each unused fault, and for one with criteria each request its route received and how it differs (the
    Python handle's ``assert_all_faults_used`` report, as JSON: :func:`~..unused_faults.unused_faults`)."""
    return [
        {
            "fault": fault_view(unused.fault, 0)["description"],
            "received": [{"request": str(entry), "differs": why} for entry, why in unused.received],
        }
        for unused in unused_faults(faults, entries)
    ]
