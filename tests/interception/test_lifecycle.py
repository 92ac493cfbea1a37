"""Rows 5, 9 and 11: interceptions end in any order, nothing of the kit outlives them (also under a test's
own ``monkeypatch``), and no TLS folder (CA and leaf key) is left in the temp dir."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import pytest
import requests

from labelf_testkit import interception as interception_module
from labelf_testkit import start_mock
from labelf_testkit.mock_server import create_app
from labelf_testkit.servers import MockServers

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")


def _patched() -> tuple[object, ...]:
    return (
        socket.getaddrinfo,
        socket.gethostbyname,
        socket.socket.__dict__.get("connect"),
        ssl.SSLContext.wrap_socket,
        ssl.SSLContext.wrap_bio,
        anyio.connect_tcp,
        subprocess.Popen.__init__,
    )


# --- row 5 ---------------------------------------------------------------------------------------------------


def test_out_of_order_stops_remove_only_their_own_route() -> None:
    before = _patched()
    first = start_mock(intercept=True)
    second = start_mock(intercept=True)
    third = start_mock(intercept=True)
    try:
        second.stop()  # neither the newest nor the oldest
        requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)
        first.stop()
        requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)
        assert [len(m.journal) for m in (first, second, third)] == [0, 0, 2]  # the newest still routes
        third.stop()
        assert not interception_module.is_routed("auth.app.labelf.ai")
        assert _patched() == before
        assert interception_module.installed() == []
    finally:
        for mock in (first, second, third):
            mock.stop()


def test_the_older_route_takes_over_when_the_newer_stops() -> None:
    older, newer = start_mock(intercept=True), start_mock(intercept=True)
    try:
        newer.stop()
        assert requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5).status_code == 200
        assert [len(older.journal), len(newer.journal)] == [1, 0]
    finally:
        older.stop()
        newer.stop()
    assert interception_module.installed() == []


# --- row 9 ---------------------------------------------------------------------------------------------------

MONKEYPATCHING_TESTS = """
import socket, ssl
import pytest
from labelf_testkit import interception

REAL = (socket.getaddrinfo, socket.socket.__dict__.get("connect"), ssl.SSLContext.wrap_socket)

def spy(*args, **kwargs):
    return REAL[0](*args, **kwargs)

def test_monkeypatch_first(monkeypatch, labelf_intercept):
    monkeypatch.setattr(socket, "getaddrinfo", spy)
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: REAL_CONNECT(self, address))

def test_intercept_first(labelf_intercept, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", spy)

@pytest.mark.usefixtures("labelf_intercept")
def test_marker_and_monkeypatch(monkeypatch):
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", lambda *a, **k: None)

@pytest.fixture
def patched_by_a_fixture(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", spy)

def test_fixture_after_intercept(labelf_intercept, patched_by_a_fixture):
    pass

REAL_CONNECT = socket.socket.connect

@pytest.mark.parametrize("run", range(3))
def test_z_nothing_left(run):
    assert (socket.getaddrinfo, socket.socket.__dict__.get("connect"), ssl.SSLContext.wrap_socket) == REAL
    assert interception.installed() == []
"""


def test_nothing_is_left_installed_whatever_the_fixture_order(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_monkeypatching=MONKEYPATCHING_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


# --- row 11 --------------------------------------------------------------------------------------------------


def _tls_folders(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir() if p.name.startswith("labelf-testkit-tls-"))


def test_servers_remove_the_tls_folder_they_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    servers = MockServers(create_app())
    key = servers.tls.private_key
    assert key.exists() and _tls_folders(tmp_path)
    servers.stop()
    assert _tls_folders(tmp_path) == []
    with start_mock(intercept=True, tls=True) as mock:
        assert mock.ca_bundle and Path(mock.ca_bundle).exists()
    assert _tls_folders(tmp_path) == []


def test_a_session_leaves_no_tls_folder(pytester: pytest.Pytester, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    pytester.makepyfile(
        test_uses_interception="""
        import requests

        def test_one(labelf_intercept):
            assert requests.post("https://auth.app.labelf.ai/oauth2/token", data={"grant_type": "client_credentials"},
                                 auth=("CLIENT_ID", "CLIENT_SECRET")).status_code == 200
        """
    )
    env = {**os.environ, "TMPDIR": str(temp)}
    for options in ([], ["-n", "2"]):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *options],
            cwd=pytester.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert _tls_folders(temp) == []
