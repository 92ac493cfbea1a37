"""Usage, credential and connection problems: exit status 2 and one line that says what to fix."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from labelf_testkit.mock_server.cli import main

from .conftest import CLIENT_ID, CLIENT_SECRET, Workspace


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert captured.out == ""
    return line


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LABELF_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    assert main(["drift", "--live-auth-url", "http://127.0.0.1:9"]) == 2
    assert "set LABELF_CLIENT_ID and LABELF_CLIENT_SECRET" in one_line(capsys)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("url", ["http://auth.example.com", "ftp://127.0.0.1", "not a url"])
def test_only_https_or_loopback(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--live-auth-url", url]) == 2
    assert "--live-auth-url" in one_line(capsys)


def test_refused_credentials(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", "not-the-secret-at-all")
    before = workspace.requests_served()
    assert main(["drift", "--live-auth-url", workspace.url, "--live-api-url", workspace.url]) == 2
    line = one_line(capsys)
    assert "answered 401" in line and "check LABELF_CLIENT_ID / LABELF_CLIENT_SECRET" in line
    assert "not-the-secret-at-all" not in line
    assert workspace.requests_served() - before == 1


@pytest.mark.usefixtures("credentials")
def test_unreachable_service(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as closed:  # a port nobody listens on once this socket is closed
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    assert main(["drift", "--live-auth-url", url, "--live-api-url", url]) == 2
    assert f"cannot reach {url} (POST /oauth2/token): ConnectError" in one_line(capsys)


@pytest.mark.usefixtures("credentials")
def test_bad_baseline_file(
    workspace: Workspace, tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    before = workspace.requests_served()
    assert main(["drift", "--live-auth-url", workspace.url, "--baseline", "/nonexistent/baseline.json"]) == 2
    assert "--baseline '/nonexistent/baseline.json' cannot be read" in one_line(capsys)
    assert workspace.requests_served() == before


@pytest.mark.slow
def test_the_installed_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", CLIENT_SECRET)
    result = subprocess.run(
        [sys.executable, "-m", "labelf_testkit.mock_server", "drift", "--live-auth-url", "http://example.com"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "labelf-mock drift: --live-auth-url 'http://example.com' is plain http to a non-loopback host; "
        "live runs use https (or http to 127.0.0.1)"
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["drift", "--repeat", "0"], "labelf-mock drift: argument --repeat: expected a whole number of at least 1"),
        (["drift", "--max-requests", "many"], "labelf-mock drift: argument --max-requests: expected a whole number"),
        (["snapshot"], "labelf-mock snapshot: the following arguments are required: --out"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert one_line(capsys).startswith(expected)
