"""The contract suite's own pytest plugin (entry point ``labelf_contract``): its options, its report, and the
merge of verdicts that also runs on pytest-xdist's controller, where the suite's conftest is never loaded.

The suite's conftest attaches each check's verdict to the test report (``user_properties``); this plugin merges
them into one report and writes it once.  Loading it imports nothing heavy.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from labelf_testkit._redaction_hooks import redactor
from labelf_testkit.live import live_budget
from labelf_testkit.options import add_option, is_live, setting

if TYPE_CHECKING:
    from labelf_testkit.contract_tests.report import Report
    from labelf_testkit.live import RequestBudget

__all__ = ["MOCK_BUDGET", "NOT_RUN", "CheckReportPlugin", "target_mode"]

#: The counter of requests sent to the mock (a live run's budget is the plugin's, shared by every process).
MOCK_BUDGET: pytest.StashKey[RequestBudget] = pytest.StashKey()
#: Marks a skip that means "never sent, because the live run stopped": the report lists those checks as not run.
NOT_RUN = "not run:"
PACKAGE = __name__.rpartition(".")[0]
#: What the suite needs beyond the base install, and the extra that brings it.
_NEEDS = ("hypothesis", "schemathesis", "requests")
_EXTRA = "labelf-testkit[contract]"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options, in the ``labelf`` group; each also reads an ini key of the same name."""

    def option(name: str, help: str, default: str | None = None, **kwargs: Any) -> None:
        add_option(parser, name, help, default, **kwargs)

    option("--labelf-report", "write the contract suite's per-check report to PATH (.md and .json)")
    option(
        "--labelf-mock-transport",
        "contract suite in mock mode: inprocess (default) or socket",
        "inprocess",
        choices=["inprocess", "socket"],
    )
    option("--labelf-contract-app", "contract suite in mock mode: MODULE:FACTORY returning the app to check")


def target_mode(config: pytest.Config) -> str:
    """``live``, or how the mock is reached: ``inprocess`` (default) or ``socket``."""
    return "live" if is_live(config) else setting(config, "labelf_mock_transport") or "inprocess"


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _runs_the_suite(config: pytest.Config) -> bool:
    here = Path(__file__).resolve().parent
    for arg in config.args:
        target = arg.split("::", 1)[0]
        if config.option.pyargs and (target == PACKAGE or target.startswith(PACKAGE + ".")):
            return True
        path = Path(target).resolve()
        if path == here or here in path.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run the suite without its extra; register the report writer (on the controller only)."""
    if _runs_the_suite(config):
        missing = [name for name in _NEEDS if not _importable(name)]
        if missing:
            raise pytest.UsageError(f"the Labelf contract suite needs {', '.join(missing)}: pip install '{_EXTRA}'")
    if not hasattr(config, "workerinput"):  # xdist workers send their reports to the controller
        plugin = CheckReportPlugin(config, target_mode(config), setting(config, "labelf_report"))
        config.pluginmanager.register(plugin, "labelf-contract-report")


class CheckReportPlugin:
    """Merges ``labelf_check`` user properties; prints the summary and writes ``--labelf-report``."""

    def __init__(self, config: pytest.Config, target: str, path: str | None) -> None:
        self.config = config
        self.target = target
        self.path = path
        self.report: Report | None = None

    def _report(self) -> Report:
        if self.report is None:
            from labelf_testkit.contract_tests.report import Report

            # The run's redactor: live credentials, configured secrets, tokens issued or received (each worker
            # has already redacted its own verdicts; this is the second pass, on the process that writes).
            self.report = Report(self.target, redactor(self.config))
        return self.report

    def _budget(self) -> RequestBudget | None:
        return live_budget(self.config) if self.target == "live" else self.config.stash.get(MOCK_BUDGET, None)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Merge verdicts (idempotent across a test's phases)."""
        for name, value in report.user_properties:
            if name == "labelf_check":
                entry = json.loads(str(value))
                self._report().record(entry["id"], entry["outcome"], entry["messages"])

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """A short table, the live request count, and the Markdown/JSON report when asked for."""
        budget = self._budget()
        stopped = budget.stopped if budget is not None and self.target == "live" else None
        if self.report is None and stopped is None:
            return
        report = self._report()
        if self.target == "live" and budget is not None:
            report.requests = budget.spent
            report.stopped = stopped
        terminalreporter.section("labelf contract summary")
        for line in report.summary_lines():
            terminalreporter.write_line(line)
        if report.requests is not None and budget is not None:
            terminalreporter.write_line(f"live requests sent: {budget.spent} of at most {budget.limit}")
        if self.path:
            md_path, json_path = report.write(self.path)
            terminalreporter.write_line(f"report: {md_path} and {json_path}")
