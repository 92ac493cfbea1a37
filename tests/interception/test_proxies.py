"""Row 1: with HTTPS_PROXY/HTTP_PROXY/ALL_PROXY set, every client's Labelf request reaches the mock and a proxy
never sees one; other hosts still go through the proxy (the control that shows the proxy is in use)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest
import requests

from labelf_testkit import BlockedRequestError, RunningMock, interception, start_mock

from .loopback import RecordingProxy, recording_proxy

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
PLAIN_URL = "http://api.app.labelf.ai/v2/models"
BASIC = "Basic " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode()
FORM = {"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"}
GRANT = b"grant_type=client_credentials"
OTHER = "http://elsewhere.example/"
OTHER_TLS = "https://elsewhere.example/"

ENVIRONMENTS = {
    "upper": ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"),
    "lower": ("https_proxy", "http_proxy", "all_proxy"),
    "all_proxy only": ("ALL_PROXY", "all_proxy"),
}
NO_PROXY = ["", "localhost,127.0.0.1", "*.example.com", ".labelf.example", "auth.app.labelf.ai.evil"]


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    with recording_proxy() as recording:
        yield recording


@pytest.fixture(params=sorted(ENVIRONMENTS))
def proxied_env(request: pytest.FixtureRequest, proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name in ENVIRONMENTS[request.param]:
        monkeypatch.setenv(name, proxy.url)
    return str(request.param)


@pytest.fixture(params=[False, True], ids=["pass-other-hosts", "block-other-hosts"])
def block(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def mock(block: bool, proxied_env: str) -> Iterator[RunningMock]:
    with start_mock(intercept=True, block_other_hosts=block) as running:
        yield running


def _other_host(block: bool, proxy: RecordingProxy, send: Callable[[], int]) -> None:
    """Another host through the environment's proxy: the proxy sees it and answers 502 (the control: the proxy is
    in use), or, while other hosts are blocked, ``BlockedRequestError`` before the proxy sees a byte (it would
    reach the host for us)."""
    if block:
        with pytest.raises(BlockedRequestError, match=r"blocked a connection to 'elsewhere\.example'"):
            send()
        assert not any("elsewhere.example" in line for line in proxy.seen), proxy.seen
    else:
        try:
            assert send() == 502
        except (requests.RequestException, httpx.HTTPError, urllib.error.URLError, OSError) as error:
            assert "502" in str(error)  # https: the proxy refused the CONNECT tunnel with its 502
        assert any("elsewhere.example" in line for line in proxy.seen), proxy.seen


def test_requests(mock: RunningMock, proxy: RecordingProxy, block: bool) -> None:
    _other_host(block, proxy, lambda: requests.get(OTHER, timeout=5).status_code)
    _other_host(block, proxy, lambda: requests.get(OTHER_TLS, timeout=5).status_code)
    assert requests.post(TOKEN_URL, data=GRANT, headers=FORM, timeout=5).status_code == 200
    assert requests.get(PLAIN_URL, headers={"Authorization": BASIC}, timeout=5).status_code == 401
    with requests.Session() as session:  # explicit proxies in code are passed over too
        explicit = {"https": proxy.url, "http": proxy.url}
        assert session.post(TOKEN_URL, data=GRANT, headers=FORM, proxies=explicit, timeout=5).status_code == 200
    assert [entry.path for entry in mock.journal] == ["/oauth2/token", "/v2/models", "/oauth2/token"]
    assert proxy.labelf_requests() == []


def test_httpx_sync(mock: RunningMock, proxy: RecordingProxy, block: bool) -> None:
    with httpx.Client() as client:
        assert client.post(TOKEN_URL, content=GRANT, headers=FORM).status_code == 200
        assert client.get(PLAIN_URL, headers={"Authorization": BASIC}).status_code == 401
        _other_host(block, proxy, lambda: client.get(OTHER).status_code)
        _other_host(block, proxy, lambda: client.get(OTHER_TLS).status_code)
    with httpx.Client(proxy=proxy.url) as explicit:
        assert explicit.post(TOKEN_URL, content=GRANT, headers=FORM).status_code == 200
    assert len(mock.journal) == 3
    assert proxy.labelf_requests() == []


@pytest.mark.anyio
async def test_httpx_async(mock: RunningMock, proxy: RecordingProxy) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.post(TOKEN_URL, content=GRANT, headers=FORM)).status_code == 200
        assert (await client.get(PLAIN_URL, headers={"Authorization": BASIC})).status_code == 401
    assert len(mock.journal) == 2
    assert proxy.labelf_requests() == []


def test_urllib(mock: RunningMock, proxy: RecordingProxy, block: bool) -> None:
    opener = urllib.request.build_opener()  # reads the environment's proxies now
    if mock_env_has_http_proxy():  # urllib reads HTTP(S)_PROXY, not ALL_PROXY
        _other_host(block, proxy, lambda: _urllib_status(opener, OTHER))
        _other_host(block, proxy, lambda: _urllib_status(opener, OTHER_TLS))
    with opener.open(urllib.request.Request(TOKEN_URL, data=GRANT, headers=FORM), timeout=5) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(urllib.request.Request(PLAIN_URL, headers={"Authorization": BASIC}), timeout=5)
    assert refused.value.code == 401
    refused.value.close()
    assert len(mock.journal) == 2
    assert proxy.labelf_requests() == []


def _urllib_status(opener: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with opener.open(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except urllib.error.URLError as error:  # a refused tunnel: urllib wraps what http.client raised
        if isinstance(error.reason, BaseException):
            raise error.reason from None
        raise


def mock_env_has_http_proxy() -> bool:
    return any(os.environ.get(name) for name in ("HTTP_PROXY", "http_proxy"))


@pytest.mark.anyio
async def test_aiohttp_trust_env(mock: RunningMock, proxy: RecordingProxy, block: bool) -> None:
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.post(TOKEN_URL, data=GRANT, headers=FORM) as response:
            assert response.status == 200
        async with session.get(PLAIN_URL, headers={"Authorization": BASIC}) as response:
            assert response.status == 401
        if mock_env_has_http_proxy():  # aiohttp reads HTTP(S)_PROXY, not ALL_PROXY
            if block:
                with pytest.raises(BlockedRequestError, match="through a proxy"):
                    await session.get(OTHER)
                assert proxy.seen == []
            else:
                async with session.get(OTHER) as response:  # the control: the proxy answers 502
                    assert response.status == 502
                assert proxy.seen
    assert len(mock.journal) == 2
    assert proxy.labelf_requests() == []


@pytest.mark.anyio
async def test_aiohttp_explicit_proxy_is_refused_before_the_proxy_sees_it(
    mock: RunningMock, proxy: RecordingProxy
) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(
            interception.UnroutableRequestError, match=r"labelf-testkit stopped a request to 'auth\.app\.labelf\.ai'"
        ):
            await session.post(TOKEN_URL, data=GRANT, headers=FORM, proxy=proxy.url)
    assert proxy.seen == []


@pytest.mark.parametrize("no_proxy", NO_PROXY)
def test_no_proxy_variations_change_nothing_for_labelf(
    no_proxy: str, proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    monkeypatch.setenv("no_proxy", no_proxy)
    with start_mock(intercept=True) as running:
        assert requests.post(TOKEN_URL, data=GRANT, headers=FORM, timeout=5).status_code == 200
        with httpx.Client() as client:
            assert client.get(PLAIN_URL).status_code == 401
        assert len(running.journal) == 2
    assert proxy.labelf_requests() == []


def test_a_tunnel_to_labelf_through_any_proxy_is_stopped_before_connect(proxy: RecordingProxy) -> None:
    import http.client

    port = int(proxy.url.rsplit(":", 1)[1])
    with start_mock(intercept=True):
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=5)
        connection.set_tunnel("auth.app.labelf.ai", 443)
        with pytest.raises(interception.UnroutableRequestError, match=r"CONNECT through 127\.0\.0\.1"):
            connection.request("POST", "/oauth2/token", body=GRANT, headers=FORM)
        connection.close()
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        with pytest.raises(interception.UnroutableRequestError, match="through a proxy"):
            plain.request("GET", PLAIN_URL, headers={"Authorization": BASIC})
        plain.close()
    assert proxy.seen == []


def test_blocking_still_refuses_other_hosts_that_skip_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "*")
    with start_mock(intercept=True, block_other_hosts=True), pytest.raises(BlockedRequestError):
        requests.get(OTHER, timeout=5)


LATE_IMPORT = """
import os, sys, socket, threading
from labelf_testkit import start_mock, interception

