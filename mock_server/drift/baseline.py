"""The baseline: findings a user has accepted, each until a date.

A JSON file of entries ``{"case", "kind", "location", "until", "live", "mock", "fidelity"}``.  A finding
matching an entry (same case, kind and location) whose ``until`` is today or later is *accepted*; once the
date has passed the entry has expired and the finding is new drift again, so an accepted difference is
looked at again rather than forgotten.  Values are the report's redacted ones: a baseline holds no secret.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .live import DriftError
from .runner import Finding

__all__ = ["Baseline", "Verdict", "classify"]

Status = Literal["new", "accepted", "expired", "noise"]


@dataclass(frozen=True)
class Verdict:
    """A finding and what the baseline says of it; ``until`` is the entry's date when there is one."""

    finding: Finding
    status: Status
    until: dt.date | None = None

    @property
    def is_drift(self) -> bool:
        """Whether this finding makes the run exit 1."""
        return self.status in {"new", "expired"}


@dataclass(frozen=True)
class Baseline:
    """Accepted findings by (case, kind, location), each with its last accepted day."""

    entries: dict[tuple[str, str, str], dt.date]

    @classmethod
    def load(cls, path: str | Path) -> Baseline:
        """Read a baseline file; a missing or malformed file is a :class:`DriftError` naming it."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise DriftError(f"--baseline {str(path)!r} cannot be read: {exc.strerror}") from None
        except ValueError as exc:
            raise DriftError(f"--baseline {str(path)!r} is not JSON: {exc}") from None
        entries: dict[tuple[str, str, str], dt.date] = {}
        for index, raw in enumerate(document.get("accepted", []) if isinstance(document, dict) else [None]):
            try:
                entries[(raw["case"], raw["kind"], raw["location"])] = dt.date.fromisoformat(raw["until"])
            except (TypeError, KeyError, ValueError):
                raise DriftError(
                    f"--baseline {str(path)!r}: accepted[{index}] needs case, kind, location and until (YYYY-MM-DD)"
                ) from None
        return cls(entries)

    @staticmethod
    def write(path: str | Path, findings: list[Finding], until: dt.date) -> None:
        """Accept every finding that is not noise until ``until`` (inclusive)."""
        accepted: list[dict[str, Any]] = [
            {
                "case": f.case,
                "kind": f.kind,
                "location": f.location,
                "until": until.isoformat(),
                "live": f.live,
                "mock": f.mock,
                "fidelity": f.fidelity,
            }
            for f in findings
            if not f.noise
        ]
        document = {
            "about": "Findings of `labelf-mock drift` accepted until a date; see docs/drift.md.",
            "accepted": accepted,
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # folders made as needed, as for --report
        Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def classify(findings: list[Finding], baseline: Baseline | None, today: dt.date) -> list[Verdict]:
    """Each finding as noise, accepted (an entry until today or later), expired (an older entry) or new."""
    verdicts = []
    for finding in findings:
        until = baseline.entries.get(finding.key) if baseline else None
        if finding.noise:
            verdicts.append(Verdict(finding, "noise", until))
        elif until is None:
            verdicts.append(Verdict(finding, "new"))
        else:
            verdicts.append(Verdict(finding, "accepted" if until >= today else "expired", until))
    return verdicts
