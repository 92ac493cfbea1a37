"""Where the tests send their requests: the mock on a socket, or the live Labelf service, through the live
run's guard (one request budget, TLS verified, a stop when the target is unusable)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from .handle import Credentials
from .live import LiveBudgetExceeded, LiveGuard, LiveTargetStopped, RequestBudget, basic_headers, trust
from .mock_server.internal import REVOKE_PATH, TOKEN_PATH

__all__ = ["GuardedTransport", "LiveBudgetExceeded", "LiveTargetStopped", "RequestBudget", "Target"]


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the live guard around each request."""

    def __init__(self, guard: LiveGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.guard.before(request.method, url)
        try:
            response = super().handle_request(request)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise self.guard.unreachable(url, error) from error

        def body() -> bytes:
            return response.read()

        try:
            self.guard.after(request.method, url, response.status_code, request.headers.get("authorization"), body)
        except LiveTargetStopped:
            response.close()
            raise
        return response


@dataclass(frozen=True)
class Target:
    """The service under test: ``kind`` is ``mock`` (the socket server) or ``live``.

    ``learn_token`` hears every access token the target issues to this run (the plugin's redaction)."""

    kind: Literal["mock", "live"]
    auth_url: str
    api_url: str
    credentials: Credentials | None
    budget: RequestBudget
    ca_bundle: str | None = None
    learn_token: Callable[[str], None] | None = None

    @property
    def token_url(self) -> str:
        """``{auth_url}/oauth2/token``."""
        return f"{self.auth_url}{TOKEN_PATH}"

    @property
    def revoke_url(self) -> str:
        """``{auth_url}/oauth2/revoke``."""
        return f"{self.auth_url}{REVOKE_PATH}"

    def verify(self) -> ssl.SSLContext:
        """TLS verification for any client: always on; the usual CAs plus ``ca_bundle`` when given."""
        return trust(self.ca_bundle)

    def guard(self) -> LiveGuard:
        """The budget, stop rules and token learning every request to this target goes through."""
        credentials = basic_headers(*self.credentials.auth) if self.credentials else frozenset()
        return LiveGuard(self.budget, self.token_url, credentials, self.learn_token, live=self.kind == "live")

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client that verifies TLS and sends every request through :meth:`guard`."""
        transport = GuardedTransport(self.guard(), verify=self.verify())
        return httpx.Client(transport=transport, timeout=30.0, **kwargs)
