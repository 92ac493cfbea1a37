"""A latency fault lasts at least its delay by ``perf_counter``, also when the loop's timer ends a sleep early
(uvloop's millisecond timers did: ``labelf-mock serve`` answered a 0.05 s latency after 0.0497 s)."""

from __future__ import annotations

import asyncio
from time import perf_counter

import anyio
import pytest

from labelf_testkit.mock_server.middleware import faults


def test_a_sleep_the_timer_ends_early_is_slept_on(monkeypatch: pytest.MonkeyPatch) -> None:
    real_sleep = asyncio.sleep
    asked: list[float] = []

    async def early(seconds: float) -> None:  # a timer that wakes up 40% early, as a coarse one may
        asked.append(seconds)
        await real_sleep(seconds * 0.6)

    monkeypatch.setattr(anyio, "sleep", early)  # the name faults.sleep_at_least calls
    started = perf_counter()
    asyncio.run(faults.sleep_at_least(0.05))
    assert perf_counter() - started >= 0.05
    assert len(asked) >= 2 and asked[0] == 0.05  # slept again for what the first sleep left out
