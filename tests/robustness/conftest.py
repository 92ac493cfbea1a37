"""Every robustness test counts the requests it sent and the 5xx answers it got; the run prints the totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

_SENT, _SERVER_ERRORS = "requests_sent", "responses_5xx"


@dataclass
class Tally:
    """Requests a test sent and how many were answered with a 5xx (which must stay 0)."""

    sent: int = 0
    server_errors: int = 0

    def count(self, status: int) -> int:
        """Record one answer's status; returns it, so a call can be wrapped in place."""
        self.sent += 1
        self.server_errors += status >= 500
        return status


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """A :class:`Tally` for this test; its counts go into the test's report and the run's summary."""
    counts = Tally()
    yield counts
    request.node.user_properties += [(_SENT, counts.sent), (_SERVER_ERRORS, counts.server_errors)]
    print(f"{request.node.nodeid}: sent {counts.sent} requests, {counts.server_errors} got a 5xx")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List, per robustness test, how many requests it sent and how many got a 5xx."""
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = dict(getattr(report, "user_properties", []))
            if getattr(report, "when", None) == "teardown" and _SENT in properties:
                rows.append((report.nodeid, properties[_SENT], properties[_SERVER_ERRORS]))
    if rows:
        terminalreporter.section("robustness: requests sent / answered 5xx")
        for nodeid, sent, errors in sorted(rows):
            terminalreporter.write_line(f"{sent:>7} sent {errors:>3} 5xx  {nodeid}")
