"""The drift report: ``PATH.md`` for people, ``PATH.json`` for tools, and the terminal summary.

Every value in them went through the run's redactor (the secret, every token seen, anything shaped like a
credential); the client secret itself is never an input here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .baseline import Verdict
from .runner import DriftRun, as_dict

__all__ = ["markdown", "summary_lines", "to_json", "write_report"]

_SECTIONS = (
    ("new", "New drift", "The mock differs from the live service here, and no baseline entry accepts it."),
    ("expired", "Expired baseline entries", "Accepted once; the acceptance has run out, so this counts as drift."),
    ("accepted", "Accepted (baseline)", "Known differences, accepted until the date shown."),
    ("noise", "Noise", "The live service itself answered identical requests differently here (--repeat)."),
)
_ADVICE = """## What to do with a finding

- **The mock should mirror your workspace** (models, labels, token lifetime): change its configuration —
  `labelf-mock snapshot --out labelf-mock.toml` rewrites it from the live service — and rerun.
- **The mock copies Labelf wrongly** (a header, an error text, a status, a body shape): open an issue for
  labelf-testkit with the finding's kind, location, request and fidelity row, and the live and mock values from
  this report (they are redacted).  The fidelity row names the behaviour in the
  Fidelity table of labelf-testkit's docs/fidelity.md.
- **You accept it for now**: `labelf-mock drift --update-baseline drift-baseline.json --baseline-days 30`, then
  run with `--baseline drift-baseline.json`; the entry expires after the date and the finding comes back.
"""


def _counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    counts = {status: 0 for status, _, _ in _SECTIONS}
    for verdict in verdicts:
        counts[verdict.status] += 1
    return counts


def _cell(value: object) -> str:
    if value is None:
        return "—"
    text = str(value).replace("`", "'").replace("|", "\\|").replace("\n", "⏎").replace("\r", "")
    return f"`{text}`" if text else '`""`'


def _table(verdicts: list[Verdict], with_until: bool) -> list[str]:
    header = "| case | kind | location | live | mock | fidelity row |" + (" until |" if with_until else "")
    rows = [header, "|---" * (7 if with_until else 6) + "|"]
    for v in verdicts:
        f = v.finding
        cells = [f.case, f.kind, _cell(f.location), _cell(f.live), _cell(f.mock), f.fidelity]
        if with_until:
            cells.append(v.until.isoformat() if v.until else "—")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def markdown(run: DriftRun, verdicts: list[Verdict]) -> str:
    """The Markdown report."""
    counts = _counts(verdicts)
    options = run.options
    lines = [
        "# Labelf drift report",
        "",
        f"Live service: auth `{options.auth_url}`, API `{options.api_url}`"
        f"{f' (inference matched the {run.generation} API generation)' if run.generation else ''}. "
        f"Mock configuration: {run.config_source}. "
        f"Model: {run.model_id or '(none)'}. Each live request sent {options.repeat} time(s); "
        f"{run.live_requests} live requests of at most {options.max_requests}.",
        "",
        f"**{counts['new'] + counts['expired']} drift** ({counts['new']} new, {counts['expired']} expired), "
        f"{counts['accepted']} accepted, {counts['noise']} noise. labelf-testkit {version('labelf-testkit')}.",
    ]
    for status, title, about in _SECTIONS:
        chosen = [v for v in verdicts if v.status == status]
        if chosen:
            lines += ["", f"## {title}", "", about, "", *_table(chosen, status in {"accepted", "expired"})]
    lines += ["", "## Requests", "", "| case | request | live status | mock status |", "|---|---|---|---|"]
    for case in run.cases:
        live = ", ".join(str(s) for s in case.live_status) or "—"
        mock = str(case.mock_status) if case.mock_status is not None else f"not sent: {case.skipped}"
        lines.append(f"| {case.name} | {_cell(case.request)} | {live} | {mock} |")
    if run.snapshot_skipped:
        title = "Notes" if run.advice else "Left out of the snapshot"  # recordings bring their own advice and notes
        lines += ["", f"{title}: " + "; ".join(run.snapshot_skipped) + "."]
    return "\n".join(lines) + "\n\n" + (run.advice or _ADVICE)


def to_json(run: DriftRun, verdicts: list[Verdict]) -> dict[str, Any]:
    """The JSON report."""
    options = run.options
    return {
        "tool": "labelf-mock drift",
        "version": version("labelf-testkit"),
        "live": {"auth_url": options.auth_url, "api_url": options.api_url},
        "mock_config": run.config_source,
        "api_generation": run.generation,
        "model_id": run.model_id,
        "repeat": options.repeat,
        "live_requests": run.live_requests,
        "max_requests": options.max_requests,
        "summary": _counts(verdicts),
        "findings": [
            {**as_dict(v.finding), "status": v.status, "until": v.until.isoformat() if v.until else None}
            for v in verdicts
        ],
        "cases": [
            {
                "case": c.name,
                "request": c.request,
                "live_status": list(c.live_status),
                "mock_status": c.mock_status,
                "skipped": c.skipped,
            }
            for c in run.cases
        ],
        "snapshot_skipped": run.snapshot_skipped,
    }


def write_report(path: str | Path, run: DriftRun, verdicts: list[Verdict]) -> tuple[Path, Path]:
    """Write ``PATH.md`` and ``PATH.json``; returns both paths."""
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    md, js = base.with_name(base.name + ".md"), base.with_name(base.name + ".json")
    md.write_text(markdown(run, verdicts), encoding="utf-8")
    js.write_text(json.dumps(to_json(run, verdicts), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js


def summary_lines(run: DriftRun, verdicts: list[Verdict]) -> list[str]:
    """What the terminal shows: one line per drift finding, then the counts."""
    lines = []
    for v in verdicts:
        if v.is_drift:
            f = v.finding
            expired = f" (baseline entry expired {v.until})" if v.status == "expired" else ""
            where = f"{f.kind} {f.location} in {f.case}{expired}"
            lines.append(f"DRIFT {where}: live {f.live}, mock {f.mock} [fidelity: {f.fidelity}]")
    counts = _counts(verdicts)
    lines.append(
        f"labelf-mock drift: {counts['new'] + counts['expired']} drift, {counts['accepted']} accepted, "
        f"{counts['noise']} noise; {run.live_requests} live requests (cap {run.options.max_requests})"
        + (f"; live inference matched the {run.generation} API generation" if run.generation else "")
    )
    return lines
