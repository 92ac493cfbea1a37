"""The mock outside pytest: a unittest suite run with ``python -m unittest`` and a plain script, each in a
subprocess with no pytest involved, plus the start/stop contract."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import requests

from labelf_testkit import BlockedRequestError, LabelfMock, RunningMock, serve_mock, start_mock
from labelf_testkit.mock_server import ClientConfig, MockConfig

UNITTEST_SUITE = """
import sys
import unittest

import requests

from labelf_testkit import start_mock


class ClassifyTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.labelf = start_mock(intercept=True)

    @classmethod
    def tearDownClass(cls):
        cls.labelf.stop()

    def setUp(self):
        self.labelf.reset()
        grant = {"grant_type": "client_credentials"}
        token = requests.post(
            "https://auth.app.labelf.ai/oauth2/token", data=grant, auth=("CLIENT_ID", "CLIENT_SECRET")
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def classify(self, text):
        return requests.post(
            "https://api.app.labelf.ai/v2/models/2/inference", json={"texts": [text]}, headers=self.headers
        )

    def test_scripted_answer(self):
        self.labelf.model(2).answer("refund please", {"billing": 0.9})
        self.assertEqual(self.classify("refund please").json()[0]["predictions"][0]["score"], 0.9)

    def test_fault_and_count(self):
        self.labelf.inference.fail(status=503, match_json={"texts": ["boom"]})
        self.assertEqual(self.classify("fine").status_code, 200)
        self.assertEqual(self.classify("boom").status_code, 503)
        self.labelf.inference.assert_called(times=2)

    def test_each_test_starts_clean(self):
        self.assertEqual(self.labelf.inference.call_count, 0)
        self.assertEqual(self.labelf.journal.call_count("token"), 1)


if __name__ == "__main__":
    unittest.main()
"""

SCRIPT = """
import httpx

from labelf_testkit import serve_mock

with serve_mock() as labelf:
    labelf.model(1).answer("great", {"positive": 0.99})
    with httpx.Client(base_url=labelf.api_url) as http:
        token = http.post(labelf.token_url, data={"grant_type": "client_credentials"}, auth=labelf.credentials.auth)
        http.headers["Authorization"] = "Bearer " + token.json()["access_token"]
        print(http.post("/models/1/inference", json={"texts": ["great"]}).json()[0]["predictions"][0])
    base_url = labelf.base_url
try:
    httpx.get(base_url + "/v2/models")
except httpx.ConnectError:
    print("stopped")
"""


def run(tmp_path: Path, *command: str) -> subprocess.CompletedProcess[str]:
    # -I would drop the editable install's path hooks; a clean environment without pytest's plugins is enough.
    return subprocess.run(
        [sys.executable, *command], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_a_unittest_suite_uses_the_mock_without_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_classify.py").write_text(UNITTEST_SUITE, encoding="utf-8")
    result = run(tmp_path, "-X", "importtime", "-m", "unittest", "-v", "test_classify")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 3 tests" in result.stderr and "OK" in result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "import time:" in line}
    assert "pytest" not in imported and "_pytest" not in imported


@pytest.mark.slow
def test_the_unittest_suite_fails_when_the_answer_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "test_classify.py").write_text(UNITTEST_SUITE.replace('"billing": 0.9', '"billing": 0.8'), "utf-8")
    result = run(tmp_path, "-m", "unittest", "test_classify")
    assert result.returncode == 1
    assert "FAIL: test_scripted_answer" in result.stderr and "0.8 != 0.9" in result.stderr


@pytest.mark.slow
def test_a_script_uses_the_mock_over_a_socket(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(SCRIPT, encoding="utf-8")
    result = run(tmp_path, "script.py")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["{'label': 'positive', 'score': 0.99}", "stopped"]


def test_start_and_stop_give_the_fixture_handle() -> None:
    config = MockConfig(clients=(ClientConfig("app", "s3cret"),))
    labelf = start_mock(config)
    try:
        assert isinstance(labelf, LabelfMock) and isinstance(labelf, RunningMock)
        assert labelf.credentials.auth == ("app", "s3cret")
        assert labelf.base_url.startswith("http://127.0.0.1:")
        response = httpx.post(labelf.token_url, data={"grant_type": "client_credentials"}, auth=("app", "s3cret"))
        assert response.status_code == 200
        labelf.token.assert_called(times=1)
    finally:
        labelf.stop()
    labelf.stop()  # twice is harmless
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{labelf.base_url}/v2/models")


def test_tls_gives_an_https_base_url_and_its_ca() -> None:
    with serve_mock(MockConfig(), tls=True) as labelf:
        assert labelf.base_url.startswith("https://") and labelf.ca_bundle
        trust = ssl.create_default_context(cafile=labelf.ca_bundle)
        assert httpx.get(f"{labelf.api_url}/models", verify=trust).status_code == 401


def test_interception_ends_with_the_context() -> None:
    with serve_mock(MockConfig(), intercept=True, block_other_hosts=True) as labelf:
        assert requests.get("https://api.app.labelf.ai/v2/models", timeout=10).status_code == 401
        with pytest.raises(BlockedRequestError):
            requests.get("https://example.com/", timeout=10)
        labelf.models.assert_called(times=1)
    from labelf_testkit.interception import is_routed

    assert not is_routed("api.app.labelf.ai")


def test_blocking_needs_interception() -> None:
    with pytest.raises(ValueError, match="block_other_hosts=True needs intercept=True"):
        start_mock(MockConfig(), block_other_hosts=True)


def test_reset_between_tests_empties_state() -> None:
    with serve_mock(MockConfig()) as labelf:
        labelf.model(2).archive()
        labelf.inference.fail()
        httpx.get(f"{labelf.api_url}/models")
        labelf.reset()
        assert (len(labelf.journal), labelf.unused_faults(), labelf.app.mock.scripts.scripts()) == (0, [], [])
        assert labelf.app.mock.scripts.model("2") is not None


def test_connection_refusals_work_outside_pytest_too() -> None:
    with serve_mock(MockConfig(), intercept=True) as labelf:
        labelf.refuse_connections(times=1, host="auth.app.labelf.ai")
        with pytest.raises(requests.ConnectionError):
            requests.post("https://auth.app.labelf.ai/oauth2/token", timeout=10)
        assert [refused.host for refused in labelf.refused_connections] == ["auth.app.labelf.ai"]
