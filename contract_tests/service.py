"""The contract suite's view of the service under test: in-process mock, mock over a socket, or live."""

from __future__ import annotations

import importlib
import json
from base64 import b64encode
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx
import pytest
from labelf_testkit.mock_server import REVOKE_PATH, TOKEN_PATH, ClientConfig, MockApp, MockConfig, create_app

from labelf_testkit.handle import Credentials
from labelf_testkit.target import LiveBudgetExceeded, RequestBudget

__all__ = ["ENCODING_CLIENT", "GRANT", "ContractTarget", "basic", "contract_app", "contract_config", "load_app"]

GRANT = "grant_type=client_credentials"
FORM = {"content-type": "application/x-www-form-urlencoded"}
#: A mock-only client whose id and secret need RFC 6749 §2.3.1 encoding.
ENCODING_CLIENT = ClientConfig("enc:id ü+%/=", "p:w ü%+&= 😀")


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-url-encode each half, then Basic."""
    return "Basic " + b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()


def contract_config() -> MockConfig:
    """The mock configuration the suite runs against: the documented client plus the encoding client."""
    return MockConfig(clients=(ClientConfig("CLIENT_ID", "CLIENT_SECRET"), ENCODING_CLIENT))


def contract_app() -> MockApp:
    """The default app under test in mock mode."""
    return create_app(contract_config())


def load_app(spec: str | None) -> MockApp:
    """``module:factory`` (a callable returning an ASGI app), or the default mock."""
    if not spec:
        return contract_app()
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise pytest.UsageError(f"--labelf-contract-app expects MODULE:FACTORY, got {spec!r}")
    factory: Callable[[], MockApp] = getattr(importlib.import_module(module_name), attribute)
    return factory()


@dataclass
class ContractTarget:
    """How checks reach the service.  Requests to a live target are counted against ``budget``."""

    mode: Literal["inprocess", "socket", "live"]
    http: httpx.Client
    auth_url: str
    api_url: str
    credentials: Credentials
    model_id: str | None
    budget: RequestBudget
    app: MockApp | None = None
    _cache: dict[str, httpx.Response] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """Whether this is the real service (be frugal, never hostile)."""
        return self.mode == "live"

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request; once the live cap is reached, the check is skipped instead of sent."""
        try:
            return self.http.request(method, url, **kwargs)
        except LiveBudgetExceeded as exc:
            pytest.skip(f"live request cap reached: {exc}")

    def token(
        self,
        body: str | bytes = GRANT,
        authorization: str | None = "default",
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        query: str = "",
    ) -> httpx.Response:
        """A raw request to the token endpoint; ``authorization="default"`` is Basic with the real credentials."""
        all_headers = {**FORM, **(headers or {})}
        if authorization == "default":
            authorization = basic(*self.credentials.auth)
        if authorization is not None:
            all_headers["authorization"] = authorization
        url = f"{self.auth_url}{TOKEN_PATH}" + (f"?{query}" if query else "")
        return self.send(method, url, content=body, headers=all_headers)

    def good_token_response(self) -> httpx.Response:
        """The documented request's answer, fetched once per run (a live request is precious)."""
        if "token" not in self._cache:
            self._cache["token"] = self.token()
        return self._cache["token"]

    def fresh_token(self) -> str:
        """A new access token; skips the check when the target will not issue one."""
        response = self.token()
        if response.status_code != 200:
            pytest.skip(f"the target issued no token (status {response.status_code}); see TOKEN-SUCCESS-001")
        value: str = response.json()["access_token"]
        return value

    def revoke(self, body: str, authorization: str | None = "default") -> httpx.Response:
        """A raw request to the revocation endpoint."""
        headers = dict(FORM)
        if authorization == "default":
            authorization = basic(*self.credentials.auth)
        if authorization is not None:
            headers["authorization"] = authorization
        return self.send("POST", f"{self.auth_url}{REVOKE_PATH}", content=body, headers=headers)

    def api(self, method: str, path: str, token: str | None = None, body: object = None) -> httpx.Response:
        """A call to the API host; ``body`` is sent as JSON."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            headers["content-type"] = "application/json"
        return self.send(method, f"{self.api_url}{path}", content=content, headers=headers)

    def require_model(self) -> str:
        """The model id to exercise, or skip (live runs need ``LABELF_MODEL_ID``)."""
        if self.model_id is None:
            pytest.skip("no model id: set LABELF_MODEL_ID to check the API against the live service")
        return self.model_id
