"""The fast loop, ``pytest -m "not slow"``, starts no process: a test that would is marked ``slow``."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import pytest_collection_modifyitems


def test_a_test_not_marked_slow_cannot_start_a_process(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("slow") is None
    with pytest.raises(RuntimeError, match=r"starts a process .*mark it @pytest.mark.slow"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


@pytest.mark.slow
def test_a_slow_test_may_start_one() -> None:
    assert subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True, text=True).stdout == "ok\n"


class _Item:
    def __init__(self, *fixturenames: str) -> None:
        self.fixturenames = fixturenames
        self.markers: list[str] = []

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker.name)


def test_tests_that_use_a_process_fixture_are_marked_slow() -> None:
    pytester, served, plain = _Item("tmp_path", "pytester"), _Item("served_mock"), _Item("tmp_path", "client")
    pytest_collection_modifyitems([pytester, served, plain])  # type: ignore[list-item]
    assert (pytester.markers, served.markers, plain.markers) == (["slow"], ["slow"], [])


def test_hypothesis_examples_are_never_timed() -> None:
    active = settings()  # the loaded profile's values
    assert active.deadline is None
    assert HealthCheck.too_slow in active.suppress_health_check
