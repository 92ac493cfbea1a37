"""The conformance report: one row per check ID, as Markdown, JSON and a terminal table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labelf_testkit.contract_tests.catalogue import CHECKS

__all__ = ["Report"]

_RANK = {"not run": 0, "skipped": 1, "pass": 2, "deviation": 3, "fail": 4}
_LABEL = {"pass": "pass", "fail": "FAIL", "deviation": "advisory deviation", "skipped": "skipped", "not run": "not run"}


@dataclass
class Report:
    """Results per check ID; a worse outcome from another test replaces a better one."""

    target: str
    redact: Callable[[str], str]
    outcomes: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    requests: int | None = None
    #: Why a live run stopped early (credentials rejected, target unreachable): every check it never reached
    #: is "not run" with this reason.
    stopped: str | None = None

    def record(self, check_id: str, outcome: str, messages: list[str]) -> None:
        """Merge one test's verdict on ``check_id``."""
        if _RANK[outcome] >= _RANK[self.outcomes.get(check_id, "not run")]:
            self.outcomes[check_id] = outcome
        for message in messages:
            note = self.redact(message)
            if note not in self.notes.setdefault(check_id, []):
                self.notes[check_id].append(note)

    def rows(self) -> list[dict[str, object]]:
        """Every catalogued check, in catalogue order."""
        return [
            {
                "id": check.id,
                "outcome": self.outcomes.get(check.id, "not run"),
                "severity": check.severity,
                "group": check.group,
                "statement": check.statement,
                "source": check.source,
                "notes": self.notes.get(check.id) or self._not_run_note(check.id),
            }
            for check in CHECKS.values()
        ]

    def _not_run_note(self, check_id: str) -> list[str]:
        if self.stopped and self.outcomes.get(check_id, "not run") == "not run":
            return [self.redact(f"not run: {self.stopped}")]
        return []

    def counts(self) -> dict[str, int]:
        """How many checks ended in each outcome."""
        counts: dict[str, int] = {}
        for row in self.rows():
            counts[str(row["outcome"])] = counts.get(str(row["outcome"]), 0) + 1
        return counts

    def write(self, path: str | Path) -> tuple[Path, Path]:
        """``<stem>.md`` and ``<stem>.json`` beside ``path``."""
        stem = Path(path).with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "target": self.target,
            "live_requests": self.requests,
            "stopped": self.redact(self.stopped) if self.stopped else None,
            "counts": self.counts(),
            "checks": self.rows(),
        }
        json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
        json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        md_path.write_text(self.markdown(), encoding="utf-8")
        return md_path, json_path

    def markdown(self) -> str:
        """The report as a Markdown document."""
        lines = [
            "# Labelf contract report",
            "",
            f"Target: `{self.target}`"
            + (f" · live requests sent: {self.requests}" if self.requests is not None else ""),
            "",
            *([f"**The run stopped early:** {self.redact(self.stopped)}", ""] if self.stopped else []),
            "| check | outcome | severity | statement | source | notes |",
            "|---|---|---|---|---|---|",
        ]
        for row in self.rows():
            notes = "<br>".join(str(n).replace("|", "\\|") for n in row["notes"])  # type: ignore[attr-defined]
            lines.append(
                f"| {row['id']} | {_LABEL[str(row['outcome'])]} | {row['severity']} | {row['statement']} | "
                f"{row['source']} | {notes} |"
            )
        return "\n".join(lines) + "\n"

    def summary_lines(self) -> list[str]:
        """A short table for the end of the terminal output."""
        counts = self.counts()
        lines = [f"target: {self.target}  " + "  ".join(f"{_LABEL[k]}: {v}" for k, v in sorted(counts.items()))]
        if self.stopped:
            lines.append(f"stopped early: {self.redact(self.stopped)}")
        for row in self.rows():
            if row["outcome"] in {"fail", "deviation"}:
                lines.append(f"  {_LABEL[str(row['outcome'])]:<20} {row['id']:<22} {row['statement']}"[:160])
        return lines
