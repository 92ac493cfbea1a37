"""Faults a test planned that never fired, and why: each one with the requests its route received and how each
differs from the fault's criteria.  One implementation for the plugin's ``assert_all_faults_used`` (the text of
:func:`describe_unused`) and the control API's unused-fault report (its JSON, built from :func:`unused_faults`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .endpoints import on_route
from .faults import Fault
from .journal import JournalEntry

__all__ = ["UnusedFault", "describe_unused", "unused_faults"]


@dataclass(frozen=True)
class UnusedFault:
    """A fault not (fully) used, and, when it has content criteria, each request its route received with why it
    did not match (``None``: it matched, so the fault was used up by earlier calls or is still pending)."""

    fault: Fault
    received: tuple[tuple[JournalEntry, str | None], ...] = ()


def unused_faults(faults: Sequence[Fault], entries: Sequence[JournalEntry]) -> list[UnusedFault]:
    """Each of ``faults`` with, for one with criteria, the ``entries`` on its route and how each differs (or why
    the journal's copy of it cannot tell)."""
    report = []
    for fault in faults:
        received: list[tuple[JournalEntry, str | None]] = []
        if (match := fault.match) is not None:
            for entry in entries:
                if on_route(fault.route, entry.path):
                    received.append((entry, match.undecided(entry.facts) or match.mismatch(entry.facts)))
        report.append(UnusedFault(fault, tuple(received)))
    return report


def describe_unused(faults: Sequence[Fault], entries: Sequence[JournalEntry]) -> str:
    """:func:`unused_faults` as the lines of a failure message."""
    lines = []
    for unused in unused_faults(faults, entries):
        fault = unused.fault
        lines.append(f"  - {fault.describe()}")
        if fault.match is None:
            continue
        for entry, why in unused.received:
            lines.append(f"      {entry} — {'differs: ' + why if why else 'matched'}")
        if not unused.received:
            lines.append(f"      (no request reached {fault.route!r})")
    return "\n".join(lines)
