"""Every channel of a run that used the kit is free of the secret, of base64 fragments of ``id:secret`` and of
every token the mock issued; a skip reason never crashes pytest; pytest's report keeps its type."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.redaction.scan import b64_fragments, leaks

ROOT = str(Path(__file__).parents[2])
CLIENT_ID, SECRET = "my-app", "TopSecret-9f2c-Kx81"

CONFTEST = f"""
import pytest
from labelf_testkit.mock_server import ClientConfig, MockConfig

@pytest.fixture(scope="session")
def labelf_config():
    return MockConfig(clients=(ClientConfig("{CLIENT_ID}", "{SECRET}"),))
"""

# One test per channel; each writes the tokens it obtained to tokens.txt (not an output pytest shows).
TESTS = """
import base64, httpx, logging, sys, warnings
import pytest

log = logging.getLogger("client")


def fetch(mock, credentials):
    with httpx.Client() as http:
        response = http.post(mock.token_url, data={"grant_type": "client_credentials"}, auth=credentials.auth)
    token = response.json()["access_token"]
    with open("tokens.txt", "a") as out:
        out.write(token + "\\n")
    return token


def secrets(mock, credentials):
    token = fetch(mock, credentials)
    pair = f"{credentials.client_id}:{credentials.client_secret}".encode()
    basic = base64.b64encode(pair).decode()
    return token, basic, credentials.client_secret


def test_failure_report(labelf_mock, labelf_credentials):
    token, basic, secret = secrets(labelf_mock, labelf_credentials)
    print("stdout", token, basic, secret, basic[3:40])
    sys.stderr.write(f"stderr {token} Basic {basic} {secret}\\n")
    log.warning("calling with %s and Authorization: Basic %s", token, basic)
    assert {"token": token, "basic": basic} == {"token": secret, "basic": basic[:-2]}


def test_shortened_values(labelf_mock, labelf_credentials):
    token, basic, secret = secrets(labelf_mock, labelf_credentials)
    assert token + "x" * 300 == secret + basic + "y" * 300


def test_warning(labelf_mock, labelf_credentials):
    token, basic, secret = secrets(labelf_mock, labelf_credentials)
    warnings.warn(f"token {token} basic {basic} secret {secret}")


def test_xfail(labelf_mock, labelf_credentials):
    token, basic, secret = secrets(labelf_mock, labelf_credentials)
    pytest.xfail(f"because {token} {basic} {secret}")


def test_skip(labelf_mock, labelf_credentials):
    token, basic, secret = secrets(labelf_mock, labelf_credentials)
    pytest.skip(f"because {token} {basic} {secret}")


def test_property(labelf_mock, labelf_credentials, record_property):
    token, basic, secret = secrets(labelf_mock, labelf_credentials)
    record_property("sent", f"{token} {basic} {secret}")
    print("passing output", token)


@pytest.mark.skipif(True, reason="needs LABELF_CLIENT_SECRET")
def test_documented_secret_in_a_reason():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("LABELF_CLIENT_ID", "LABELF_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_channels=TESTS)
    pytester.makeini("[pytest]\njunit_family = legacy\n")
    return pytester


def _needles(project: pytest.Pytester) -> set[str]:
    tokens = set((project.path / "tokens.txt").read_text().split())
    assert len(tokens) == 6
    return {SECRET, *b64_fragments(CLIENT_ID, SECRET), *tokens}


def test_every_channel_is_clean(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-rA",
        "-W",
        "default",
        "--junitxml=junit.xml",
        "--log-file=run.log",
        "--log-file-level=DEBUG",
    )
    result.assert_outcomes(failed=2, passed=2, skipped=2, xfailed=1, warnings=1)
    channels = {
        "terminal": result.stdout.str() + result.stderr.str(),
        "junit": (project.path / "junit.xml").read_text(),
        "log file": (project.path / "run.log").read_text(),
    }
    needles = _needles(project)
    for name, text in channels.items():
        assert leaks(text, needles) == [], name
    terminal = channels["terminal"]
    assert "[REDACTED]" in terminal and "[token sha256:" in terminal
    # pytest's own report survives: the -ra line still carries the assertion, the skip line its reason.
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] test_channels.py:*: needs LABELF_CLIENT_SECRET",
            "XFAIL test_channels.py::test_xfail - because [[]token sha256:*",
            "FAILED test_channels.py::test_failure_report - AssertionError: assert {*",
        ]
    )
    assert "calling with [token sha256:" in terminal
    assert 'message="needs LABELF_CLIENT_SECRET"' in channels["junit"]


def test_log_cli_is_clean(project: pytest.Pytester) -> None:
    # httpcore logs request headers at DEBUG: the Basic credentials go through log_cli as they are sent.
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-o", "log_cli=true", "--log-cli-level=DEBUG", "-k", "failure_report or warning"
    )
    result.assert_outcomes(failed=1, passed=1)
    terminal = result.stdout.str()
    assert "live log call" in terminal
    tokens = set((project.path / "tokens.txt").read_text().split())
    assert leaks(terminal, {SECRET, *b64_fragments(CLIENT_ID, SECRET), *tokens}) == []


def test_xdist_workers_redact_before_reporting(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-W", "default", "-n", "2")
    result.assert_outcomes(failed=2, passed=2, skipped=2, xfailed=1, warnings=1)
    assert leaks(result.stdout.str() + result.stderr.str(), _needles(project)) == []


def test_credentials_fixture_alone_registers_the_secret(pytester: pytest.Pytester) -> None:
    # No server fixture at all: labelf_credentials itself must make its secret redactable.
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_alone="""
        def test_prints(labelf_credentials):
            assert labelf_credentials.client_secret == "nope"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert leaks(result.stdout.str(), {SECRET[i : i + 8] for i in range(len(SECRET) - 7)}) == []


def test_contract_report_is_clean(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract suite against a mock that echoes credentials and issued tokens in its error bodies."""
    from labelf_testkit.contract_tests.service import ENCODING_CLIENT

    tokens_file = pytester.path / "echoed-tokens.txt"
    monkeypatch.setenv("LABELF_ECHO_TOKENS", str(tokens_file))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "labelf_testkit.contract_tests",
        "-m",
        "not contract_api",
        "--labelf-contract-app=tests.contract.variants:echoes_secrets",
        "--labelf-report=report",
        "-rA",
    )
    assert result.ret == 1
    tokens = set(tokens_file.read_text().split())
    assert tokens
    needles = {
        ENCODING_CLIENT.client_secret,
        *b64_fragments(ENCODING_CLIENT.client_id, ENCODING_CLIENT.client_secret),
        *tokens,
    }
    report_md = (pytester.path / "report.md").read_text()
    for text in (result.stdout.str(), report_md, (pytester.path / "report.json").read_text()):
        assert leaks(text, needles) == []
    assert "[token sha256:" in report_md and "[REDACTED]" in report_md  # the echo was there, and was redacted
