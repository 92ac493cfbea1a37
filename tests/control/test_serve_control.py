"""``labelf-mock serve`` serves the control API: driven with curl and node's fetch over a real socket."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ServedMock, start_served_mock

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")]


def curl(*args: str) -> tuple[int, str]:
    """``curl -s`` with ``args``: the status and the body."""
    result = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=30, check=True
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def test_curl_plans_a_fault_that_the_token_endpoint_answers(served_mock: ServedMock) -> None:
    base = served_mock.base_url
    control = f"{base}/__labelf/sessions/default"
    status, body = curl("-X", "POST", f"{control}/faults", "-d", '{"kind": "fail", "route": "token", "status": 503}')
    assert status == 201, body
    status, body = curl("-u", "CLIENT_ID:CLIENT_SECRET", "-d", "grant_type=client_credentials", f"{base}/oauth2/token")
    assert status == 503 and json.loads(body)["error"] == "temporarily_unavailable"
    status, body = curl(f"{control}/journal?route=token")
    assert status == 200 and json.loads(body)["entries"][0]["status"] == 503
    curl("-X", "POST", f"{control}/reset")


def test_the_banner_and_ready_file_name_the_control_api(served_mock: ServedMock) -> None:
    assert f"control API:   {served_mock.base_url}/__labelf  (loopback clients only, no token)" in served_mock.output()
    assert "sessions:      0 open, at most 200" in served_mock.output()


def test_a_token_file_guards_control_and_is_never_printed(tmp_path: Path) -> None:
    token_file = tmp_path / "control-token"
    served = start_served_mock(tmp_path, "--control-token-file", str(token_file))
    try:
        token = token_file.read_text().strip()
        status, body = curl(f"{served.base_url}/__labelf/sessions")
        assert status == 401 and token not in body
        status, body = curl("-H", f"Authorization: Bearer {token}", f"{served.base_url}/__labelf/sessions")
        assert status == 200, body
        ready = json.loads(next(tmp_path.glob("ready-*.json")).read_text())
        assert ready["control_token_file"] == str(token_file)
    finally:
        assert served.stop() == 0
    assert token not in served.output() and str(token_file) in served.output()


def test_no_control_leaves_the_prefix_to_the_mock(tmp_path: Path) -> None:
    served = start_served_mock(tmp_path, "--no-control")
    try:
        assert curl(f"{served.base_url}/__labelf") == (404, "404 page not found\n")
    finally:
        assert served.stop() == 0
    assert "control API" not in served.output()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_fetch_plans_and_verifies(served_mock: ServedMock, tmp_path: Path) -> None:
    script = tmp_path / "drive.mjs"
    script.write_text(
        """
const base = process.argv[2];
const control = `${base}/__labelf/sessions/default`;
const post = (path, body) => fetch(control + path, {method: "POST", body: JSON.stringify(body ?? {})});
await post("/reset");  // the served mock is shared: start from an empty journal
await post("/faults", {kind: "rate_limit", route: "token", retry_after: 3});
const basic = "Basic " + Buffer.from("CLIENT_ID:CLIENT_SECRET").toString("base64");
const token = await fetch(`${base}/oauth2/token`, {method: "POST", headers: {authorization: basic,
  "content-type": "application/x-www-form-urlencoded"}, body: "grant_type=client_credentials"});
const verdict = await post("/verify/called", {route: "token", times: 2});
console.log(JSON.stringify({token: token.status, retry: token.headers.get("retry-after"), verify: verdict.status,
  report: (await verdict.json()).message}));
await post("/reset");
""",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["node", str(script), served_mock.base_url], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == {
        "token": 429,
        "retry": "3",
        "verify": 409,
        "report": "Expected 'token' to be called 2 time(s), but it was called 1 time(s).",
    }
