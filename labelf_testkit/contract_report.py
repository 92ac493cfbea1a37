"""Collecting the contract suite's verdicts where every test report arrives, also under pytest-xdist.

The suite's conftest attaches each check's verdict to the test report (``user_properties``); this part of the
plugin, which also runs in xdist's controller (where the suite's conftest is never loaded), merges them into
one report and writes it once.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest

from .redact import Redactor
from .target import RequestBudget

if TYPE_CHECKING:
    from contract_tests.report import Report

__all__ = ["LIVE_BUDGET", "CheckReportPlugin"]

#: Where the suite's conftest keeps the live request budget (same process only: live runs refuse xdist).
LIVE_BUDGET = pytest.StashKey[RequestBudget]()


class CheckReportPlugin:
    """Merges ``labelf_check`` user properties; prints the summary and writes ``--labelf-report``."""

    def __init__(self, config: pytest.Config, target: str, path: str | None) -> None:
        self.config = config
        self.target = target
        self.path = path
        self.report: Report | None = None

    def _report(self) -> Report:
        if self.report is None:
            from contract_tests.report import Report  # the suite ships in the same distribution

            self.report = Report(self.target, Redactor([os.environ.get("LABELF_CLIENT_SECRET", "")]))
        return self.report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Merge verdicts (idempotent across a test's phases)."""
        for name, value in report.user_properties:
            if name == "labelf_check":
                entry = json.loads(str(value))
                self._report().record(entry["id"], entry["outcome"], entry["messages"])

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """A short table, the live request count, and the Markdown/JSON report when asked for."""
        if self.report is None:
            return
        budget = self.config.stash.get(LIVE_BUDGET, None)
        if self.target == "live" and budget is not None:
            self.report.requests = budget.spent
        terminalreporter.section("labelf contract summary")
        for line in self.report.summary_lines():
            terminalreporter.write_line(line)
        if self.report.requests is not None and budget is not None:
            terminalreporter.write_line(f"live requests sent: {budget.spent} of at most {budget.limit}")
        if self.path:
            md_path, json_path = self.report.write(self.path)
            terminalreporter.write_line(f"report: {md_path} and {json_path}")
