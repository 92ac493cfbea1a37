"""Time as the mock sees it: the wall clock, or one that tests freeze and move by hand."""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Anything with ``now()`` returning Unix seconds; token issue and expiry read nothing else."""

    def now(self) -> float:
        """The current time in seconds since the epoch."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        """``time.time()``."""
        return time.time()


class ManualClock:
    """A clock that follows the wall clock until frozen, and can then be moved forward or set.

    Thread-safe, because the socket server reads it from its own thread while a test moves it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: float | None = None
        self._offset = 0.0

    def now(self) -> float:
        """Frozen time if frozen, otherwise wall time plus everything advanced so far."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        """Whether time stands still (``freeze()`` was called and the clock not reset since)."""
        with self._lock:
            return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> None:
        """Stop time at ``at`` (Unix seconds), or at the current mock time."""
        current = self.now()
        with self._lock:
            self._frozen_at = current if at is None else float(at)

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, frozen or not."""
        if seconds < 0:
            raise ValueError(f"advance() takes a non-negative number of seconds, got {seconds!r}")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def reset(self) -> None:
        """Follow the wall clock again."""
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0
