"""The cap across processes that share a run's budget file, as ``--forked`` children do (pytest-forked itself
cannot run on the pytest this project pins: it fails to serialise pytest 9's reports, with or without the kit)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labelf_testkit.live import SharedBudget

_CHILD = """
import sys
from labelf_testkit.live import LiveBudgetExceeded, SharedBudget

budget = SharedBudget(int(sys.argv[1]), sys.argv[2])
allowed = 0
for _ in range(5):
    try:
        budget.spend("POST", "https://auth.example/oauth2/token")
        allowed += 1
    except LiveBudgetExceeded:
        pass
print(allowed)
"""


@pytest.mark.slow
def test_processes_sharing_the_budget_file_send_at_most_the_cap() -> None:
    budget = SharedBudget.create(limit=10)
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, "10", budget.path], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    try:
        allowed = [int(child.communicate(timeout=60)[0]) for child in children]
        assert sum(allowed) == 10  # 20 attempts from 4 processes at once: exactly the cap got through
        assert budget.spent == 10
    finally:
        os.unlink(budget.path)
