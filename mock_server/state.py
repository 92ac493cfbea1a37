"""The mutable part of a running mock: clock, revocations, planned faults and the request journal."""

from __future__ import annotations

from collections.abc import Callable

from ._tokens import TokenMinter
from .clock import Clock, ManualClock
from .config import ClientConfig, MockConfig
from .faults import FaultPlan
from .journal import Journal
from .scripts import Scripts

__all__ = ["MockState"]


class MockState:
    """Per-app state, reachable as ``app.state.mock``; ``reset()`` gives a test a clean slate."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.clock: Clock = ManualClock()
        self.tokens = TokenMinter(config.token_key, tuple(c.client_id for c in config.clients))
        self.faults = FaultPlan(config.max_body_bytes)
        #: Scripted answers and per-test model states (``labelf_mock.model(2).answer(...)``).
        self.scripts = Scripts(config)
        self.journal = Journal()
        #: Overrides every client's token lifetime while set (the plugin's "token expires after T").
        self.expires_in_override: int | None = None
        #: Where the mock is served (``http://127.0.0.1:PORT``), set by whoever serves it: discovery's default
        #: issuer.  ``None`` in-process, where the issuer defaults to Labelf's auth host.
        self.base_url: str | None = None

    def expires_in(self, client: ClientConfig) -> int:
        """The lifetime of a token issued now to ``client``."""
        return self.expires_in_override or client.expires_in or self.config.expires_in

    def on_token_issued(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with every access token this mock issues from now on (kept across ``reset()``)."""
        self.tokens.listeners.append(listener)

    def reset(self) -> None:
        """Back to the wall clock, with no revocations, faults, scripts, journal or lifetime override."""
        if isinstance(self.clock, ManualClock):
            self.clock.reset()
        self.tokens.clear_revocations()
        self.faults.clear()
        self.scripts.clear()
        self.journal.clear()
        self.expires_in_override = None
