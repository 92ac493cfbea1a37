"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures and redaction."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mock_server import MockConfig, create_app

from .contract_report import CheckReportPlugin
from .handle import Credentials, LabelfMock
from .intercept import LABELF_HOSTS, intercept, release_transports
from .redact import Redactor
from .server import SocketServer
from .target import DEFAULT_LIVE_API_URL, DEFAULT_LIVE_AUTH_URL, RequestBudget, Target

__all__ = ["MarkerOptions", "setting", "target_mode"]

_REDACTOR = pytest.StashKey[Redactor]()
_RESTARTS = pytest.StashKey[list[str]]()
_MOCK_ONLY = "mock-only fixture: it is not available with --labelf-target=live"


@dataclass(frozen=True, kw_only=True)
class MarkerOptions:
    """Options of ``@pytest.mark.labelf(...)``; unknown keywords are a ``TypeError``."""

    assert_all_faults_used: bool | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``labelf`` option group; each option also reads an ini key of the same name."""
    group = parser.getgroup("labelf", "labelf-testkit: mock and live Labelf targets")

    def option(name: str, help: str, default: str | None = None, **kwargs: Any) -> None:
        ini = name.removeprefix("--").replace("-", "_")
        group.addoption(name, dest=ini, default=None, help=f"{help} (ini: {ini})", **kwargs)
        parser.addini(ini, help=help, default=default)

    option(
        "--labelf-target",
        "mock (default) or live: where labelf_target, labelf_token and labelf_http point",
        "mock",
        choices=["mock", "live"],
    )
    option("--labelf-auth-url", f"live auth base URL (default {DEFAULT_LIVE_AUTH_URL})", DEFAULT_LIVE_AUTH_URL)
    option("--labelf-api-url", f"live API base URL (default {DEFAULT_LIVE_API_URL})", DEFAULT_LIVE_API_URL)
    option("--labelf-ca-bundle", "extra CA bundle to trust for the live target (verification stays on)")
    option("--labelf-max-live-requests", "hard cap on HTTP requests to a live target", "60")
    option("--labelf-report", "write the contract suite's per-check report to PATH (.md and .json)")
    option(
        "--labelf-mock-transport",
        "contract suite in mock mode: inprocess (default) or socket",
        "inprocess",
        choices=["inprocess", "socket"],
    )
    option("--labelf-contract-app", "contract suite in mock mode: MODULE:FACTORY returning the app to check")
    option(
        "--labelf-assert-all-faults-used", "fail tests whose planned faults were never triggered (true/false)", "false"
    )


def setting(config: pytest.Config, name: str) -> str | None:
    """A ``--labelf-*`` option by its dest name (``labelf_target``), else its ini key, else ``None``."""
    value = config.getoption(name)
    if value is None:
        value = config.getini(name) or None
    return str(value) if value is not None else None


def pytest_configure(config: pytest.Config) -> None:
    """Register markers and the redactor."""
    config.addinivalue_line(
        "markers",
        "labelf(assert_all_faults_used=None): per-test options of the labelf_mock fixture.",
    )
    config.addinivalue_line(
        "markers",
        "labelf_intercept(block_other_hosts=False): route requests/httpx calls to Labelf's production hosts "
        "into the mock in-process (uses the labelf_intercept fixture).",
    )
    secrets = [os.environ.get("LABELF_CLIENT_SECRET", "")]
    config.stash[_REDACTOR] = Redactor(secrets)
    if _is_live(config) and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--labelf-target=live runs in one process (drop -n) so the live request cap holds.")
    if not hasattr(config, "workerinput"):  # xdist workers send their reports to the controller
        plugin = CheckReportPlugin(config, target_mode(config), setting(config, "labelf_report"))
        config.pluginmanager.register(plugin, "labelf-contract-report")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``@pytest.mark.labelf_intercept`` pulls in the ``labelf_intercept`` fixture."""
    for item in items:
        if not isinstance(item, pytest.Function) or not item.get_closest_marker("labelf_intercept"):
            continue
        if "labelf_intercept" not in item.fixturenames:
            item.fixturenames.append("labelf_intercept")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Scrub secrets and tokens from failure reports and captured output (terminal, JUnit XML, logs)."""
    report = yield
    redact = item.config.stash.get(_REDACTOR, None)
    if redact is not None:
        if report.longrepr is not None:
            text = str(report.longrepr)
            scrubbed = redact(text)
            if scrubbed != text:  # keep pytest's rich repr when there is nothing to hide
                report.longrepr = scrubbed
        report.sections = [(title, redact(content)) for title, content in report.sections]
    return report


def _is_live(config: pytest.Config) -> bool:
    return setting(config, "labelf_target") == "live"


def target_mode(config: pytest.Config) -> str:
    """``live``, or how the mock is reached: ``inprocess`` (default) or ``socket``."""
    return "live" if _is_live(config) else setting(config, "labelf_mock_transport") or "inprocess"


def _skip_if_live(request: pytest.FixtureRequest) -> None:
    if _is_live(request.config):
        pytest.skip(_MOCK_ONLY)


@pytest.fixture(scope="session")
def labelf_config() -> MockConfig:
    """Scope: session. The :class:`mock_server.MockConfig` the mock serves; override it to change clients,
    models, API keys or token lifetime. Default: ``MockConfig()`` (client ``CLIENT_ID`` / ``CLIENT_SECRET``)."""
    return MockConfig()


@pytest.fixture(scope="session")
def labelf_mock_server(request: pytest.FixtureRequest, labelf_config: MockConfig) -> Iterator[SocketServer]:
    """Scope: session (one per xdist worker). The mock served by uvicorn on an ephemeral 127.0.0.1 port.
    Mock-only: skipped with --labelf-target=live."""
    _skip_if_live(request)
    redact = request.config.stash[_REDACTOR]
    for client in labelf_config.clients:
        redact.add(client.client_secret)
    for key in labelf_config.api_keys:
        redact.add(key)
    server = SocketServer(create_app(labelf_config))
    server.start()
    yield server
    server.stop()
    release_transports(server.app)


def _recover(config: pytest.Config, server: SocketServer) -> None:
    old = server.base_url
    server.restart()
    config.stash.setdefault(_RESTARTS, []).append(
        f"labelf-testkit: the mock server on {old} stopped unexpectedly during the session and was restarted "
        f"on {server.base_url}; URLs taken before the restart are stale."
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say so if the session's mock server had to be restarted."""
    for line in config.stash.get(_RESTARTS, []):
        terminalreporter.write_line(line, yellow=True)


