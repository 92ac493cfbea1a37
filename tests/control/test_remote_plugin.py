"""``LABELF_MOCK_URL`` / ``--labelf-mock-url``: the plugin's fixtures on a remote mock, one session per worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest

from labelf_testkit.mock_server import MockApp, SocketServer, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp

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

        @pytest.mark.labelf_recording("x.toml")
        def test_recording(labelf_mock):
            pass

        def test_secret_is_redacted(labelf_credentials):
            assert labelf_credentials.client_secret == "nope"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=3, failed=1)
    result.stdout.fnmatch_lines(["*labelf_intercept needs the mock in this process*--labelf-mock-url*"])
    result.stdout.fnmatch_lines(["*@pytest.mark.labelf_recording needs the mock in this process*"])
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
