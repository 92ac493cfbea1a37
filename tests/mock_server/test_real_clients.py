"""The documentation's three snippets and httpx, against ``labelf-mock serve`` over a real loopback socket."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests

from tests.conftest import ServedMock, start_served_mock
from tests.helpers import IR, assert_token_success

NODE = shutil.which("node")
# The console script installed beside this interpreter (the venv need not be activated).
LABELF_MOCK = str(Path(sys.executable).with_name("labelf-mock"))
CURL = shutil.which("curl")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed on this machine")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed on this machine")

# reference/labelf-obtaining-a-token.txt, with only the host changed (and the missing braces closed).
FETCH_SNIPPET = """
fetch('%s/oauth2/token', {
    method: 'POST',
    headers: {
        'Authorization': 'Basic ' + btoa('CLIENT_ID:CLIENT_SECRET')
    },
    body: new URLSearchParams({
        'grant_type': 'client_credentials'
    })
}).then(async (r) => {
    console.log(JSON.stringify({status: r.status, contentType: r.headers.get('content-type'),
                                cacheControl: r.headers.get('cache-control'), body: await r.text()}));
});
"""


def test_python_requests_snippet(served_mock: ServedMock) -> None:
    data = {"grant_type": "client_credentials"}
    response = requests.post(
        f"{served_mock.base_url}/oauth2/token", data=data, auth=("CLIENT_ID", "CLIENT_SECRET"), timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert list(response.json()) == ["access_token", "expires_in", "scope", "token_type"]
    assert response.json()["expires_in"] == 3122063999
    assert "server" not in response.headers


@needs_node
def test_javascript_fetch_snippet(served_mock: ServedMock) -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "-e", FETCH_SNIPPET % served_mock.base_url], capture_output=True, text=True, timeout=60, check=True
    )
    answer = json.loads(result.stdout)
    assert answer["status"] == 200
    assert answer["contentType"] == "application/json;charset=UTF-8"
    assert answer["cacheControl"] == "no-store"
    body = json.loads(answer["body"])
    assert body["token_type"] == "bearer" and body["scope"] == "" and body["access_token"].startswith("ory_at_")


@needs_curl
def test_documented_curl_line_gets_hydras_missing_credentials_answer(served_mock: ServedMock) -> None:
    # The documented curl line sends no credentials at all (and -k, which this project never uses).
    assert CURL is not None
    command = [
        CURL,
        "-s",
        "-i",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "-d",
        "grant_type=client_credentials",
        f"{served_mock.base_url}/oauth2/token",
    ]
    output = subprocess.run(command, capture_output=True, timeout=30, check=True).stdout.decode()
    head, _, body = output.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400")
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head.splitlines()[1:]}
    assert headers["content-type"] == "application/json;charset=UTF-8"
    assert headers["cache-control"] == "no-store" and headers["pragma"] == "no-cache"
    assert "www-authenticate" not in headers
    assert json.loads(body) == {
        "error": "invalid_request",
        "error_description": f"{IR} Client credentials missing or malformed in both HTTP Authorization header and "
        "HTTP POST body.",
    }


@needs_curl
def test_curl_with_credentials_gets_a_token(served_mock: ServedMock) -> None:
    assert CURL is not None
    command = [
        CURL,
        "-s",
        "-u",
        "CLIENT_ID:CLIENT_SECRET",
        "-d",
        "grant_type=client_credentials",
        f"{served_mock.base_url}/oauth2/token",
    ]
    body = json.loads(subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout)
    assert body["token_type"] == "bearer"


def test_httpx_sync(served_mock: ServedMock) -> None:
    with httpx.Client(base_url=served_mock.base_url) as http:
        assert_token_success(
            http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=("CLIENT_ID", "CLIENT_SECRET"))
        )


@pytest.mark.anyio
async def test_httpx_async(served_mock: ServedMock) -> None:
    async with httpx.AsyncClient(base_url=served_mock.base_url) as http:
        response = await http.post(
            "/oauth2/token", data={"grant_type": "client_credentials"}, auth=("CLIENT_ID", "CLIENT_SECRET")
        )
    assert_token_success(response)


@pytest.fixture(scope="module")
def tls_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    """``labelf-mock serve --tls``."""
    tmp = tmp_path_factory.mktemp("tls")
    served = start_served_mock(tmp, "--tls", "--tls-dir", str(tmp / "certs"))
    yield served
    assert served.stop() == 0


def test_tls_with_verification_on(tls_mock: ServedMock) -> None:
    assert tls_mock.base_url.startswith("https://127.0.0.1:") and tls_mock.ca_bundle
    data = {"grant_type": "client_credentials"}
    response = requests.post(
        f"{tls_mock.base_url}/oauth2/token",
        data=data,
        auth=("CLIENT_ID", "CLIENT_SECRET"),
        verify=tls_mock.ca_bundle,
        timeout=10,
    )
    assert response.status_code == 200
    url = httpx.URL(tls_mock.base_url)
    # The system trust store does not know the throwaway CA: verification really is on.
    with (
        socket.create_connection((url.host, url.port or 443), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname=url.host).close()
    with httpx.Client(verify=ssl.create_default_context(cafile=tls_mock.ca_bundle)) as http:
        assert_token_success(
            http.post(f"{tls_mock.base_url}/oauth2/token", data=data, auth=("CLIENT_ID", "CLIENT_SECRET"))
        )


@needs_node
def test_tls_with_node_trusting_the_ca(tls_mock: ServedMock) -> None:
    assert NODE is not None and tls_mock.ca_bundle
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": tls_mock.ca_bundle}
    result = subprocess.run(
        [NODE, "-e", FETCH_SNIPPET % tls_mock.base_url], capture_output=True, text=True, timeout=60, env=env, check=True
    )
    assert json.loads(result.stdout)["status"] == 200


def test_key_file_is_private(tls_mock: ServedMock) -> None:
    assert tls_mock.ca_bundle
    key = Path(tls_mock.ca_bundle).with_name("server-key.pem")
    assert key.stat().st_mode & 0o077 == 0


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_on_signals(tmp_path: Path, stop_signal: signal.Signals) -> None:
    served = start_served_mock(tmp_path, "--client", "me:pa:ss", "--access-log")
    requests.post(
        f"{served.base_url}/oauth2/token", data={"grant_type": "client_credentials"}, auth=("me", "pa:ss"), timeout=10
    ).raise_for_status()
    served.process.send_signal(stop_signal)
    assert served.process.wait(timeout=10) == 0
    output = served.output()
    assert "client id:     me" in output
    assert "pa:ss" not in output  # a configured secret is never printed
    assert f"token URL:     {served.base_url}/oauth2/token" in output
    assert '"POST /oauth2/token HTTP/1.1" 200' in output  # access log on


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_even_while_a_client_has_sent_half_a_request(tmp_path: Path, stop_signal: signal.Signals) -> None:
    from urllib.parse import urlsplit

    served = start_served_mock(tmp_path)
    address = urlsplit(served.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as stalled:
        stalled.sendall(
            b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\ngrant_type="
        )
        with httpx.Client() as probe:  # the request is in flight: the server has read what came
            assert probe.get(f"{served.base_url}/openapi.json").status_code == 200
        served.process.send_signal(stop_signal)
        # It waits out the grace period for the stalled request, then cancels it and exits; uvicorn alone
        # waited for the client for ever.
        assert served.process.wait(timeout=30) == 0
    output = served.output()
    assert "Traceback" not in output and "CancelledError" not in output
    assert "timeout graceful shutdown exceeded" in output


@pytest.mark.slow
def test_serve_refuses_a_bad_config_naming_key_and_value(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text("expires_in = 'soon'\n")
    result = subprocess.run([LABELF_MOCK, "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "Config 'expires_in' has value 'soon'" in result.stderr


def test_serve_reports_a_busy_port(served_mock: ServedMock) -> None:
    port = httpx.URL(served_mock.base_url).port
    result = subprocess.run([LABELF_MOCK, "serve", "--port", str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
