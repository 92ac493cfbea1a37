"""The contract suite's view of the service under test: in-process mock, mock over a socket, or live."""

from __future__ import annotations

import importlib
import json
from base64 import b64encode
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx
import pytest
import requests
import requests.adapters

from labelf_testkit.contract_tests.plugin import NOT_RUN
from labelf_testkit.handle import Credentials
from labelf_testkit.live import LiveBudgetExceeded, LiveGuard, LiveTargetStopped, RequestBudget, on_loopback, trust
from labelf_testkit.mock_server import ClientConfig, MockApp, MockConfig, create_app
from labelf_testkit.mock_server.endpoints import REVOKE_PATH, TOKEN_PATH

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
    #: Live runs: the plugin's guard (shared cap, stop rules, token learning) and the extra CA to trust.
    guard: LiveGuard | None = None
    ca_bundle: str | None = None
    _cache: dict[str, httpx.Response] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """Whether this is the real service (be frugal, never hostile)."""
        return self.mode == "live"

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request.  Once the live run has stopped (credentials rejected, target unreachable) the check is
        "not run" with that reason; once the cap is reached it is skipped, saying so."""
        with self.stopping():
            return self.http.request(method, url, **kwargs)

    @contextmanager
    def stopping(self) -> Iterator[None]:
        """Requests made inside end the check as the live run's rules say: "not run" once the run has stopped,
        skipped once the cap is reached.  Also for tools that bring their own client (schemathesis), where the
        cap would otherwise read as a failing example, whenever the cap happens to run out in a random order."""
        try:
            yield
        except LiveTargetStopped as stopped:
            pytest.skip(f"{NOT_RUN} {stopped}")
        except LiveBudgetExceeded as exc:
            pytest.skip(f"live request cap reached: {exc}")

    def requests_session(self) -> requests.Session:
        """A ``requests`` session for tools that bring their own client (schemathesis): the same guard, the same
        TLS trust (``--labelf-ca-bundle`` included) and the same cap as every other request."""
        session = requests.Session()
        adapter = _GuardedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

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

    def api(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: object = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A call to the API host; ``body`` is sent as JSON."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        headers.update(extra_headers or {})
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            headers["content-type"] = "application/json"
        return self.send(method, f"{self.api_url}{path}", content=content, headers=headers)

    def require_model(self) -> str:
        """The model id to exercise, or skip (live runs need ``LABELF_MODEL_ID``)."""
        if self.model_id is None:
            pytest.skip("no model id: set LABELF_MODEL_ID to check the API against the live service")
        return self.model_id


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """``requests``' adapter with the live guard around each request and the target's TLS trust."""

    def __init__(self, target: ContractTarget) -> None:
        super().__init__()
        self._target = target
        self._context = trust(target.ca_bundle) if target.live else None

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if self._context is not None:  # requests' documented way to bring an SSLContext; verification stays on
            extra: dict[str, Any] = {"ssl_context": self._context, "cert_reqs": "CERT_REQUIRED"}
            pool.update(extra)  # type: ignore[typeddict-item]
        return host, pool

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        method, url = request.method or "GET", request.url or ""
        if on_loopback(url):  # a proxy from the environment (HTTP_PROXY, ALL_PROXY) cannot reach this machine
            kwargs["proxies"] = {}
        guard = self._target.guard
        if guard is None:
            self._target.budget.spend(method, url)
            return super().send(request, *args, **kwargs)
        guard.before(method, url)
        try:
            response = super().send(request, *args, **kwargs)
        except requests.exceptions.ConnectionError as error:  # includes TLS verification failures
            raise guard.unreachable(url, error) from error
        guard.after(method, url, response.status_code, request.headers.get("Authorization"), lambda: response.content)
        return response
