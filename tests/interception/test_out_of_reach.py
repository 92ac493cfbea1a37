"""What interception cannot route, it says so (or brings in reach): a resolver function bound before the
session, ``gethostbyname``, subprocesses, a custom aiohttp resolver, truststore injected during a test."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import truststore
from aiohttp.abc import AbstractResolver

from labelf_testkit import interception, start_mock

from .loopback import Production, production_server

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")
BOUND_EARLY = """
from socket import getaddrinfo  # bound at import: interception cannot reach it

def resolve(name, port):
    return getaddrinfo(name, port)
"""


@pytest.fixture
def production(tmp_path: Path) -> Iterator[Production]:
    with production_server(tmp_path) as server:
        yield server


def test_a_module_holding_its_own_getaddrinfo_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bound_early_module.py").write_text(BOUND_EARLY)
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("bound_early_module")
    with (
        pytest.warns(interception.InterceptionWarning, match=r"module 'bound_early_module' holds its own reference"),
        start_mock(intercept=True),
    ):
        pass


def test_a_tls_connection_made_around_interception_is_stopped_before_tls(production: Production) -> None:
    with start_mock(intercept=True):
        sock = socket.create_connection(("127.0.0.2", production.port), timeout=5)  # e.g. a name resolved by aiodns
        with sock, pytest.raises(interception.UnroutableRequestError, match=r"not the mock.*Nothing was sent"):
            production.context().wrap_socket(sock, server_hostname="auth.app.labelf.ai")
    assert production.requests == []


@pytest.mark.anyio
async def test_a_custom_aiohttp_resolver_is_brought_in_reach(production: Production) -> None:
    class ProductionResolver(AbstractResolver):  # stands in for aiodns / a resolver of the user's own
        async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[Any]:
            return [{"hostname": host, "host": "127.0.0.2", "port": production.port, "family": family,
                     "proto": 0, "flags": 0}]  # fmt: skip

        async def close(self) -> None:
            return None

    with start_mock(intercept=True) as mock:
        connector = aiohttp.TCPConnector(resolver=ProductionResolver(), ssl=production.context())
        headers = {"Authorization": requests.auth._basic_auth_str(*AUTH)}
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.post(TOKEN_URL, data=GRANT, headers=headers) as response,
        ):
            assert response.status == 200
        assert len(mock.journal) == 1
    assert production.requests == []


@pytest.mark.slow
def test_a_subprocess_given_a_labelf_url_is_warned_about() -> None:
    with start_mock(intercept=True), pytest.warns(interception.InterceptionWarning, match="subprocess"):
        subprocess.run([sys.executable, "-c", "print('https://api.labelf.ai/v2/models')"], check=True)


def test_truststore_injected_during_the_test_still_reaches_the_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with start_mock(intercept=True) as mock:
        truststore.inject_into_ssl()
        try:
            assert requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5).status_code == 200
            with httpx.Client(verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) as client:
                assert client.post(TOKEN_URL, data=GRANT, auth=AUTH).status_code == 200
        finally:
            truststore.extract_from_ssl()
        assert len(mock.journal) == 2
    assert interception.installed() == []


@pytest.mark.anyio
async def test_a_custom_aiohttp_resolver_is_never_asked_while_blocking(production: Production) -> None:
    asked: list[str] = []

    class RecordingResolver(AbstractResolver):  # stands in for aiodns, which would ask a DNS server
        async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[Any]:
            asked.append(host)
            return []

        async def close(self) -> None:
            return None

    with start_mock(intercept=True, block_other_hosts=True) as mock:
        port = int(mock.base_url.rsplit(":", 1)[1])
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=RecordingResolver())) as session:
            async with session.get(f"http://svc.localhost:{port}/v2/models") as response:
                assert response.status == 401
            with pytest.raises(interception.BlockedRequestError, match=r"'example\.com'"):
                await session.get("http://example.com/")
    assert asked == []
