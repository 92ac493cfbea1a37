"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures and redaction.

Loading it imports nothing but pytest and the standard library: the mock, Starlette, uvicorn and httpx are
imported by the fixtures that need them, so a pytest run that never uses a ``labelf_*`` fixture pays nothing
for the kit being installed.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from ._redaction_hooks import REDACTOR, safely_redact_report
from ._redaction_hooks import register as register_redaction
from .mock_server import DEFAULT_LIVE_API_URL, DEFAULT_LIVE_AUTH_URL

if TYPE_CHECKING:
    import threading

    import httpx

    from .handle import Credentials, LabelfMock
    from .mock_server import MockConfig, Redactor, SocketServer
    from .remote import RemoteMock
    from .servers import MockServers, ServerPool
    from .target import Target

__all__ = [
    "InterceptOptions",
    "MarkerOptions",
    "add_option",
    "enabled",
    "is_live",
    "redact_mock",
    "redactor",
    "setting",
]

_RESTARTS = pytest.StashKey[list[str]]()
_LEARNING = pytest.StashKey[set[int]]()
_CONFIG_CONFLICT = pytest.StashKey[str]()
_THREADS = pytest.StashKey[frozenset["threading.Thread"]]()
_Options = TypeVar("_Options", "MarkerOptions", "InterceptOptions")
_MOCK_ONLY = "mock-only fixture: it is not available with --labelf-target=live"
#: The environment variable that names a remote mock, as ``--labelf-mock-url`` does.
REMOTE_URL_ENV = "LABELF_MOCK_URL"
_LOCAL_ONLY = (
    "{} needs the mock in this process; this run steers the remote mock at {} (--labelf-mock-url / "
    "LABELF_MOCK_URL). Interception, connection refusals and labelf_mock_server are local only."
)


@dataclass(frozen=True, kw_only=True)
class MarkerOptions:
    """Options of ``@pytest.mark.labelf(...)``; unknown keywords are a ``TypeError``."""

    assert_all_faults_used: bool | None = None


@dataclass(frozen=True, kw_only=True)
class InterceptOptions:
    """Options of ``@pytest.mark.labelf_intercept(...)``; unknown keywords are a ``TypeError``."""

    block_other_hosts: bool = False


def add_option(
    parser: pytest.Parser, name: str, help: str, default: str | None = None, *, flag: bool = False, **kwargs: Any
) -> None:
    """A ``--labelf-*`` option in the ``labelf`` group, and an ini key of the same name (read by :func:`setting`).

    A ``flag`` takes no value on the command line and reads ``name = true`` in an ini file (see :func:`enabled`).
    """
    ini = name.removeprefix("--").replace("-", "_")
    group = parser.getgroup("labelf", "labelf-testkit: mock and live Labelf targets")
    if flag:
        kwargs.update(action="store_const", const="true")
    group.addoption(name, dest=ini, default=None, help=f"{help} (ini: {ini}{' = true' if flag else ''})", **kwargs)
    parser.addini(ini, help=f"{help} (true/false)" if flag else help, default="false" if flag else default)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``labelf`` option group; each option also reads an ini key of the same name."""

    def option(name: str, help: str, default: str | None = None, **kwargs: Any) -> None:
        add_option(parser, name, help, default, **kwargs)

    def flag(name: str, help: str) -> None:
        add_option(parser, name, help, flag=True)

    option(
        "--labelf-target",
        "mock (default) or live: where labelf_target, labelf_token and labelf_http point",
        "mock",
        choices=["mock", "live"],
    )
    option("--labelf-auth-url", f"live auth base URL (default {DEFAULT_LIVE_AUTH_URL})", DEFAULT_LIVE_AUTH_URL)
    option("--labelf-api-url", f"live API base URL (default {DEFAULT_LIVE_API_URL})", DEFAULT_LIVE_API_URL)
    option("--labelf-ca-bundle", "extra CA bundle to trust for the live target (verification stays on)")
    option("--labelf-max-live-requests", "hard cap on HTTP requests to a live target, for the whole run", "60")
    flag(
        "--labelf-skip-without-credentials",
        "live mode: skip the live tests when LABELF_CLIENT_ID/LABELF_CLIENT_SECRET are unset, instead of refusing "
        "to start",
    )
    flag("--labelf-assert-all-faults-used", "fail tests whose planned faults were never triggered")
    flag("--labelf-mock-tls", "serve the session's mock over https from a throwaway CA (labelf_mock.ca_bundle)")
    option(
        "--labelf-mock-url",
        "use the labelf-mock serve at this URL instead of one in this process: each worker steers a control session "
        f"of its own there (env {REMOTE_URL_ENV}; control token from LABELF_MOCK_CONTROL_TOKEN)",
    )


def setting(config: pytest.Config, name: str) -> str | None:
    """A ``--labelf-*`` option by its dest name (``labelf_target``), else its ini key, else ``None``.

    ``None`` too when the option is not registered (``-p no:labelf_testkit``).
    """
    value = config.getoption(name, None)
    if value is None:
        try:
            value = config.getini(name) or None
        except ValueError:
            return None
    return str(value) if value is not None else None


def enabled(config: pytest.Config, name: str) -> bool:
    """Whether an on/off ``--labelf-*`` setting is on (the flag given, or ``true``/``yes``/``1`` in the ini)."""
    return (setting(config, name) or "false").lower() in {"1", "true", "yes"}


def remote_url(config: pytest.Config) -> str | None:
    """The remote mock this run steers (``--labelf-mock-url``, its ini key, or ``LABELF_MOCK_URL``), if any."""
    return setting(config, "labelf_mock_url") or os.environ.get(REMOTE_URL_ENV) or None


def is_live(config: pytest.Config) -> bool:
    """Whether this run targets the live service (``--labelf-target=live``)."""
    return setting(config, "labelf_target") == "live"


def redactor(config: pytest.Config) -> Redactor:
    """The run's :class:`~labelf_testkit.mock_server.Redactor`, created on first use.

    It knows only what the run registers: configured client secrets and API keys, the live credentials, and
    every token issued or received.  Until something is registered, pytest's output is left untouched."""
    redact = config.stash.get(REDACTOR, None)
    if redact is None:
        from .mock_server import Redactor

        redact = config.stash[REDACTOR] = Redactor()
    return redact


