"""The mutable part of a running mock: its clock and its token minter (revocations)."""

from __future__ import annotations

from .clock import Clock, ManualClock
from .config import MockConfig
from .tokens import TokenMinter

__all__ = ["MockState"]


class MockState:
    """Per-app state, reachable as ``app.state.mock``; ``reset()`` gives a test a clean slate."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.clock: Clock = ManualClock()
        self.tokens = TokenMinter(config.token_key, tuple(c.client_id for c in config.clients))

    def reset(self) -> None:
        """Back to the wall clock, with no revocations."""
        if isinstance(self.clock, ManualClock):
            self.clock.reset()
        self.tokens.clear_revocations()
