"""``LABELF_MOCK_URL`` / ``--labelf-mock-url``: the plugin's fixtures on a remote mock, one session per worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from labelf_testkit.mock_server import MockApp, SocketServer, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp
from tests.conftest import start_served_mock
from tests.recordings.conftest import RECORDING

pytestmark = pytest.mark.slow
_TOKEN = "plugin-control-token-0123456789"


@pytest.fixture
def remote_url() -> Iterator[tuple[str, ControlledApp]]:
    controlled = ControlledApp(create_app(), ControlAccess(_TOKEN))
    server = SocketServer(cast(MockApp, controlled))
    server.start()
    yield server.base_url, controlled
    server.stop()


def test_the_environment_names_the_mock_and_its_token(
    pytester: pytest.Pytester, remote_url: tuple[str, ControlledApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, controlled = remote_url
    monkeypatch.setenv("LABELF_MOCK_URL", url)
    monkeypatch.setenv("LABELF_MOCK_CONTROL_TOKEN", _TOKEN)
    pytester.makepyfile(
        """
        import pytest

        def test_remote(labelf_mock, labelf_token, labelf_credentials):
            assert type(labelf_mock).__name__ == "RemoteMock"
            assert labelf_credentials.client_id.startswith("session-")
            labelf_mock.journal.assert_token_fetched(times=1)

        def test_intercept(labelf_intercept):
            pass

        def test_server(labelf_mock_server):
            pass

        def test_secret_is_redacted(labelf_credentials):
            assert labelf_credentials.client_secret == "nope"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=2, failed=1)
    result.stdout.fnmatch_lines(["*labelf_intercept needs the mock in this process*--labelf-mock-url*"])
    assert "[REDACTED]" in result.stdout.str()
    assert controlled.store.open_count == 0  # the worker closed its session


def test_a_wrong_control_token_is_an_error_naming_the_mock(
    pytester: pytest.Pytester, remote_url: tuple[str, ControlledApp]
) -> None:
    url, _ = remote_url
    pytester.makepyfile("def test_remote(labelf_mock):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--labelf-mock-url", url)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*RemoteMockError: The mock at {url} refused control*"])


_IDLE_RUN = """
import time

import pytest


@pytest.fixture(scope="session")
def early_token(labelf_target, labelf_credentials):  # taken once, as a user's session fixture would
    with labelf_target.client() as http:
        grant = {"grant_type": "client_credentials"}
        return http.post(labelf_target.token_url, data=grant, auth=labelf_credentials.auth).json()["access_token"]


def classify(http, token):
    return http.post("/v2/models/1/inference", json={"texts": ["a"]}, headers={"Authorization": f"Bearer {token}"})


def test_1_plans_a_fault(labelf_mock, labelf_http, early_token):
    labelf_mock.inference.fail(status=503, times=None)
    assert classify(labelf_http, early_token).status_code == 503


def test_2_idles_past_the_timeout():
    time.sleep(7)  # more than twice the mock's idle timeout: slow machines stay clear of the edge


def test_3_token_and_http_only(labelf_http, labelf_token):
    assert classify(labelf_http, labelf_token).status_code == 200


def test_4_idles_past_the_timeout():
    time.sleep(7)  # more than twice the mock's idle timeout: slow machines stay clear of the edge


def test_5_only_a_session_fixture_built_on_the_credentials(labelf_target, early_token):
    with labelf_target.client(base_url=labelf_target.api_url) as http:
        assert classify(http, early_token).status_code == 200


def test_6_the_handle_and_the_early_token(labelf_mock, labelf_http, early_token):
    assert classify(labelf_http, early_token).status_code == 200
    labelf_mock.inference.assert_called(times=1)
"""


def test_a_worker_idle_past_the_mocks_timeout_carries_on(pytester: pytest.Pytester, tmp_path: Path) -> None:
    served = start_served_mock(tmp_path, "--session-idle-timeout", "3")
    try:
        pytester.makepyfile(_IDLE_RUN)
        args = ("-p", "no:cacheprovider", "-p", "no:randomly", "--labelf-mock-url", served.base_url)
        result = pytester.runpytest_subprocess(*args)
        result.assert_outcomes(passed=6)
    finally:
        assert served.stop() == 0
    log = served.output()
    assert log.count("expired") >= 2 and log.count("resumed") >= 2, log  # it did expire, and was reopened


