"""Fixtures and markers of the contract suite (``pytest --pyargs labelf_testkit.contract_tests``).

Options and the report live in the suite's plugin (:mod:`.plugin`), which also runs on xdist's controller."""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator

import httpx
import pytest

from labelf_testkit._redaction_hooks import redact_mock
from labelf_testkit.contract_tests.catalogue import CHECKS
from labelf_testkit.contract_tests.plugin import MOCK_BUDGET, NOT_RUN, target_mode
from labelf_testkit.contract_tests.service import ContractTarget, load_app
from labelf_testkit.contract_tests.verify import CheckResults
from labelf_testkit.handle import Credentials
from labelf_testkit.mock_server import SocketServer
from labelf_testkit.options import setting
from labelf_testkit.target import RequestBudget, Target

_RESULTS = pytest.StashKey[CheckResults]()


def pytest_configure(config: pytest.Config) -> None:
    """Markers for check IDs and endpoint groups, and the report."""
    config.addinivalue_line("markers", "labelf_checks(*ids): the catalogue check IDs a contract test verifies.")
    for group in ("token", "revoke", "api"):
        config.addinivalue_line("markers", f"contract_{group}: contract checks of the {group} endpoint group.")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every declared ID must exist in the catalogue (a typo is a collection error, not a silent gap).

    Property-based checks run last: if a live run reaches its request cap, the fuzzers are what is cut.
    """
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith("test_properties.py"))
    for item in items:
        marker = item.get_closest_marker("labelf_checks")
        unknown = [cid for cid in (marker.args if marker else ()) if cid not in CHECKS]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} declares unknown check IDs: {unknown}")


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest) -> Iterator[ContractTarget]:
    """Scope: session. The service under test: the mock in-process (default) or over a socket
    (``--labelf-mock-transport=socket``), or with ``--labelf-target=live`` the real service."""
    config = request.config
    mode = target_mode(config)
    if mode == "live":
        # The plugin's live target: credentials from the environment, URLs (https or loopback), CA, the run's
        # shared cap, and the stop when the target is unusable.
        live: Target = request.getfixturevalue("labelf_target")
        assert live.credentials is not None
        with live.client() as http:
            model_id = os.environ.get("LABELF_MODEL_ID") or None
            yield ContractTarget(
                "live",
                http,
                live.auth_url,
                live.api_url,
                live.credentials,
                model_id,
                live.budget,
                guard=live.guard(),
                ca_bundle=live.ca_bundle,
            )
        return
    app = load_app(setting(config, "labelf_contract_app"))
    redact_mock(config, app)  # its secrets and every token it issues stay out of the output
    budget = RequestBudget(None)
    config.stash[MOCK_BUDGET] = budget
    credentials = Credentials("CLIENT_ID", "CLIENT_SECRET")
    if mode == "inprocess":
        from labelf_testkit.mock_server import InProcessTransport

        with httpx.Client(transport=InProcessTransport(app), event_hooks={"request": [budget.spend_request]}) as http:
            yield ContractTarget(
                "inprocess", http, "http://mock.test", "http://mock.test", credentials, "1", budget, app
            )
        return
    server = SocketServer(app)
    server.start()
    try:
        # plain http on loopback: no proxy from the environment (HTTP_PROXY, ALL_PROXY) could reach it
        with httpx.Client(event_hooks={"request": [budget.spend_request]}, trust_env=False) as http:
            yield ContractTarget("socket", http, server.base_url, server.base_url, credentials, "1", budget, app)
    finally:
        server.stop()


@pytest.fixture
def check(request: pytest.FixtureRequest) -> CheckResults:
    """Scope: function. Records verdicts for the check IDs the test declares with ``@pytest.mark.labelf_checks``."""
    marker = request.node.get_closest_marker("labelf_checks")
    results = CheckResults(tuple(marker.args) if marker else ())
    request.node.stash[_RESULTS] = results
    return results


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the test, naming the check IDs, when any contract check it recorded failed."""
    yield
    results = item.stash.get(_RESULTS, None)
    if results is not None and results.failures():
        pytest.fail(
            "Contract check(s) failed:\n" + "\n".join(f"  {line}" for line in results.failures()), pytrace=False
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach each declared check's verdict to the report (so it also crosses xdist)."""
    report = yield
    marker = item.get_closest_marker("labelf_checks")
    declared = tuple(marker.args) if marker else ()
    if not declared or (report.when != "call" and not report.skipped and not report.failed):
        return report
    results = item.stash.get(_RESULTS, None)
    recorded = dict(results.outcomes) if results is not None else {}
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        outcome = "not run" if NOT_RUN in reason else "skipped"
        report.user_properties.extend(_verdicts(declared, outcome, reason))
        return report
    if results is not None:
        report.user_properties.extend(results.as_properties())
    unrecorded = [cid for cid in declared if cid not in recorded]
    if report.failed and unrecorded:
        line = report.longreprtext.strip().splitlines()[-1] if report.longreprtext.strip() else "error"
        # A test that broke before judging a check says nothing about it: a contract check fails (the run must
        # not pass), an advisory one is "not run" (advisory checks never fail).
        for cid in unrecorded:
            advisory = CHECKS[cid].severity == "advisory"
            message = f"not judged: the test stopped first ({line})" if advisory else line
            report.user_properties.extend(_verdicts((cid,), "not run" if advisory else "fail", message))
    return report


def _verdicts(check_ids: tuple[str, ...], outcome: str, message: str) -> list[tuple[str, str]]:
    return [("labelf_check", json.dumps({"id": cid, "outcome": outcome, "messages": [message]})) for cid in check_ids]
