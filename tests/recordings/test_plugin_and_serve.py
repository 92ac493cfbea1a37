"""Replay where users reach it: the ``labelf_recording`` marker and ``labelf-mock serve --recording``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import start_served_mock
from tests.recordings.conftest import RECORDING

pytestmark = pytest.mark.slow  # each test starts a process

MARKED_TESTS = """
import httpx
import pytest


def infer(labelf_mock, text, model="7"):
    token = labelf_mock.issue_token()
    with httpx.Client(base_url=labelf_mock.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
        return api.post(f"/models/{model}/inference", json={"texts": [text]})


@pytest.mark.labelf_recording("recorded/sentiment.toml")
def test_marked(labelf_mock):
    assert infer(labelf_mock, "I love it").json()[0]["predictions"][0] == {"label": "positive", "score": 0.8125}
    assert infer(labelf_mock, "unknown").status_code == 200


@pytest.mark.labelf_recording("recorded/sentiment.toml", strict=True)
def test_strict(labelf_mock):
    assert infer(labelf_mock, "unknown").json()["error_code"] == "TEXT_NOT_RECORDED"


def test_unmarked_tests_do_not_see_it(labelf_mock):
    assert infer(labelf_mock, "I love it").status_code == 404


def test_handle_method(labelf_mock):
    labelf_mock.use_recording("recorded/sentiment.toml")
    assert infer(labelf_mock, "I love it").json()[0]["predictions"][0]["score"] == 0.8125


@pytest.mark.labelf_recording("recorded/missing.toml")
def test_missing_file(labelf_mock):
    pass


@pytest.mark.labelf_recording("recorded/sentiment.toml", strcit=True)
def test_typo(labelf_mock):
    pass
"""


def test_the_marker_and_the_handle_method(pytester: pytest.Pytester) -> None:
    (pytester.path / "recorded").mkdir()
    (pytester.path / "recorded" / "sentiment.toml").write_text(RECORDING, encoding="utf-8")
    pytester.makepyfile(test_marked=MARKED_TESTS)
    pytester.chdir()
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.labelf_recording: Recording *missing.toml' cannot be read: No such file or directory.*",
            "*@pytest.mark.labelf_recording got unknown keyword(s) 'strcit'; it takes strict.*",
        ]
    )


def test_serve_answers_from_recordings(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(RECORDING, encoding="utf-8")
    served = start_served_mock(tmp_path, "--recording", str(tmp_path / "s.toml"), "--recording-strict")
    try:
        with httpx.Client(base_url=served.base_url) as http:
            grant = {"grant_type": "client_credentials"}
            token = http.post("/oauth2/token", data=grant, auth=("CLIENT_ID", "CLIENT_SECRET")).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            got = http.post("/v2/models/7/inference", json={"texts": ["I love it"]}, headers=headers)
            assert got.json()[0]["predictions"][0] == {"label": "positive", "score": 0.8125}
            missed = http.post("/v2/models/7/inference", json={"texts": ["I love"]}, headers=headers)
            assert missed.json()["error_code"] == "TEXT_NOT_RECORDED"
        assert "recording:     " + str(tmp_path / "s.toml") in served.output()
    finally:
        assert served.stop() == 0


def test_serve_refuses_a_bad_recording_before_listening(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "bad.toml").write_text(RECORDING.replace("labelf-recording/1", "v0"), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "labelf_testkit.mock_server",
        "serve",
        "--port",
        "0",
        "--recording",
        str(tmp_path / "bad.toml"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr == (
        f"labelf-mock: Recording {tmp_path / 'bad.toml'}: format is 'v0'. Expected 'labelf-recording/1': a file "
        "`labelf-mock record` wrote.\n"
    )


def test_the_recording_key_is_redacted_from_test_reports(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "a-recording-key-not-to-be-shown-42"
    monkeypatch.setenv("LABELF_RECORDING_KEY", key)
    pytester.makepyfile(
        test_key="""
import os

def test_shows_the_key():
    assert os.environ["LABELF_RECORDING_KEY"] == "something else"
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert key not in result.stdout.str() and key[:12] not in result.stdout.str()
    assert "[REDACTED]" in result.stdout.str()


def test_a_control_session_answers_from_the_servers_recordings(tmp_path: Path) -> None:
    from labelf_testkit import connect

    (tmp_path / "s.toml").write_text(RECORDING, encoding="utf-8")
    served = start_served_mock(tmp_path, "--recording", str(tmp_path / "s.toml"))
    try:
        with connect(served.base_url) as remote:
            headers = {"Authorization": f"Bearer {remote.issue_token()}"}
            with httpx.Client(base_url=remote.api_url, headers=headers) as api:
                got = api.post("/models/7/inference", json={"texts": ["I love it"]})
                assert got.json()[0]["predictions"][0] == {"label": "positive", "score": 0.8125}
                (tmp_path / "newer.toml").write_text(RECORDING.replace("0.8125", "0.75"), encoding="utf-8")
                remote.use_recording(tmp_path / "newer.toml")  # the session's own, over the server's
                newer = api.post("/models/7/inference", json={"texts": ["I love it"]}).json()[0]["predictions"][0]
                assert newer == {"label": "positive", "score": 0.75}
                remote.reset()  # the server's stays
                again = api.post("/models/7/inference", json={"texts": ["I love it"]}).json()[0]["predictions"][0]
                assert again == {"label": "positive", "score": 0.8125}
    finally:
        assert served.stop() == 0