_TWO_WORKERS = """
import os
import pathlib
import time

BARRIER = pathlib.Path({barrier!r})


def wait_for(count):
    deadline = time.monotonic() + 60
    while len(list(BARRIER.iterdir())) < count:
        assert time.monotonic() < deadline, "the other worker never arrived"
        time.sleep(0.05)


def test_each_worker_sees_only_its_own(labelf_mock, labelf_http, labelf_token, labelf_credentials):
    me = os.environ["PYTEST_XDIST_WORKER"]
    if me == "gw0":
        labelf_mock.inference.fail(status=503, times=None)
        expected = 503
    else:
        labelf_mock.inference.rate_limit(times=None)
        expected = 429
    (BARRIER / me).touch()
    wait_for(2)  # both workers have planned their fault before either calls
    headers = {{"Authorization": f"Bearer {{labelf_token}}"}}
    texts = {{"texts": [me]}}
    statuses = [labelf_http.post("/v2/models/1/inference", json=texts, headers=headers).status_code for _ in range(4)]
    (BARRIER / f"{{me}}.done").touch()
    wait_for(4)  # both workers have called before either checks
    assert statuses == [expected] * 4
    labelf_mock.inference.assert_called(times=4, match_json=texts)
    assert [entry.json() for entry in labelf_mock.inference.calls] == [texts] * 4  # none of the other's
    assert [entry.client_id for entry in labelf_mock.journal.token_requests] == [labelf_credentials.client_id]
"""


def test_two_xdist_workers_never_see_each_others_faults_or_calls(pytester: pytest.Pytester, tmp_path: Path) -> None:
    served = start_served_mock(tmp_path)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    try:
        pytester.makepyfile(_TWO_WORKERS.format(barrier=str(barrier)))
        args = ("-p", "no:cacheprovider", "-n", "2", "--dist", "each", "--labelf-mock-url", served.base_url)
        result = pytester.runpytest_subprocess(*args)
        result.assert_outcomes(passed=2)
    finally:
        assert served.stop() == 0
    assert sorted(p.name for p in barrier.iterdir()) == ["gw0", "gw0.done", "gw1", "gw1.done"]


_RECORDED = """
import pytest


def classify(http, token, text):
    headers = {"Authorization": f"Bearer {token}"}
    return http.post("/v2/models/7/inference", json={"texts": [text]}, headers=headers)


@pytest.mark.labelf_recording("sentiment.toml", strict=True)
def test_marked(labelf_mock, labelf_http, labelf_token):
    assert classify(labelf_http, labelf_token, "I love it").json()[0]["predictions"][0]["score"] == 0.8125
    assert classify(labelf_http, labelf_token, "I hate it").json()["error_code"] == "TEXT_NOT_RECORDED"


def test_unmarked_after_it(labelf_mock, labelf_http, labelf_token):
    assert classify(labelf_http, labelf_token, "I love it").status_code == 404  # the recording went with the test


def test_by_handle(labelf_mock, labelf_http, labelf_token):
    labelf_mock.use_recording("sentiment.toml")
    assert classify(labelf_http, labelf_token, "I hate it").status_code == 200  # not strict: its own answer


@pytest.mark.labelf_recording("broken.toml")
def test_a_broken_file_fails_the_setup(labelf_mock):
    pass
"""


def test_the_recording_marker_and_handle_work_against_a_remote_mock(
    pytester: pytest.Pytester, remote_url: tuple[str, ControlledApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, controlled = remote_url
    monkeypatch.setenv("LABELF_MOCK_CONTROL_TOKEN", _TOKEN)
    pytester.makepyfile(_RECORDED)
    (pytester.path / "sentiment.toml").write_text(RECORDING, encoding="utf-8")
    (pytester.path / "broken.toml").write_text(RECORDING.replace("0.8125", '"high"'), encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "--labelf-mock-url", url)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.labelf_recording: Recording *broken.toml*score is 'high'*"])
    assert controlled.store.open_count == 0
    assert controlled.mock.replay.recordings == []  # the default session never saw them