def redact_mock(config: pytest.Config, app: object) -> None:
    """Redact, from the run's output, what the mock behind ``app`` knows to be secret: its clients' credentials,
    its API keys and every token it issues from now on (once per mock).

    ``app`` may wrap the mock in ASGI middleware (``.app`` attributes); an app with no mock behind it (a foreign
    app checked by the contract suite) has nothing known to hide.
    """
    state, layer = None, app
    for _ in range(8):
        state = getattr(layer, "mock", None)
        if state is not None or not hasattr(layer, "app"):
            break
        layer = layer.app
    seen = config.stash.setdefault(_LEARNING, set())
    if state is None or id(state) in seen:
        return
    seen.add(id(state))
    redact = redactor(config)
    for client in state.config.clients:
        redact.add_credentials(client.client_id, client.client_secret)
    for key in state.config.api_keys:
        redact.add(key)
    state.on_token_issued(redact.add_token)


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
        from .live import configure_live

        credentials = configure_live(
            config, lambda name: setting(config, name), enabled(config, "labelf_skip_without_credentials")
        )
        if credentials is not None:
            redactor(config).add_credentials(*credentials)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``@pytest.mark.labelf_intercept`` pulls in the ``labelf_intercept`` fixture; with ``httpx_mock`` in the same
    test, Labelf's hosts are left to the mock; direct users of ``labelf_mock_server`` must agree on one config."""
    first_config: str | None = None
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        if item.get_closest_marker("labelf_intercept") and "labelf_intercept" not in item.fixturenames:
            item.fixturenames.append("labelf_intercept")
        if "labelf_intercept" in item.fixturenames and "httpx_mock" in item.fixturenames:
            from .coexistence import let_httpx_mock_pass_labelf

            let_httpx_mock_pass_labelf(item)
        if "labelf_mock_server" in item.fixturenames:
            where = _config_definition(item)
            first_config = first_config or where
            if where != first_config:
                item.stash[_CONFIG_CONFLICT] = (
                    f"labelf-testkit: labelf_mock_server is one server per session, already built from the "
                    f"labelf_config defined at {first_config}, but this test sees the labelf_config defined at "
                    f"{where}. Use labelf_mock or labelf_intercept (one server per distinct labelf_config), or "
                    "define labelf_config once (in the root conftest.py)."
                )


def _config_definition(item: pytest.Function) -> str:
    definitions = item._fixtureinfo.name2fixturedefs.get("labelf_config") or ()
    if not definitions:
        return "?"
    code = definitions[-1].func.__code__
    return f"{code.co_filename}:{code.co_firstlineno}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Refuse a test that would silently get a mock built from another directory's ``labelf_config``."""
    conflict = item.stash.get(_CONFIG_CONFLICT, None)
    if conflict is not None:
        pytest.fail(conflict, pytrace=False)


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
        if started_with is not None:
            test_ended(started_with, item.nodeid)
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
    worker, reset around each test, closed at the end); else ``None``."""
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
    return _serving(request, _labelf_servers.for_config(labelf_config))


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


def _marker_options(request: pytest.FixtureRequest, name: str, options: type[_Options]) -> _Options:
    """The keywords of every ``@pytest.mark.<name>`` on the test (the closest wins), checked by ``options``."""
    __tracebackhide__ = True
    merged: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(name))):
        merged.update(marker.kwargs)
    known = set(options.__dataclass_fields__)
    if unknown := sorted(set(merged) - known):
        raise TypeError(
            f"@pytest.mark.{name} got unknown keyword(s) {', '.join(map(repr, unknown))}; "
            f"it takes {', '.join(sorted(known))}."
        )
    return options(**merged)


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
    see :func:`pytest_runtest_teardown`; threads its fixtures start, any scope, are not)."""
    if {"labelf_mock", "labelf_intercept"}.intersection(getattr(item, "fixturenames", ())):  # or the marker's
        from ._late_requests import running_threads

        item.stash[_THREADS] = running_threads()
    result = yield
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

    options = _marker_options(request, "labelf", MarkerOptions)
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
    if request.node.get_closest_marker("labelf_recording") is not None:
        _local_only(request, "@pytest.mark.labelf_recording")
    handle.reset()
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
    from .mock_server import LABELF_HOSTS

    block = bool(_marker_options(request, "labelf_intercept", InterceptOptions).block_other_hosts)
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
def labelf_http(labelf_target: Target) -> Iterator[httpx.Client]:
    """Scope: function. An ``httpx.Client`` with ``base_url`` at the target's API host; TLS verified,
    requests counted against the run's live budget."""
    with labelf_target.client(base_url=labelf_target.api_url) as client:
        yield client


@pytest.fixture
def labelf_token(labelf_target: Target, labelf_credentials: Credentials) -> str:
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
