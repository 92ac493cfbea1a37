"""The pytest plugin (entry point ``pytest11``): its hooks and fixtures.

The options live in :mod:`.options`, the redaction wiring in :mod:`._redaction_hooks`, live mode's rules in
:mod:`.live`; the hooks here call them.

Loading it imports nothing but pytest and the standard library: the mock, Starlette, uvicorn and httpx are
imported by the fixtures that need them, so a pytest run that never uses a ``labelf_*`` fixture pays nothing
for the kit being installed.
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from ._redaction_hooks import redact_mock, redactor, safely_redact_report
from ._redaction_hooks import register as register_redaction
from .mock_server.internal import DEFAULT_LIVE_API_URL, DEFAULT_LIVE_AUTH_URL
from .options import (
    InterceptOptions,
    MarkerOptions,
    enabled,
    is_live,
    marker_options,
    register_options,
    remote_url,
    setting,
)

if TYPE_CHECKING:
    import threading

    import httpx

    from ._late_requests import TestRun
    from .handle import Credentials, LabelfMock
    from .mock_server import MockConfig, SocketServer
    from .remote import RemoteMock
    from .servers import MockServers, ServerPool
    from .target import Target


_RESTARTS = pytest.StashKey[list[str]]()
#: The ``labelf_config`` the session's ``labelf_mock_server`` was built from, and the first test that used it.
_SERVER_CONFIG = pytest.StashKey[tuple["MockConfig", str | None]]()
_CREDENTIALS_CONFIG = pytest.StashKey[tuple["MockConfig", str | None]]()
_THREADS = pytest.StashKey[frozenset["threading.Thread"]]()
_RUN = pytest.StashKey["TestRun"]()
_MOCK_ONLY = "mock-only fixture: it is not available with --labelf-target=live"
_LOCAL_ONLY = (
    "{} needs the mock in this process; this run steers the remote mock at {} (--labelf-mock-url / "
    "LABELF_MOCK_URL). Interception, connection refusals and labelf_mock_server are local only."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``labelf`` option group (:func:`~.options.register_options`)."""
    register_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers; live runs refuse xdist's ``-n`` so the live request cap holds."""
    config.addinivalue_line(
        "markers",
        "labelf(assert_all_faults_used=None): per-test options of the labelf_mock fixture.",
    )
    config.addinivalue_line(
        "markers",
        "labelf_intercept(block_other_hosts=False): send every connection to Labelf's production hosts to the "
        "mock's loopback server, from any HTTP client (uses the labelf_intercept fixture).",
    )
    from .recording_marker import MARKER_HELP

    config.addinivalue_line("markers", MARKER_HELP)
    register_redaction(config)
    if recording_key := os.environ.get("LABELF_RECORDING_KEY"):  # the key of --redact-texts recordings
        redactor(config).add(recording_key)
    if is_live(config) and not (config.option.help or config.option.version):
        from .live import start_live_run

        start_live_run(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.labelf_intercept`` pulls in the ``labelf_intercept`` fixture; with ``httpx_mock`` in the same
    test, Labelf's hosts are left to the mock; direct users of ``labelf_mock_server`` must agree on one config.
    With ``--labelf-mock-url``, a test that uses the worker's session's credentials in any way (its own fixtures
    built on ``labelf_credentials`` or ``labelf_target`` too) finds the session open before anything else."""
    remote = remote_url(config) is not None and not is_live(config)
    uses_session = {"labelf_credentials", "labelf_target"}
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        if remote and uses_session.intersection(item.fixturenames) and "_labelf_remote_open" not in item.fixturenames:
            item.fixturenames.insert(0, "_labelf_remote_open")
        if item.get_closest_marker("labelf_intercept") and "labelf_intercept" not in item.fixturenames:
            item.fixturenames.append("labelf_intercept")
        if "labelf_intercept" in item.fixturenames and "httpx_mock" in item.fixturenames:
            from .coexistence import let_httpx_mock_pass_labelf

            let_httpx_mock_pass_labelf(item)
        if "labelf_mock_server" in item.fixturenames:
            item.fixturenames.append("_labelf_one_server_config")  # checked once the test's fixtures are known
        if "labelf_credentials" in item.fixturenames:  # also under labelf_target, labelf_http, labelf_token
            item.fixturenames.append("_labelf_one_credentials_config")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """After every fixture of the test has ended: remove what is left of interception's patches (a
    ``monkeypatch`` undone after the kit's fixture), remember the threads the test left running, and warn
    about requests that reached the mock after their test ended (:class:`LateRequestWarning`)."""
    result = yield
    if "labelf_testkit._patching" in sys.modules:
        from ._patching import repair

        repair(final=True)
    if "labelf_testkit._late_requests" in sys.modules:
        from ._late_requests import LateRequestWarning, take_arrivals, test_ended

        started_with = item.stash.get(_THREADS, None)
        run: TestRun | None = item.stash.get(_RUN, None)
        if started_with is not None:
            test_ended(started_with, item.nodeid, run)
        for message in take_arrivals():
            warnings.warn(LateRequestWarning(message), stacklevel=1)
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Redact the run's secrets and tokens from the report: failure and skip reprs, xfail reasons, captured
    output and logs, user properties (terminal, ``-r`` summaries, JUnit XML).  Outermost, so it also sees what
    other plugins add; the report keeps its type."""
    report = yield
    safely_redact_report(report, item.config)
    return report


def _skip_if_live(request: pytest.FixtureRequest) -> None:
    if is_live(request.config):
        pytest.skip(_MOCK_ONLY)


@pytest.fixture(scope="session")
def labelf_config() -> MockConfig:
    """Scope: session. The :class:`labelf_testkit.mock_server.MockConfig` the mock serves; override it to change
    clients, models, API keys or token lifetime (each distinct override gets its own server). Default: as
    ``labelf-mock serve``: the embedded defaults (client ``CLIENT_ID`` / ``CLIENT_SECRET``), then the file at
    ``LABELF_MOCK_CONFIG``, then the ``LABELF_MOCK_*`` variables."""
    from .mock_server import load_config

    return load_config()


@pytest.fixture(scope="session")
def _labelf_servers(request: pytest.FixtureRequest) -> Iterator[ServerPool]:
    """Scope: session. Every mock server of the session, one set per distinct ``labelf_config``."""
    _skip_if_live(request)
    from .servers import ServerPool

    pool = ServerPool()
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def _labelf_remote(request: pytest.FixtureRequest) -> Iterator[RemoteMock | None]:
    """Scope: session. With ``--labelf-mock-url``: this worker's control session on the remote mock (one per
    worker, reset around each test, reopened with the same credentials if the mock closed it while the worker
    was idle, closed at the end); else ``None``."""
    url = remote_url(request.config)
    if url is None or is_live(request.config):
        yield None
        return
    from .remote import connect

    handle = connect(url)
    redactor(request.config).add_credentials(*handle.credentials.auth)
    redactor(request.config).add(handle.api_key)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def _labelf_remote_open(_labelf_remote: RemoteMock | None) -> None:
    """Scope: function. With ``--labelf-mock-url``: the worker's session is open before the test sends its
    credentials (reopened, same credentials, if the mock closed it while the worker was idle)."""
    if _labelf_remote is not None:
        _labelf_remote.ensure_open()


def _local_only(request: pytest.FixtureRequest, what: str) -> None:
    url = remote_url(request.config)
    if url is not None and not is_live(request.config):
        pytest.skip(_LOCAL_ONLY.format(what, url))


def _serving(request: pytest.FixtureRequest, servers: MockServers) -> SocketServer:
    """The server tests talk to directly: https with ``--labelf-mock-tls``, else http; restarted if it died."""
    server = servers.secure() if enabled(request.config, "labelf_mock_tls") else servers.plain()
    redact_mock(request.config, server.app)
    if not server.running:
        _recover(request.config, server)
    return server


@pytest.fixture(scope="session")
def labelf_mock_server(
    request: pytest.FixtureRequest, labelf_config: MockConfig, _labelf_servers: ServerPool
) -> SocketServer:
    """Scope: session (one per xdist worker). The mock served by uvicorn on an ephemeral 127.0.0.1 port
    (https with ``--labelf-mock-tls``), stopped at session end. Mock-only: skipped with --labelf-target=live, and
    with ``--labelf-mock-url`` (the mock is elsewhere)."""
    _local_only(request, "labelf_mock_server")
    request.config.stash[_SERVER_CONFIG] = (labelf_config, None)
    return _serving(request, _labelf_servers.for_config(labelf_config))


@pytest.fixture
def _labelf_one_server_config(
    request: pytest.FixtureRequest, labelf_config: MockConfig, labelf_mock_server: SocketServer
) -> None:
    """Scope: function; added to every test that uses ``labelf_mock_server``. That server is one per session,
    built from the first ``labelf_config`` a test saw: refuse a test that sees another one (overridden in its
    directory), which would silently get a server that does not serve its config."""
    _one_config(request, labelf_config, _SERVER_CONFIG, "labelf_mock_server is one server per session")


@pytest.fixture
def _labelf_one_credentials_config(
    request: pytest.FixtureRequest, labelf_config: MockConfig, labelf_credentials: Credentials
) -> None:
    """Scope: function; added to every test that uses ``labelf_credentials`` (so also ``labelf_target``,
    ``labelf_http``, ``labelf_token``). They are session-scoped, built from the first ``labelf_config`` a test
    saw: refuse a test that sees another one, whose server would refuse those credentials (a silent 401)."""
    if _CREDENTIALS_CONFIG in request.config.stash:  # not in live mode or against a remote mock
        what = "labelf_credentials (and labelf_target, labelf_http, labelf_token) are one per session"
        _one_config(request, labelf_config, _CREDENTIALS_CONFIG, what)


def _one_config(
    request: pytest.FixtureRequest,
    labelf_config: MockConfig,
    key: pytest.StashKey[tuple[MockConfig, str | None]],
    what: str,
) -> None:
    served, first_test = request.config.stash[key]
    if labelf_config is not served:
        built = f"that {first_test} sees" if first_test else "seen where it was first requested"
        pytest.fail(
            f"labelf-testkit: {what}, already built from the labelf_config {built}, but this test sees another "
            "labelf_config (overridden in its directory). Use labelf_mock or labelf_intercept (one server per "
            "distinct labelf_config; their .credentials, .base_url and .api_url follow it), or define "
            "labelf_config once (in the root conftest.py). See docs/guide/fixtures.md.",
            pytrace=False,
        )
    if first_test is None:
        request.config.stash[key] = (served, request.node.nodeid)


def _recover(config: pytest.Config, server: SocketServer) -> None:
    old = server.base_url
    server.restart()
    config.stash.setdefault(_RESTARTS, []).append(
        f"labelf-testkit: the mock server on {old} stopped unexpectedly during the session and was restarted "
        f"on {server.base_url}; URLs taken before the restart are stale."
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say so if the session's mock server had to be restarted, or requests arrived after the last test."""
    for line in config.stash.get(_RESTARTS, []):
        terminalreporter.write_line(line, yellow=True)
    if "labelf_testkit._late_requests" in sys.modules:
        from ._late_requests import take_arrivals

        for line in take_arrivals():
            terminalreporter.write_line(line, yellow=True)


def _checked_config(config: object) -> MockConfig:
    from .mock_server import MockConfig

    if not isinstance(config, MockConfig):
        raise TypeError(
            f"The labelf_config fixture returned {type(config).__name__}, not a MockConfig. Return "
            "labelf_testkit.mock_server.MockConfig(...) or load_config(path) (see docs/guide/fixtures.md)."
        )
    return config


_CHECK_FAULTS = pytest.StashKey["LabelfMock"]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a test body that passed: its unused-fault check, so an unused fault fails the test itself.  Before
    the body of a test that uses the mock: the threads running (those its body leaves running are suspects,
    see :func:`pytest_runtest_teardown`; threads its fixtures start, any scope, are not); an async test's body
    runs with its :class:`~._late_requests.TestRun` in its context, which the tasks it creates inherit."""
    watched: pytest.Function | None = None
    if {"labelf_mock", "labelf_intercept"}.intersection(getattr(item, "fixturenames", ())):  # or the marker's
        from ._late_requests import running_threads, watch_tasks

        item.stash[_THREADS] = running_threads()
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
            watched, body = item, item.obj
            item.obj, item.stash[_RUN] = watch_tasks(body, item.nodeid)  # pytest-asyncio and anyio call item.obj
    try:
        result = yield
    finally:
        if watched is not None:
            watched.obj = body
    handle = item.stash.get(_CHECK_FAULTS, None)
    if handle is not None:
        message = None
        try:
            handle.assert_all_faults_used()
        except AssertionError as unused:
            message = str(unused)
        if message is not None:
            pytest.fail(message, pytrace=False)
    return result


@pytest.fixture
def labelf_mock(
    request: pytest.FixtureRequest,
    labelf_config: MockConfig,
    _labelf_servers: ServerPool,
    _labelf_remote: RemoteMock | None,
) -> Iterator[LabelfMock]:
    """Scope: function. A :class:`LabelfMock` handle on the session server for this test's ``labelf_config``,
    reset before and after the test: plan faults (``labelf_mock.token.fail(times=2, status=503)``), move the
    clock, read the journal. Requests still unanswered when the test ends are dropped, never recorded in the
    next test's journal. With ``@pytest.mark.labelf(assert_all_faults_used=True)`` (or the ini/option of that
    name) a test whose planned faults were never triggered fails, listing them. Mock-only. With
    ``--labelf-mock-url``: a :class:`~labelf_testkit.RemoteMock` on this worker's session of the remote mock."""
    from .handle import LabelfMock

    options = marker_options(request, "labelf", MarkerOptions)
    check = options.assert_all_faults_used
    if check is None:
        check = enabled(request.config, "labelf_assert_all_faults_used")
    if _labelf_remote is not None:
        yield from _remote_handle(request, _labelf_remote, check)
        return
    servers = _labelf_servers.for_config(_checked_config(labelf_config))
    server = _serving(request, servers)
    handle = LabelfMock(
        server.app, server.base_url, str(server.tls.ca_bundle) if server.tls else None, servers.refusals
    )
    handle.reset()
    from .recording_marker import use_marked_recordings

    use_marked_recordings(request, handle)
    if check:
        request.node.stash[_CHECK_FAULTS] = handle  # checked right after the test body (pytest_runtest_call)
    from ._late_requests import guarding

    try:
        with guarding():  # requests from threads an earlier test left running are not this test's
            yield handle
    finally:
        if check:
            del request.node.stash[_CHECK_FAULTS]
        servers.drop_in_flight()
        handle.reset()


def _remote_handle(request: pytest.FixtureRequest, handle: RemoteMock, check: bool) -> Iterator[LabelfMock]:
    handle.reset()
    from .recording_marker import use_marked_recordings

    use_marked_recordings(request, handle)  # sent to the worker's session, gone at the reset after the test
    if check:
        request.node.stash[_CHECK_FAULTS] = handle  # the same checks, over HTTP
    try:
        yield handle  # type: ignore[misc]  # the same API as LabelfMock (tests/control/test_remote.py)
    finally:
        if check:
            del request.node.stash[_CHECK_FAULTS]
        handle.reset()


@pytest.fixture
def labelf_intercept(
    request: pytest.FixtureRequest, labelf_mock: LabelfMock, labelf_config: MockConfig, _labelf_servers: ServerPool
) -> Iterator[LabelfMock]:
    """Scope: function. Sends every connection to ``auth.app.labelf.ai``, ``api.app.labelf.ai`` and
    ``api.labelf.ai``, from any HTTP client in the process (requests, httpx, urllib, urllib3, http.client,
    aiohttp), to the mock's loopback server (https with a throwaway CA that only those connections trust), so
    timeouts, retries, streaming and concurrency behave as over the network; yields the ``labelf_mock``
    handle. ``@pytest.mark.labelf_intercept(block_other_hosts=True)`` also refuses any other non-loopback host
    with ``BlockedRequestError`` naming it. Mock-only; skipped with ``--labelf-mock-url``."""
    _local_only(request, "labelf_intercept")
    from .interception import intercept
    from .mock_server.internal import LABELF_HOSTS

    block = bool(marker_options(request, "labelf_intercept", InterceptOptions).block_other_hosts)
    with intercept(_labelf_servers.for_config(labelf_config), LABELF_HOSTS, block_other_hosts=block):
        yield labelf_mock


@pytest.fixture(scope="session")
def labelf_credentials(request: pytest.FixtureRequest, labelf_config: MockConfig) -> Credentials:
    """Scope: session. Client credentials for the target: the mock's first client, or live
    ``LABELF_CLIENT_ID`` / ``LABELF_CLIENT_SECRET`` (a live run without them refuses to start, or with
    ``--labelf-skip-without-credentials`` skips the tests that need them).  The secret is redacted from the
    run's output from the moment this fixture runs; its ``repr`` never shows it."""
    from .handle import Credentials

    remote: RemoteMock | None = request.getfixturevalue("_labelf_remote")
    if remote is not None:
        return remote.credentials  # its session's client, redacted since the session opened
    if not is_live(request.config):
        first = labelf_config.clients[0]
        client_id, secret = first.client_id, first.client_secret
        request.config.stash[_CREDENTIALS_CONFIG] = (labelf_config, None)
    else:
        client_id, secret = os.environ.get("LABELF_CLIENT_ID", ""), os.environ.get("LABELF_CLIENT_SECRET", "")
        if not client_id or not secret:
            pytest.skip("live target: LABELF_CLIENT_ID and LABELF_CLIENT_SECRET are not set")
    redactor(request.config).add_credentials(client_id, secret)
    return Credentials(client_id, secret)


@pytest.fixture(scope="session")
def labelf_target(request: pytest.FixtureRequest, labelf_credentials: Credentials) -> Target:
    """Scope: session. The :class:`~labelf_testkit.target.Target` under test: the mock socket server, or
    with ``--labelf-target=live`` the service at ``--labelf-auth-url`` / ``--labelf-api-url`` (https, or
    http on loopback), within the run's cap of ``--labelf-max-live-requests`` requests, shared by every
    process of the run.  Tokens it hands out are redacted from the run's output."""
    from .live import RequestBudget, live_budget
    from .target import Target

    config = request.config
    remote: RemoteMock | None = request.getfixturevalue("_labelf_remote")
    if remote is not None:
        base = remote.base_url
        learn = redactor(config).add_token
        return Target("mock", base, base, labelf_credentials, RequestBudget(None), remote.ca_bundle, learn)
    if not is_live(config):
        server: SocketServer = request.getfixturevalue("labelf_mock_server")
        return Target("mock", server.base_url, server.base_url, labelf_credentials, RequestBudget(None))
    budget = live_budget(config)
    if budget is None:  # pytest_configure sets it up; only a plugin that skipped that gets here
        raise pytest.UsageError("--labelf-target=live: the run's live request budget was never set up")
    return Target(
        "live",
        (setting(config, "labelf_auth_url") or DEFAULT_LIVE_AUTH_URL).rstrip("/"),
        (setting(config, "labelf_api_url") or DEFAULT_LIVE_API_URL).rstrip("/"),
        labelf_credentials,
        budget,
        setting(config, "labelf_ca_bundle"),
        redactor(config).add_token,
    )


@pytest.fixture
def labelf_http(labelf_target: Target, _labelf_remote_open: None) -> Iterator[httpx.Client]:
    """Scope: function. An ``httpx.Client`` with ``base_url`` at the target's API host; TLS verified,
    requests counted against the run's live budget."""
    with labelf_target.client(base_url=labelf_target.api_url) as client:
        yield client


@pytest.fixture
def labelf_token(labelf_target: Target, labelf_credentials: Credentials, _labelf_remote_open: None) -> str:
    """Scope: function. A fresh access token from the target's token endpoint (client-credentials grant)."""
    from .live import LiveBudgetExceeded

    try:
        with labelf_target.client() as client:
            response = client.post(
                labelf_target.token_url, data={"grant_type": "client_credentials"}, auth=labelf_credentials.auth
            )
    except LiveBudgetExceeded as stopped:  # the cap, or the run's stop: one line, not a traceback
        pytest.fail(f"labelf_token: {stopped}", pytrace=False)
    if response.status_code != 200:
        pytest.fail(
            f"labelf_token: POST {labelf_target.token_url} with client {labelf_credentials.client_id!r} answered "
            f"{response.status_code}, expected 200. Body: {response.text[:500]}"
        )
    token: str = response.json()["access_token"]
    return token
