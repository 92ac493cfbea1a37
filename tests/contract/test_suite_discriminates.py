"""The contract suite passes against the mock and fails, naming the right check IDs, against broken variants."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import start_served_mock

ROOT = str(Path(__file__).parents[2])
#: The advisory checks the mock deviates from on purpose (each is a choice its fidelity table explains).
EXPECTED_DEVIATIONS = {"TOKEN-SUCCESS-007", "TOKEN-ERR-WWWAUTH-001", "TOKEN-ERR-GRANT-003"}


def run_suite(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, str]]:
    report = pytester.path / "report"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pyargs", "labelf_testkit.contract_tests", f"--labelf-report={report}", *args
    )
    document = json.loads((pytester.path / "report.json").read_text())
    return result, {row["id"]: row["outcome"] for row in document["checks"]}


@pytest.fixture(autouse=True)
def importable_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner pytest must import tests.contract.variants from the repository."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))


@pytest.mark.parametrize("transport", ["inprocess", "socket"])
def test_passes_against_the_mock(pytester: pytest.Pytester, transport: str) -> None:
    result, outcomes = run_suite(pytester, f"--labelf-mock-transport={transport}")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert "fail" not in outcomes.values()
    assert "not run" not in outcomes.values()
    assert {cid for cid, outcome in outcomes.items() if outcome == "deviation"} == EXPECTED_DEVIATIONS
    result.stdout.fnmatch_lines(["*labelf contract summary*", f"target: {transport}  *"])
    assert (pytester.path / "report.md").read_text().startswith("# Labelf contract report")


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("wrong_token_type", {"TOKEN-SUCCESS-004"}),
        ("expires_in_string", {"TOKEN-SUCCESS-006", "SCHEMA-001"}),
        ("scope_missing", {"TOKEN-SUCCESS-005"}),
        ("no_cache_control", {"TOKEN-SUCCESS-002"}),
        (
            "wrong_error_code",
            {"TOKEN-ERR-UNKNOWN-001", "TOKEN-ERR-SECRET-001", "TOKEN-ERR-SHAPE-001", "TOKEN-PROP-001"},
        ),
        ("ok_on_get", {"TOKEN-ERR-METHOD-001"}),
        ("accepts_wrong_secret", {"TOKEN-ERR-SECRET-001"}),
        ("token_not_accepted", {"TOKEN-BEARER-001", "REVOKE-001"}),
        ("server_error_on_empty_body", {"TOKEN-ERR-EMPTY-001"}),
    ],
)
def test_fails_against_each_broken_variant(pytester: pytest.Pytester, variant: str, expected: set[str]) -> None:
    result, outcomes = run_suite(pytester, f"--labelf-contract-app=tests.contract.variants:{variant}")
    failed = {cid for cid, outcome in outcomes.items() if outcome == "fail"}
    assert result.ret == 1
    assert expected <= failed, f"{variant}: expected {sorted(expected)} among failures {sorted(failed)}"
    for check_id in expected:
        result.stdout.re_match_lines([rf".*{re.escape(check_id)}: .*"])  # the failure message names the check
    assert "TOKEN-SUCCESS-001" not in failed or variant == "token_not_accepted"


def test_a_language_list_in_the_newer_generation_is_a_deviation(pytester: pytest.Pytester) -> None:
    # text_language is typed string (newer docs, /classification); one code per text is the old mistake.
    result, outcomes = run_suite(pytester, "--labelf-contract-app=tests.contract.variants:language_per_text")
    assert outcomes["API-INFER-003"] == "deviation"  # advisory: the newer docs are unverified
    assert result.ret == 0
    result.stdout.re_match_lines([r".*API-INFER-003.*"])
    assert {cid for cid, outcome in outcomes.items() if outcome in {"fail", "deviation"}} == {
        "API-INFER-003",
        *EXPECTED_DEVIATIONS,
    }


def test_endpoint_group_markers_select_auth_only(pytester: pytest.Pytester) -> None:
    result, outcomes = run_suite(pytester, "-m", "not contract_api")
    assert result.ret == 0
    api_checks = {cid for cid in outcomes if cid.startswith(("API-", "SCHEMA-002"))}
    assert api_checks and all(outcomes[cid] == "not run" for cid in api_checks)
    assert outcomes["TOKEN-SUCCESS-001"] == "pass"


def test_live_mode_against_labelf_mock_serve_respects_the_cap(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = start_served_mock(pytester.path, "--access-log")
    try:
        secret = "CLIENT_SECRET"
        monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
        monkeypatch.setenv("LABELF_CLIENT_SECRET", secret)
        monkeypatch.setenv("LABELF_MODEL_ID", "1")
        cap = 40
        result, outcomes = run_suite(
            pytester,
            "--labelf-target=live",
            f"--labelf-auth-url={served.base_url}",
            f"--labelf-api-url={served.base_url}",
            f"--labelf-max-live-requests={cap}",
            "-rs",
        )
    finally:
        assert served.stop() == 0
    # Every request the server logged, except the harness's own readiness probe (GET /openapi.json).
    logged = re.findall(r'"((?:GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD) [^"]+)" \d{3}', served.output())
    received = len([line for line in logged if not line.startswith("GET /openapi.json")])
    document = json.loads((pytester.path / "report.json").read_text())
    assert received == document["live_requests"] <= cap  # measured at the server, not assumed
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert "fail" not in outcomes.values()
    assert "skipped" in outcomes.values()  # the cap cut the rest, and said so
    result.stdout.fnmatch_lines([f"live requests sent: {received} of at most {cap}", "*live request cap reached*"])
    for text in (result.stdout.str(), (pytester.path / "report.md").read_text()):
        assert "ory_at_" not in text


def test_the_cap_running_out_inside_schemathesis_skips_its_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under a random order SCHEMA-002 may be what meets the cap: it must read as skipped, as every other
    # check does, not as a failing example of schemathesis'.
    served = start_served_mock(pytester.path)
    try:
        monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
        monkeypatch.setenv("LABELF_CLIENT_SECRET", "CLIENT_SECRET")
        monkeypatch.setenv("LABELF_MODEL_ID", "1")
        result, outcomes = run_suite(
            pytester,
            "--labelf-target=live",
            f"--labelf-auth-url={served.base_url}",
            f"--labelf-api-url={served.base_url}",
            "--labelf-max-live-requests=3",  # one token, then two of schemathesis' examples
            "-k",
            "test_schemathesis_over_the_api_operations",
            "-rs",
        )
    finally:
        assert served.stop() == 0
    assert outcomes["SCHEMA-002"] == "skipped", result.stdout.str()[-3000:]
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*live request cap reached*"])


def test_report_is_whole_under_xdist(pytester: pytest.Pytester) -> None:
    # xdist's controller never loads the suite's conftest: the plugin merges the workers' verdicts.
    result, outcomes = run_suite(pytester, "-n", "2")
    assert result.ret == 0
    assert "not run" not in outcomes.values() and "fail" not in outcomes.values()
    result.stdout.fnmatch_lines(["*labelf contract summary*"])