def _marker_options(request: pytest.FixtureRequest) -> MarkerOptions:
    __tracebackhide__ = True
    merged: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("labelf"))):
        merged.update(marker.kwargs)
    return MarkerOptions(**merged)


@pytest.fixture
def labelf_mock(request: pytest.FixtureRequest, labelf_mock_server: SocketServer) -> Iterator[LabelfMock]:
    """Scope: function. A :class:`LabelfMock` handle on the session server, reset before and after the test:
    plan faults (``labelf_mock.token.fail(times=2, status=503)``), move the clock, read the journal.
    With ``@pytest.mark.labelf(assert_all_faults_used=True)`` (or the ini/option of that name) a test whose
    planned faults were never triggered fails, listing them. Mock-only."""
    options = _marker_options(request)
    check = options.assert_all_faults_used
    if check is None:
        check = (setting(request.config, "labelf_assert_all_faults_used") or "false").lower() in {"1", "true", "yes"}
    if not labelf_mock_server.running:
        _recover(request.config, labelf_mock_server)
    handle = LabelfMock(labelf_mock_server.app, labelf_mock_server.base_url)
    handle.reset()
    try:
        yield handle
        if check:
            handle.assert_all_faults_used()
    finally:
        handle.reset()


@pytest.fixture
def labelf_intercept(request: pytest.FixtureRequest, labelf_mock: LabelfMock) -> Iterator[LabelfMock]:
    """Scope: function. Routes every ``requests`` and ``httpx`` call to ``auth.app.labelf.ai``,
    ``api.app.labelf.ai`` and ``api.labelf.ai`` into the mock in-process (no network) and yields the
    ``labelf_mock`` handle. ``@pytest.mark.labelf_intercept(block_other_hosts=True)`` also refuses any other
    non-loopback host with an error naming it. Mock-only."""
    marker = request.node.get_closest_marker("labelf_intercept")
    kwargs = dict(marker.kwargs) if marker else {}
    block = bool(kwargs.pop("block_other_hosts", False))
    if kwargs:
        raise TypeError(f"labelf_intercept marker got unexpected keyword(s): {', '.join(sorted(kwargs))}")
    with intercept(labelf_mock.app, LABELF_HOSTS, block_other_hosts=block, keep_transports=True):
        yield labelf_mock


