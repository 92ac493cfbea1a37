"""Fixtures for the control API's tests: the mock behind its control API, in-process and on a socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from labelf_testkit.mock_server import InProcessTransport, MockConfig, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp, SessionLimits

BASE = "http://127.0.0.1:8080"
DEFAULT = "/__labelf/sessions/default"


@pytest.fixture
def controlled(mock_config: MockConfig) -> ControlledApp:
    """The mock (default config) behind its control API, loopback rules, no token."""
    return ControlledApp(create_app(mock_config), ControlAccess(), SessionLimits(max_sessions=5, journal_size=50))


@pytest.fixture
def http(controlled: ControlledApp) -> Iterator[httpx.Client]:
    """One client for both the control API and the mock, in-process (peer 127.0.0.1)."""
    with httpx.Client(transport=InProcessTransport(controlled), base_url=BASE) as client:
        yield client


def token_of(http: httpx.Client, auth: tuple[str, str] = ("CLIENT_ID", "CLIENT_SECRET")) -> str:
    """An access token from the mock's token endpoint."""
    response = http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def classify(http: httpx.Client, token: str, texts: list[str], model: int = 1) -> httpx.Response:
    """One inference call."""
    return http.post(
        f"/v2/models/{model}/inference", json={"texts": texts}, headers={"authorization": f"Bearer {token}"}
    )
