"""Nothing escapes: every HTTP client in the process reaches the mock for Labelf's hosts, and is refused for
other hosts under ``block_other_hosts``; host names are compared as DNS compares them."""

from __future__ import annotations

import base64
import http.client
import urllib.error
import urllib.request

import aiohttp
import httpx
import pytest
import requests
import urllib3

from labelf_testkit import BlockedRequestError, LabelfMock

BASIC = "Basic " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode()
GRANT = b"grant_type=client_credentials"
FORM = {"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"}


def _paths(mock: LabelfMock) -> list[tuple[str, int | None]]:
    return [(entry.path, entry.status) for entry in mock.journal]


def test_urllib_request(labelf_intercept: LabelfMock) -> None:
    request = urllib.request.Request("https://auth.app.labelf.ai/oauth2/token", data=GRANT, headers=FORM)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - https to an intercepted host
        assert response.status == 200
    assert _paths(labelf_intercept) == [("/oauth2/token", 200)]


def test_urllib3(labelf_intercept: LabelfMock) -> None:
    with urllib3.PoolManager() as pool:
        response = pool.request("POST", "https://auth.app.labelf.ai/oauth2/token", body=GRANT, headers=FORM)
    assert response.status == 200
    assert _paths(labelf_intercept) == [("/oauth2/token", 200)]


def test_http_client(labelf_intercept: LabelfMock) -> None:
    connection = http.client.HTTPSConnection("api.labelf.ai", timeout=5)
    try:
        connection.request("GET", "/v2/models")
        assert connection.getresponse().status == 401
    finally:
        connection.close()
    assert _paths(labelf_intercept) == [("/v2/models", 401)]


@pytest.mark.anyio
async def test_aiohttp(labelf_intercept: LabelfMock) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post("https://auth.app.labelf.ai/oauth2/token", data=GRANT, headers=FORM) as response,
    ):
        assert response.status == 200
        assert (await response.json())["token_type"] == "bearer"
    assert _paths(labelf_intercept) == [("/oauth2/token", 200)]


def test_plain_http_url_reaches_the_mock_too(labelf_intercept: LabelfMock) -> None:
    assert requests.get("http://api.app.labelf.ai/v2/models", timeout=5).status_code == 401
    assert _paths(labelf_intercept) == [("/v2/models", 401)]


@pytest.mark.parametrize("host", ["AUTH.App.Labelf.AI", "auth.app.labelf.ai."])
def test_host_names_compare_as_dns_does(labelf_intercept: LabelfMock, host: str) -> None:
    response = requests.post(f"https://{host}/oauth2/token", data=GRANT, headers=FORM, timeout=5)
    assert response.status_code == 200
    with httpx.Client() as client:
        assert client.post(f"https://{host}/oauth2/token", content=GRANT, headers=FORM).status_code == 200
    assert len(labelf_intercept.journal.token_requests) == 2


BLOCKED = r"labelf-testkit blocked a connection to 'example\.com'.*labelf_mock\.base_url"


@pytest.mark.labelf_intercept(block_other_hosts=True)
def test_blocking_refuses_every_client() -> None:
    with pytest.raises(BlockedRequestError, match=BLOCKED):
        requests.get("https://example.com/", timeout=5)
    with httpx.Client() as client, pytest.raises(BlockedRequestError, match=BLOCKED):
        client.get("https://example.com/")
    with pytest.raises(BlockedRequestError, match=BLOCKED):
        urllib.request.urlopen("https://example.com/", timeout=5)
    with pytest.raises(BlockedRequestError, match=BLOCKED):
        http.client.HTTPConnection("Example.COM.", timeout=5).request("GET", "/")
    with urllib3.PoolManager(retries=False) as pool, pytest.raises(BlockedRequestError, match=BLOCKED):
        pool.request("GET", "https://example.com/")


@pytest.mark.anyio
@pytest.mark.labelf_intercept(block_other_hosts=True)
async def test_blocking_refuses_async_clients() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(BlockedRequestError, match=BLOCKED):
            await session.get("https://example.com/")
    async with httpx.AsyncClient() as client:
        with pytest.raises(BlockedRequestError, match=BLOCKED):
            await client.get("https://example.com/")


@pytest.mark.labelf_intercept(block_other_hosts=True)
def test_blocking_lets_loopback_through(labelf_intercept: LabelfMock) -> None:
    with httpx.Client() as client:
        assert client.get(labelf_intercept.api_url + "/models").status_code == 401
