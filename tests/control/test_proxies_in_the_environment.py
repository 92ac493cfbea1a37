"""The kit's own clients reach a mock on loopback past a proxy in the environment (company CI sets
``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY``): a proxy cannot reach this machine's loopback, so ``connect()``,
``--labelf-mock-url``, ``labelf-mock drift`` and ``record`` against a local mock would all fail through it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import httpx
import pytest
import requests

from labelf_testkit import connect
from labelf_testkit.contract_tests.service import ContractTarget
from labelf_testkit.handle import Credentials
from labelf_testkit.live import RequestBudget, on_loopback
from labelf_testkit.mock_server import MockApp, SocketServer, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp
from labelf_testkit.mock_server.drift.live import LiveCap, LiveService
from labelf_testkit.mock_server.hosts import direct_to_loopback, is_loopback_host

DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: a request sent to it is refused


@pytest.fixture
def dead_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, DEAD_PROXY)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    server = SocketServer(cast(MockApp, ControlledApp(create_app(), ControlAccess())))
    server.start()
    yield server.base_url
    server.stop()


@pytest.mark.usefixtures("dead_proxy")
def test_the_proxy_really_is_in_the_way(served: str) -> None:
    with httpx.Client() as http, pytest.raises(httpx.ConnectError):
        http.get(f"{served}/__labelf")


@pytest.mark.usefixtures("dead_proxy")
def test_connect_reaches_a_loopback_mock(served: str) -> None:
    with connect(served) as remote:
        remote.inference.fail(status=503)
        assert remote.unused_faults() == ["inference: status 503 (0/1 used)"]


@pytest.mark.usefixtures("dead_proxy")
def test_drift_and_record_reach_a_loopback_live_service(served: str) -> None:
    live = LiveService(served, served, LiveCap(2))
    try:
        assert live.send("GET", f"{served}/v2/models", {}, b"").status == 401  # the mock's answer, not the proxy's
    finally:
        live.close()


@pytest.mark.usefixtures("dead_proxy")
def test_the_contract_suites_requests_session_reaches_a_loopback_target(served: str) -> None:
    """schemathesis sends through it, in socket mode and in live mode against a loopback labelf-mock serve."""
    with httpx.Client() as http:
        target = ContractTarget(
            "socket", http, served, served, Credentials("CLIENT_ID", "CLIENT_SECRET"), "1", RequestBudget(None)
        )
        with target.requests_session() as session:
            assert session.get(f"{served}/v2/models").status_code == 401  # the mock's answer, not the proxy's
            with pytest.raises(requests.exceptions.ProxyError):  # another host still goes through the proxy
                session.get("http://mock-host.invalid/v2/models", timeout=5)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("https://[::1]/v2", True),
        ("http://localhost", True),
        ("https://api.labelf.ai", False),
        ("x", False),
    ],
)
def test_on_loopback(url: str, loopback: bool) -> None:
    assert on_loopback(url) is loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("mock.localhost", False),  # a system resolver may ask DNS for it (RFC 6761 §6.3 is a "should")
        ("10.0.0.1", False),
        ("mock-host", False),
        ("api.app.labelf.ai", False),
        ("localhost.example", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_only_loopback_urls_go_direct() -> None:
    urls = ("http://127.0.0.1:8080", "https://[::1]:8443/v2", "https://api.app.labelf.ai", "http://mock-host:8080")
    assert direct_to_loopback(*urls) == {"all://127.0.0.1": None, "all://[::1]": None}
