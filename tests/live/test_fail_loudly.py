"""A live run that cannot be trusted says so once and exits non-zero: missing credentials, plain http off
loopback, rejected credentials, an unreachable target.  TLS trust reaches every client, schemathesis included."""

from __future__ import annotations

import json
import os
import re
import socket

import pytest

from labelf_testkit.live import require_tls_or_loopback
from tests.conftest import start_served_mock

SUITE = ("-p", "no:cacheprovider", "--pyargs", "labelf_testkit.contract_tests", "--labelf-target=live")


@pytest.fixture(autouse=True)
def no_ambient_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LABELF_CLIENT_ID", "LABELF_CLIENT_SECRET", "LABELF_MODEL_ID", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_missing_credentials_refuse_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_live="def test_x(labelf_token):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--labelf-target=live")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --labelf-target=live needs LABELF_CLIENT_ID and LABELF_CLIENT_SECRET*"])
    skipped = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--labelf-target=live", "--labelf-skip-without-credentials"
    )
    skipped.assert_outcomes(skipped=1)  # only with the explicit opt-in


def test_plain_http_off_loopback_is_refused(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", "id")
    monkeypatch.setenv("LABELF_CLIENT_SECRET", "a-real-looking-secret")
    pytester.makepyfile(test_live="def test_x(labelf_token):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--labelf-target=live", "--labelf-auth-url=http://labelf.invalid"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --labelf-auth-url=http://labelf.invalid: a live target must use https*"])


def _outcomes(pytester: pytest.Pytester) -> tuple[dict[str, str], dict[str, list[str]], dict[str, object]]:
    document = json.loads((pytester.path / "report.json").read_text())
    return (
        {row["id"]: row["outcome"] for row in document["checks"]},
        {row["id"]: row["notes"] for row in document["checks"]},
        document,
    )


def test_rejected_credentials_stop_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    served = start_served_mock(pytester.path, "--access-log")
    try:
        monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
        monkeypatch.setenv("LABELF_CLIENT_SECRET", "not-the-secret-at-all")
        monkeypatch.setenv("LABELF_MODEL_ID", "1")
        result = pytester.runpytest_subprocess(
            *SUITE,
            f"--labelf-auth-url={served.base_url}",
            f"--labelf-api-url={served.base_url}",
            "--labelf-report=report",
        )
    finally:
        assert served.stop() == 0
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert len(re.findall(r'"POST /oauth2/token HTTP/1\.1" 401', served.output())) == 1  # one request, then stop
    result.stdout.fnmatch_lines(["*Interrupted: labelf live run stopped: the live target rejected LABELF_CLIENT_ID*"])
    outcomes, notes, document = _outcomes(pytester)
    assert set(outcomes.values()) == {"not run"}  # nothing blamed on the service, advisory or not
    assert all("rejected LABELF_CLIENT_ID" in " ".join(notes[cid]) for cid in outcomes)
    assert "rejected" in str(document["stopped"])


def test_unreachable_target_stops_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
    monkeypatch.setenv("LABELF_CLIENT_SECRET", "CLIENT_SECRET")
    monkeypatch.setenv("LABELF_MODEL_ID", "1")
    result = pytester.runpytest_subprocess(
        *SUITE, f"--labelf-auth-url={url}", f"--labelf-api-url={url}", "--labelf-report=report"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*Interrupted: labelf live run stopped: the live target {url} is unreachable*"])
    assert result.stdout.str().count("ConnectError") <= 3  # the reason, said once (terminal, summary, report path)
    outcomes, _notes, document = _outcomes(pytester)
    assert set(outcomes.values()) == {"not run"}
    assert document["live_requests"] == 1


def test_ca_bundle_reaches_every_client(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    served = start_served_mock(pytester.path, "--tls", "--tls-dir", str(pytester.path / "tls"))
    try:
        monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
        monkeypatch.setenv("LABELF_CLIENT_SECRET", "CLIENT_SECRET")
        monkeypatch.setenv("LABELF_MODEL_ID", "1")
        assert served.ca_bundle is not None and "REQUESTS_CA_BUNDLE" not in os.environ
        result = pytester.runpytest_subprocess(
            *SUITE,
            f"--labelf-auth-url={served.base_url}",
            f"--labelf-api-url={served.base_url}",
            f"--labelf-ca-bundle={served.ca_bundle}",
            "--labelf-report=report",
        )
    finally:
        assert served.stop() == 0
    assert result.ret == 0, result.stdout.str()[-3000:]
    outcomes, _notes, _document = _outcomes(pytester)
    assert outcomes["SCHEMA-001"] == outcomes["SCHEMA-002"] == "pass"  # schemathesis' requests session trusted it


@pytest.mark.parametrize("url", ["http://evil.localhost:8080", "http://localhost.example", "http://10.0.0.1"])
def test_plain_http_to_a_name_that_may_not_be_loopback_is_refused(url: str) -> None:
    with pytest.raises(pytest.UsageError, match="a live target must use https"):
        require_tls_or_loopback(url, "--labelf-auth-url")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", "https://x.test"])
def test_https_or_plain_http_to_loopback_is_accepted(url: str) -> None:
    require_tls_or_loopback(url, "--labelf-auth-url")
