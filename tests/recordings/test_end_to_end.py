"""The issue's end-to-end: ``labelf-mock serve`` as the live service, scripted by a workspace config; record it,
replay it in a test in both API generations, change the live answers, and see exactly those reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServedMock, start_served_mock
from tests.recordings.conftest import RECORDING

pytestmark = pytest.mark.slow  # servers and commands in processes of their own

CLIENT = ("e2e-app", "e2e-secret-4b1d0c2a")
WORKSPACE = f"""
recordings = ["distinctive.toml"]

[[clients]]
client_id = "{CLIENT[0]}"
client_secret = "{CLIENT[1]}"
"""
TEXTS = ["I love it", "positive? not really", "hello there"]
SIMILARITY = {
    "top_n": 2,
    "base_texts": {"cat": "the cat sat on the mat", "revenue": "quarterly revenue grew"},
    "compare_to_texts": {"q": "a cat sat on a mat"},
}

REPLAYING_TEST = """
import json
from pathlib import Path

import httpx
import pytest

EXPECTED = json.loads((Path(__file__).parent / "expected.json").read_text())


@pytest.mark.labelf_recording("recording.toml", strict=True)
@pytest.mark.parametrize("generation", ["older", "newer"])
@pytest.mark.parametrize("model", ["7", "1"])
def test_replay_answers_as_live(labelf_mock, generation, model):
    headers = {"Authorization": f"Bearer {labelf_mock.issue_token()}", "Labelf-Api-Generation": generation}
    with httpx.Client(base_url=labelf_mock.api_url, headers=headers) as api:
        got = api.post(f"/models/{model}/inference", json={"texts": EXPECTED["texts"]}).json()
        similarity = api.post("/similarity", json=EXPECTED["similarity_request"]).json()
    predictions = [item["predictions"] for item in got] if generation == "older" else got["predictions"]
    assert predictions == EXPECTED[generation][model]
    assert similarity == EXPECTED["similarity"]
"""


def serve(folder: Path, recording: str) -> ServedMock:
    (folder / "distinctive.toml").write_text(recording, encoding="utf-8")
    (folder / "workspace.toml").write_text(WORKSPACE, encoding="utf-8")
    return start_served_mock(folder, "--config", str(folder / "workspace.toml"))


def live_answers(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url) as http:
        grant = {"grant_type": "client_credentials"}
        token = http.post("/oauth2/token", data=grant, auth=CLIENT).json()["access_token"]
        http.headers["authorization"] = f"Bearer {token}"
        answers: dict[str, Any] = {"texts": TEXTS, "similarity_request": SIMILARITY}
        for generation in ("older", "newer"):
            per_model = {}
            for model in ("7", "1"):
                body = http.post(
                    f"/v2/models/{model}/inference",
                    json={"texts": TEXTS},
                    headers={"labelf-api-generation": generation},
                ).json()
                per_model[model] = (
                    [item["predictions"] for item in body] if generation == "older" else body["predictions"]
                )
            answers[generation] = per_model
        answers["similarity"] = http.post("/v2/similarity", json=SIMILARITY).json()
    return answers


def labelf_mock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LABELF_CLIENT_ID": CLIENT[0], "LABELF_CLIENT_SECRET": CLIENT[1]}
    command = [sys.executable, "-m", "labelf_testkit.mock_server", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_record_replay_and_drift(tmp_path: Path, pytester: pytest.Pytester) -> None:
    live = serve(tmp_path, RECORDING)
    try:
        expected = live_answers(live.base_url)
        (tmp_path / "texts.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
        (tmp_path / "base.txt").write_text("the cat sat on the mat\nquarterly revenue grew\n", encoding="utf-8")
        (tmp_path / "compare.txt").write_text("a cat sat on a mat\n", encoding="utf-8")
        url = ["--live-auth-url", live.base_url, "--live-api-url", live.base_url]
        recorded = labelf_mock(
            "record",
            *url,
            "--texts",
            "texts.txt",
            "--model",
            "7",
            "--model",
            "1",
            "--base-texts",
            "base.txt",
            "--compare-texts",
            "compare.txt",
            "--out",
            "recording.toml",
            cwd=tmp_path,
        )
        assert recorded.returncode == 0, recorded.stderr
    finally:
        assert live.stop() == 0
    assert expected["older"]["7"][0][0] == {"label": "positive", "score": 0.8125}  # the distinctive answer
    (pytester.path / "recording.toml").write_text((tmp_path / "recording.toml").read_text(), encoding="utf-8")
    (pytester.path / "expected.json").write_text(json.dumps(expected), encoding="utf-8")
    pytester.makepyfile(test_replaying=REPLAYING_TEST)
    pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=4)

    changed = RECORDING.replace("score = 0.8125", "score = 0.5125").replace("score = 0.125 }", "score = 0.425 }")
    live = serve(tmp_path, changed)
    try:
        url = ["--live-auth-url", live.base_url, "--live-api-url", live.base_url]
        drift = labelf_mock("drift", *url, "--recording", "recording.toml", "--report", "report", cwd=tmp_path)
    finally:
        assert live.stop() == 0
    assert drift.returncode == 1, drift.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert {f["case"] for f in report["findings"]} == {"model 7: I love it"}
    assert {f["location"] for f in report["findings"]} == {
        "$.predictions['positive'].score",
        "$.predictions['neutral'].score",
    }
