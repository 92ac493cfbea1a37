"""The session's servers: one per distinct labelf_config, the CLI's environment honoured, https on request,
and each test's journal holding only its own traffic."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")

TOKEN = """
import httpx, requests

def token(mock, auth, **kwargs):
    return requests.post(mock.token_url, data={"grant_type": "client_credentials"}, auth=auth, timeout=5, **kwargs)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-W", "error", *args)


def _directory(pytester: pytest.Pytester, name: str, direct: bool = False) -> None:
    folder = pytester.mkpydir(name)
    (folder / "conftest.py").write_text(
        "import pytest\n"
        "from labelf_testkit.mock_server import ClientConfig, MockConfig\n\n"
        '@pytest.fixture(scope="session")\n'
        "def labelf_config():\n"
        f'    return MockConfig(clients=(ClientConfig("app-{name}", "secret-{name}"),))\n'
    )
    fixture, url = ("labelf_mock_server", "base_url + '/oauth2/token'") if direct else ("labelf_mock", "token_url")
    (folder / f"test_{name}.py").write_text(
        "import requests\n"
        f"\ndef test_own_client({fixture}):\n"
        f"    response = requests.post({fixture}.{url}, data={{'grant_type': 'client_credentials'}},\n"
        f"                             auth=('app-{name}', 'secret-{name}'), timeout=5)\n"
        "    assert response.status_code == 200\n"
    )


def test_each_labelf_config_gets_its_own_server(pytester: pytest.Pytester) -> None:
    _directory(pytester, "a")
    _directory(pytester, "b")
    run(pytester).assert_outcomes(passed=2)


def test_direct_server_users_with_two_configs_get_an_error_naming_the_first(pytester: pytest.Pytester) -> None:
    _directory(pytester, "a", direct=True)
    _directory(pytester, "b", direct=True)
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*labelf_mock_server is one server per session, already built from the labelf_config that "
            "a/test_a.py::test_own_client sees, but this test sees another labelf_config*"
        ]
    )


def test_direct_server_users_that_share_the_root_config_pass(pytester: pytest.Pytester) -> None:
    # The check compares the config objects the tests see: one root labelf_config is one object everywhere.
    pytester.makeconftest(
        "import pytest\n"
        "from labelf_testkit.mock_server import ClientConfig, MockConfig\n\n"
        '@pytest.fixture(scope="session")\n'
        "def labelf_config():\n"
        '    return MockConfig(clients=(ClientConfig("app-root", "secret-root"),))\n'
    )
    for name in ("a", "b"):
        folder = pytester.mkpydir(name)
        (folder / f"test_{name}.py").write_text(
            "import requests\n\n"
            "def test_root_client(labelf_mock_server):\n"
            "    response = requests.post(labelf_mock_server.base_url + '/oauth2/token',\n"
            "                             data={'grant_type': 'client_credentials'},\n"
            "                             auth=('app-root', 'secret-root'), timeout=5)\n"
            "    assert response.status_code == 200\n"
        )
    run(pytester).assert_outcomes(passed=2)


def test_default_config_honours_the_clis_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = pytester.path / "mock.toml"
    config.write_text("expires_in = 77\n")
    monkeypatch.setenv("LABELF_MOCK_CONFIG", str(config))
    monkeypatch.setenv("LABELF_MOCK_CLIENTS", "env-app:env-secret")
    pytester.makepyfile(
        test_inner=TOKEN
        + """
def test_env(labelf_mock):
    assert labelf_mock.credentials.client_id == "env-app"
    assert token(labelf_mock, ("env-app", "env-secret")).json()["expires_in"] == 77
"""
    )
    run(pytester).assert_outcomes(passed=1)


TLS_TEST = (
    TOKEN
    + """
import ssl

def test_https(labelf_mock):
    assert labelf_mock.base_url.startswith("https://127.0.0.1:")
    assert token(labelf_mock, labelf_mock.credentials.auth, verify=labelf_mock.ca_bundle).status_code == 200
    with httpx.Client(verify=ssl.create_default_context(cafile=labelf_mock.ca_bundle)) as http:
        assert http.get(labelf_mock.api_url + "/models").status_code == 401
    with pytest.raises(requests.exceptions.SSLError):  # verification is on: the default trust store refuses it
        token(labelf_mock, labelf_mock.credentials.auth)
"""
)


def test_tls_from_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="import pytest\n" + TLS_TEST)
    run(pytester, "--labelf-mock-tls").assert_outcomes(passed=1)


def test_tls_from_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlabelf_mock_tls = true\n")
    pytester.makepyfile(test_inner="import pytest\n" + TLS_TEST)
    run(pytester).assert_outcomes(passed=1)


def test_plain_http_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
def test_plain(labelf_mock):
    assert labelf_mock.base_url.startswith("http://127.0.0.1:") and labelf_mock.ca_bundle is None
"""
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_request_in_flight_at_teardown_never_reaches_the_next_tests_journal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner=TOKEN
        + """
import threading, time

LEFT_BEHIND = []

def test_leaves_a_request_in_flight(labelf_intercept):
    labelf_intercept.token.delay(60)

    def call():
        try:
            requests.post("https://auth.app.labelf.ai/oauth2/token", data={"grant_type": "client_credentials"},
                          auth=("CLIENT_ID", "CLIENT_SECRET"), timeout=120)
        except requests.RequestException:
            pass  # dropped when the test ended: what a client sees when its server goes away

    LEFT_BEHIND.append(threading.Thread(target=call))
    LEFT_BEHIND[0].start()
    for _ in range(1000):  # until the mock holds the request
        if not labelf_intercept.unused_faults():
            break
        time.sleep(0.01)
    assert not labelf_intercept.unused_faults()

def test_next_test_sees_only_its_own_traffic(labelf_intercept):
    LEFT_BEHIND[0].join(30)
    assert not LEFT_BEHIND[0].is_alive(), "the request left in flight was neither answered nor dropped"
    labelf_intercept.journal.assert_no_requests()
"""
    )
    run(pytester).assert_outcomes(passed=2)


def _credentials_directory(pytester: pytest.Pytester, name: str, fixture: str) -> None:
    _directory(pytester, name)
    (pytester.path / name / f"test_{name}_credentials.py").write_text(
        "import requests\n"
        f"\ndef test_credentials_fit_the_mock(labelf_mock, {fixture}):\n"
        "    response = requests.post(labelf_mock.token_url, data={'grant_type': 'client_credentials'},\n"
        "                             auth=labelf_mock.credentials.auth, timeout=5)\n"
        f"    assert response.status_code == 200 and labelf_mock.credentials.client_id == 'app-{name}'\n"
    )


@pytest.mark.parametrize("fixture", ["labelf_credentials", "labelf_http"])
def test_session_credentials_with_two_configs_get_an_error_not_a_silent_401(
    pytester: pytest.Pytester, fixture: str
) -> None:
    # labelf_credentials (and labelf_target, labelf_http, labelf_token on it) is session-scoped: built from the
    # first labelf_config, its client is unknown to the server of another directory's labelf_config.
    _credentials_directory(pytester, "a", fixture)
    _credentials_directory(pytester, "b", fixture)
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*labelf_credentials (and labelf_target, labelf_http, labelf_token) are one per session, already built "
            "from the labelf_config that a/test_a_credentials.py::test_credentials_fit_the_mock sees, but this "
            "test sees another labelf_config*"
        ]
    )
