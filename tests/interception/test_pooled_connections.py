"""Rows 2 and 3: a keep-alive connection never carries a Labelf request across an interception boundary.

"Production" is a TLS server on 127.0.0.2 that Labelf's names resolve to below the kit (see ``loopback``).
Row 2: a connection to production pooled before interception is not reused inside it; the mock answers.
Row 3: a connection to the mock pooled inside an interception is not reused after it (production answers, as
it would without the earlier interception), nor by an interception of another mock (that mock answers).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest
import requests

from labelf_testkit import intercept
from labelf_testkit.mock_server import create_app
from labelf_testkit.servers import MockServers

from .loopback import Production, production_server, resolve_labelf_to_production

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Production]:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # requests prefers it to session.verify
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with production_server(tmp_path) as server:
        resolve_labelf_to_production(monkeypatch, server)
        yield server


@pytest.fixture
def servers() -> Iterator[MockServers]:
    served = MockServers(create_app())
    yield served
    served.stop()


def _by(response: requests.Response | httpx.Response) -> str:
    """Who answered: production says so; the mock answers a token."""
    body = response.json()
    return "production" if body.get("served_by") == "production" else "mock" if "access_token" in body else "?"


def test_requests_session(production: Production, servers: MockServers) -> None:
    with requests.Session() as session:
        session.verify = str(production.ca_file)
        assert _by(session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)) == "production"  # pooled now
        with intercept(servers):
            assert _by(session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)) == "mock"
            assert _by(session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)) == "mock"  # the mock's, kept
        assert _by(session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)) == "production"  # row 3
    assert len(production.requests) == 2
    assert len(servers.app.mock.journal) == 2


def test_httpx_client(production: Production, servers: MockServers) -> None:
    with httpx.Client(verify=production.context()) as client:
        assert _by(client.post(TOKEN_URL, data=GRANT, auth=AUTH)) == "production"
        with intercept(servers):
            assert _by(client.post(TOKEN_URL, data=GRANT, auth=AUTH)) == "mock"
        assert _by(client.post(TOKEN_URL, data=GRANT, auth=AUTH)) == "production"
    assert len(production.requests) == 2


@pytest.mark.anyio
async def test_httpx_async_client(production: Production, servers: MockServers) -> None:
    url = f"https://auth.app.labelf.ai:{production.port}/oauth2/token"  # anyio connects to the URL's port
    async with httpx.AsyncClient(verify=production.context()) as client:
        assert _by(await client.post(url, data=GRANT, auth=AUTH)) == "production"
        with intercept(servers):
            assert _by(await client.post(url, data=GRANT, auth=AUTH)) == "mock"
        assert _by(await client.post(url, data=GRANT, auth=AUTH)) == "production"
    assert len(production.requests) == 2


@pytest.mark.anyio
async def test_aiohttp_session(production: Production, servers: MockServers) -> None:
    async def who(session: aiohttp.ClientSession) -> str:
        async with session.post(
            TOKEN_URL, data=GRANT, headers={"Authorization": requests.auth._basic_auth_str(*AUTH)}
        ) as response:
            body = await response.json()
        return "production" if body.get("served_by") == "production" else "mock"

    connector = aiohttp.TCPConnector(ssl=production.context())
    async with aiohttp.ClientSession(connector=connector) as session:
        assert await who(session) == "production"
        with intercept(servers):
            assert await who(session) == "mock"
            assert await who(session) == "mock"  # the mock's connection, kept in the pool
        assert await who(session) == "production"  # row 3: not the pool's closed connection to the mock
    assert len(production.requests) == 2


def test_http_client_connection_kept_by_the_caller(production: Production, servers: MockServers) -> None:
    connection = http.client.HTTPSConnection("auth.app.labelf.ai", context=production.context(), timeout=5)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": requests.auth._basic_auth_str(*AUTH),
    }
    try:
        connection.request("POST", "/oauth2/token", body="grant_type=client_credentials", headers=headers)
        assert json.loads(connection.getresponse().read())["served_by"] == "production"
        with intercept(servers):
            connection.request("POST", "/oauth2/token", body="grant_type=client_credentials", headers=headers)
            assert "access_token" in json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert len(production.requests) == 1


def test_another_mock_is_not_answered_by_the_previous_one(production: Production) -> None:
    first, second = MockServers(create_app()), MockServers(create_app())
    try:
        with requests.Session() as session:
            with intercept(first):
                assert _by(session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)) == "mock"
            with intercept(second):
                assert _by(session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)) == "mock"
        assert [len(first.app.mock.journal), len(second.app.mock.journal)] == [1, 1]
    finally:
        first.stop()
        second.stop()


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_shared_session_across_tests_reaches_what_each_test_would_reach(pytester: pytest.Pytester, scheme: str) -> None:
    """Row 3 through the fixtures: a module-level session, an intercepted test, then a test without
    interception (production answers) and one under another labelf_config (its own mock answers).  Plain http
    too: ``http://`` Labelf URLs go to the mock's http server, whose connections end with the test as well."""
    pytester.makeconftest(
        """
        import socket
        import pytest

        @pytest.fixture(scope="session", autouse=True)
        def production_by_name():
            below = socket.getaddrinfo
            def spy(host, port, *args, **kwargs):  # "production": a loopback port nothing listens on
                if str(host).endswith("labelf.ai"):
                    return below("127.0.0.2", 9, *args, **kwargs)
                return below(host, port, *args, **kwargs)
            socket.getaddrinfo = spy
            yield
            socket.getaddrinfo = below
        """
    )
    pytester.makepyfile(
        test_shared="""
        import pytest, requests
        from labelf_testkit.mock_server import ClientConfig, MockConfig

        SESSION = requests.Session()
        URL = "SCHEME://auth.app.labelf.ai/oauth2/token"
        GRANT = {"grant_type": "client_credentials"}

        def test_1_intercepted(labelf_intercept):
            assert SESSION.post(URL, data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET")).status_code == 200

        def test_2_not_intercepted():
            with pytest.raises(requests.ConnectionError):  # what it reaches without the kit: production
                SESSION.post(URL, data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET"), timeout=5)

        class TestOtherConfig:
            @pytest.fixture(scope="class")
            def labelf_config(self):
                return MockConfig(clients=(ClientConfig("other", "secret"),))

            def test_3_warm(self, labelf_intercept):
                assert SESSION.post(URL, data=GRANT, auth=("other", "secret")).status_code == 200

        def test_4_default_config_again(labelf_intercept):
            response = SESSION.post(URL, data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET"))
            assert response.status_code == 200, response.text
            assert len(labelf_intercept.journal) == 1
        """.replace("SCHEME", scheme)
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