@pytest.fixture(scope="session")
def labelf_credentials(request: pytest.FixtureRequest, labelf_config: MockConfig) -> Credentials:
    """Scope: session. Client credentials for the target: the mock's first client, or live
    ``LABELF_CLIENT_ID`` / ``LABELF_CLIENT_SECRET`` (the test is skipped when they are missing)."""
    if not _is_live(request.config):
        first = labelf_config.clients[0]
        return Credentials(first.client_id, first.client_secret)
    client_id, secret = os.environ.get("LABELF_CLIENT_ID"), os.environ.get("LABELF_CLIENT_SECRET")
    if not client_id or not secret:
        pytest.skip("live target: set LABELF_CLIENT_ID and LABELF_CLIENT_SECRET to run this test")
    request.config.stash[_REDACTOR].add(secret)
    return Credentials(client_id, secret)


@pytest.fixture(scope="session")
def labelf_target(request: pytest.FixtureRequest, labelf_credentials: Credentials) -> Target:
    """Scope: session. The :class:`~labelf_testkit.target.Target` under test: the mock socket server, or
    with ``--labelf-target=live`` the service at ``--labelf-auth-url`` / ``--labelf-api-url`` with a hard cap
    of ``--labelf-max-live-requests`` requests."""
    config = request.config
    if not _is_live(config):
        server: SocketServer = request.getfixturevalue("labelf_mock_server")
        return Target("mock", server.base_url, server.base_url, labelf_credentials, RequestBudget(None))
    limit = setting(config, "labelf_max_live_requests") or "60"
    if not limit.isdigit():
        raise pytest.UsageError(f"--labelf-max-live-requests takes a whole number, got {limit!r}")
    return Target(
        "live",
        (setting(config, "labelf_auth_url") or DEFAULT_LIVE_AUTH_URL).rstrip("/"),
        (setting(config, "labelf_api_url") or DEFAULT_LIVE_API_URL).rstrip("/"),
        labelf_credentials,
        RequestBudget(int(limit)),
        setting(config, "labelf_ca_bundle"),
    )


@pytest.fixture
def labelf_http(labelf_target: Target) -> Iterator[httpx.Client]:
    """Scope: function. An ``httpx.Client`` with ``base_url`` at the target's API host; TLS verified,
    requests counted against the live budget."""
    with labelf_target.client(base_url=labelf_target.api_url) as client:
        yield client


@pytest.fixture
def labelf_token(labelf_target: Target, labelf_credentials: Credentials) -> str:
    """Scope: function. A fresh access token from the target's token endpoint (client-credentials grant)."""
    with labelf_target.client() as client:
        response = client.post(
            labelf_target.token_url, data={"grant_type": "client_credentials"}, auth=labelf_credentials.auth
        )
    if response.status_code != 200:
        pytest.fail(
            f"labelf_token: POST {labelf_target.token_url} with client {labelf_credentials.client_id!r} answered "
            f"{response.status_code}, expected 200. Body: {response.text[:500]}"
        )
    token: str = response.json()["access_token"]
    return token
