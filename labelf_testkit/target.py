"""Where the tests send their requests: the mock on a socket, or the live Labelf service, with a budget."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from typing import Literal

import httpx

from .handle import Credentials
from .mock_server import REVOKE_PATH, TOKEN_PATH

__all__ = ["LiveBudgetExceeded", "RequestBudget", "Target"]


class LiveBudgetExceeded(RuntimeError):
    """More requests than ``--labelf-max-live-requests`` were about to be sent to a live target."""


class RequestBudget:
    """A hard cap on requests, counted before each one is sent; thread-safe."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self._lock = threading.Lock()

    def spend(self, request: httpx.Request) -> None:
        """Count ``request``; refuse it if the cap is reached (an httpx ``request`` event hook)."""
        with self._lock:
            if self.limit is not None and self.spent >= self.limit:
                raise LiveBudgetExceeded(
                    f"Refusing {request.method} {request.url.path}: the cap of {self.limit} live requests "
                    "(--labelf-max-live-requests) is reached."
                )
            self.spent += 1


@dataclass(frozen=True)
class Target:
    """The service under test: ``kind`` is ``mock`` (the socket server) or ``live``."""

    kind: Literal["mock", "live"]
    auth_url: str
    api_url: str
    credentials: Credentials | None
    budget: RequestBudget
    ca_bundle: str | None = None

    @property
    def token_url(self) -> str:
        """``{auth_url}/oauth2/token``."""
        return f"{self.auth_url}{TOKEN_PATH}"

    @property
    def revoke_url(self) -> str:
        """``{auth_url}/oauth2/revoke``."""
        return f"{self.auth_url}{REVOKE_PATH}"

    def verify(self) -> ssl.SSLContext | bool:
        """TLS verification for httpx: always on; with the extra CA when one is given."""
        return ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else True

    def client(self, **kwargs: object) -> httpx.Client:
        """An httpx client that verifies TLS and spends this target's request budget."""
        hooks = {"request": [self.budget.spend]}
        return httpx.Client(verify=self.verify(), event_hooks=hooks, timeout=30.0, **kwargs)  # type: ignore[arg-type]
