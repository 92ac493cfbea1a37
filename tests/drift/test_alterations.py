"""Each proxy alters one thing the "live" server sends; drift reports exactly that point, and nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from labelf_testkit.mock_server.cli import main

from .conftest import CLIENT_SECRET, Workspace
from .proxy import Alteration, Relayed, altering_proxy


def run_drift(url: str, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """``labelf-mock drift`` against ``url``; the exit code and the JSON report."""
    report = tmp_path / "drift"
    code = main(["drift", "--live-auth-url", url, "--live-api-url", url, "--report", str(report), *args])
    return code, json.loads((tmp_path / "drift.json").read_text(encoding="utf-8"))


def points(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, location) of every finding that is not noise."""
    return {(f["kind"], f["location"]) for f in document["findings"] if not f["noise"]}


def _json_body(relayed: Relayed) -> Any:
    return json.loads(relayed.body)


def _set_body(relayed: Relayed, body: Any) -> None:
    relayed.body = json.dumps(body, separators=(",", ":")).encode()


def token_type_capitalised(relayed: Relayed) -> None:
    if relayed.path == "/oauth2/token" and relayed.status == 200:
        _set_body(relayed, {**_json_body(relayed), "token_type": "Bearer"})


def cache_control_dropped(relayed: Relayed) -> None:
    if relayed.path == "/oauth2/token" and relayed.status == 200:
        del relayed.headers["cache-control"]


def expires_in_string(relayed: Relayed) -> None:
    if relayed.path == "/oauth2/token" and relayed.status == 200:
        body = _json_body(relayed)
        _set_body(relayed, {**body, "expires_in": str(body["expires_in"])})


def inference_extra_key(relayed: Relayed) -> None:
    if relayed.path.endswith("/inference") and relayed.path != "/v2/models/inference" and relayed.status == 200:
        _set_body(relayed, [{**item, "model_version": "2024-06"} for item in _json_body(relayed)])


def error_description_reworded(relayed: Relayed) -> None:
    if relayed.path == "/oauth2/token" and relayed.status == 401:
        _set_body(relayed, {**_json_body(relayed), "error_description": "Client authentication failed."})


def unauthorized_as_forbidden(relayed: Relayed) -> None:
    if relayed.path.startswith("/v2") and relayed.status == 401:
        relayed.status = 403


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(
    ("alteration", "expected", "cases"),
    [
        (token_type_capitalised, ("value", "$.token_type"), {"token-success"}),
        (cache_control_dropped, ("header", "cache-control"), {"token-success"}),
        (expires_in_string, ("type", "$.expires_in"), {"token-success"}),
        (inference_extra_key, ("added", "$[*].model_version"), {"inference"}),
        (error_description_reworded, ("value", "$.error_description"), {"token-unknown-client", "token-wrong-secret"}),
        (unauthorized_as_forbidden, ("status", "status"), {"api-no-token", "api-revoked-token"}),
    ],
)
def test_one_alteration_one_finding(
    workspace: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    alteration: Alteration,
    expected: tuple[str, str],
    cases: set[str],
) -> None:
    with altering_proxy(workspace.url, alteration) as url:
        code, document = run_drift(url, tmp_path)
    assert points(document) == {expected}, document["findings"]
    assert {f["case"] for f in document["findings"]} == cases
    assert code == 1
    out = capsys.readouterr().out
    assert f"DRIFT {expected[0]} {expected[1]} in " in out
    finding = document["findings"][0]
    assert finding["fidelity"] and finding["request"]


@pytest.mark.usefixtures("credentials")
def test_unaltered_server_has_no_drift(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with altering_proxy(workspace.url, lambda relayed: None) as url:
        code, document = run_drift(url, tmp_path)
    assert document["findings"] == []
    assert code == 0
    assert all(case["skipped"] is None for case in document["cases"]), document["cases"]
    assert "0 drift, 0 accepted, 0 noise" in capsys.readouterr().out


@pytest.mark.usefixtures("credentials")
def test_finding_values_are_shown_and_secrets_are_not(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def leak_token(relayed: Relayed) -> None:
        # The live answer differs in a way that puts its token into a finding's value.
        if relayed.path == "/oauth2/token" and relayed.status == 200:
            body = _json_body(relayed)
            _set_body(relayed, {**body, "token_type": f"Bearer {body['access_token']}"})

    with altering_proxy(workspace.url, leak_token) as url:
        code, document = run_drift(url, tmp_path)
    assert code == 1
    (finding,) = document["findings"]
    assert finding["mock"] == "bearer"
    assert re.fullmatch(r"Bearer \[token sha256:[0-9a-f]{12}\]", finding["live"])  # the journal's fingerprint
    shown = capsys.readouterr().out + "".join(p.read_text() for p in tmp_path.iterdir())
    assert CLIENT_SECRET not in shown
    assert "ory_at_" not in shown


@pytest.mark.usefixtures("credentials")
def test_live_noise_is_classed_as_noise_with_repeat(workspace: Workspace, tmp_path: Path) -> None:
    counter = iter(range(1000))

    def varying_message(relayed: Relayed) -> None:
        if relayed.path == "/v2/similarity" and relayed.status == 400:
            body = _json_body(relayed)
            _set_body(relayed, {**body, "message": f"{body['message']} (trace {next(counter)})"})

    with altering_proxy(workspace.url, varying_message) as url:
        once_code, once = run_drift(url, tmp_path)
        twice_code, twice = run_drift(url, tmp_path, "--repeat", "2")
    assert (once_code, points(once)) == (1, {("value", "$.message")})
    assert (twice_code, points(twice)) == (0, set())
    assert [(f["case"], f["location"], f["noise"]) for f in twice["findings"]] == [
        ("similarity-invalid", "$.message", True)
    ]
    assert twice["summary"]["noise"] == 1


@pytest.mark.usefixtures("credentials")
def test_a_live_service_on_the_newer_generation_is_compared_in_it(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import start_served_mock

    newer = start_served_mock(tmp_path, "--config", str(workspace.config), "--api-generation", "newer")
    try:
        code, document = run_drift(newer.base_url, tmp_path)
    finally:
        assert newer.stop() == 0
    assert document["api_generation"] == "newer"
    assert points(document) == set() and code == 0  # the mock answered in the same generation
    assert "live inference matched the newer API generation" in capsys.readouterr().out