seen = []
listener = socket.create_server(("127.0.0.1", 0))
def proxy():
    while True:
        connection, _ = listener.accept()
        seen.append(connection.recv(65536))
        connection.sendall(b"HTTP/1.1 502 Bad Gateway\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n")
        connection.close()
threading.Thread(target=proxy, daemon=True).start()
os.environ["HTTPS_PROXY"] = os.environ["HTTP_PROXY"] = f"http://127.0.0.1:{listener.getsockname()[1]}"
os.environ.pop("NO_PROXY", None); os.environ.pop("no_proxy", None)

with start_mock(intercept=True) as mock:
    assert not {"requests", "httpx", "aiohttp"} & set(sys.modules)
    import asyncio, aiohttp, httpx, requests  # first imported while interception is active
    grant, auth = {"grant_type": "client_credentials"}, ("CLIENT_ID", "CLIENT_SECRET")
    assert requests.post("https://auth.app.labelf.ai/oauth2/token", data=grant, auth=auth).status_code == 200
    assert httpx.post("https://auth.app.labelf.ai/oauth2/token", data=grant, auth=auth).status_code == 200
    async def by_aiohttp():
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get("http://api.labelf.ai/v2/models") as response:
                return response.status
    assert asyncio.run(by_aiohttp()) == 401
    assert len(mock.journal) == 3, mock.journal
assert seen == [], seen
assert interception.installed() == [], interception.installed()
print("ok")
"""


@pytest.mark.slow
def test_clients_imported_during_interception_are_patched_before_their_first_request(tmp_path: Path) -> None:
    script = tmp_path / "late_import.py"
    script.write_text(LATE_IMPORT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


@pytest.mark.parametrize("block_other_hosts", [False, True])
def test_a_urllib3_proxy_manager_tunnel_to_labelf_is_stopped_before_the_proxy_sees_it(
    proxy: RecordingProxy, block_other_hosts: bool
) -> None:
    import urllib3

    with start_mock(intercept=True, block_other_hosts=block_other_hosts), urllib3.ProxyManager(proxy.url) as manager:
        with pytest.raises(interception.UnroutableRequestError, match=r"CONNECT through 127\.0\.0\.1"):
            manager.request("POST", TOKEN_URL, body=GRANT, headers=FORM, retries=False)
        with pytest.raises(interception.UnroutableRequestError, match="through a proxy"):
            manager.request("GET", PLAIN_URL, headers={"Authorization": BASIC}, retries=False)
    assert proxy.seen == []


DEAD_PROXY = "http://user:proxy-secret@127.0.0.1:9"  # nothing listens on port 9 (discard)


@pytest.fixture
def dead_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name.lower(), raising=False)
        monkeypatch.setenv(name, DEAD_PROXY if name != "NO_PROXY" else "")


def _blocked_before_the_proxy(error: pytest.ExceptionInfo[BlockedRequestError]) -> None:
    message = str(error.value)
    assert "blocked a connection to 'elsewhere.example'" in message and "through a proxy" in message
    assert "proxy-secret" not in message  # the proxy's credentials are never shown
    assert "port None" not in message  # a URL without a port: the scheme's default, not "None"


@pytest.mark.usefixtures("dead_proxy_env")
@pytest.mark.parametrize("url", [OTHER, OTHER_TLS])
def test_blocking_refuses_another_host_at_the_choice_of_a_proxy_even_a_dead_one(url: str) -> None:
    with start_mock(intercept=True, block_other_hosts=True):
        with pytest.raises(BlockedRequestError) as by_requests:
            requests.get(url, timeout=5)
        _blocked_before_the_proxy(by_requests)
        with httpx.Client() as client, pytest.raises(BlockedRequestError) as by_httpx:
            client.get(url)
        _blocked_before_the_proxy(by_httpx)
        with pytest.raises(BlockedRequestError) as by_urllib:
            urllib.request.build_opener().open(url, timeout=5)
        _blocked_before_the_proxy(by_urllib)


@pytest.mark.anyio
@pytest.mark.usefixtures("dead_proxy_env")
async def test_blocking_refuses_another_host_at_aiohttp_s_choice_of_a_proxy() -> None:
    with start_mock(intercept=True, block_other_hosts=True):
        async with aiohttp.ClientSession(trust_env=True) as session:
            with pytest.raises(BlockedRequestError) as error:
                await session.get(OTHER_TLS)
    _blocked_before_the_proxy(error)
