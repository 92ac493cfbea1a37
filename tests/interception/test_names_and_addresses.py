"""Rows 4, 6, 7 and 8: names are compared as DNS sees them, IP literals and ``localhost`` names are held to
``block_other_hosts``, and ``socket.getaddrinfo`` keeps its real signature and errors under interception."""

from __future__ import annotations

import asyncio
import http.client
import inspect
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
import requests

from labelf_testkit import BlockedRequestError, RunningMock, start_mock
from labelf_testkit import interception as interception_module

GRANT = "grant_type=client_credentials"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ="}
METADATA = "169.254.169.254"
REAL_SHAPE = inspect.signature(socket.getaddrinfo).parameters  # at import, before any test patches it


@pytest.fixture
def mock(resolver: list[str]) -> Iterator[RunningMock]:
    with start_mock(intercept=True) as running:
        yield running


@pytest.fixture
def blocking(resolver: list[str]) -> Iterator[RunningMock]:
    with start_mock(intercept=True, block_other_hosts=True) as running:
        yield running


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Below the kit, a stand-in for the system resolver: it records every name it is asked for, encodes a
    str host as socket.getaddrinfo does, answers numeric loopback hosts and refuses the rest with gaierror."""
    below = socket.getaddrinfo
    asked: list[str] = []

    def system(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        asked.append(repr(host))
        encoded = host.encode("idna") if isinstance(host, str) else host  # raises as the real one does
        if encoded in (b"127.0.0.1", b"::1", None):
            return below(host, port, family, type, proto, flags)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", system)
    return asked


# --- row 4: IDNA spellings -------------------------------------------------------------------------------


IDNA_SPELLINGS = [
    "auth\u3002app\u3002labelf\u3002ai",  # ideographic full stops
    "\uff41\uff55\uff54\uff48.app.labelf.ai",  # full-width letters
    "\uff21\uff35\uff34\uff28\uff0e\uff21\uff30\uff30\uff0e\uff2c\uff21\uff22\uff25\uff2c\uff26\uff0e\uff21\uff29\u3002",
]


@pytest.mark.parametrize("host", IDNA_SPELLINGS, ids=["ideographic-dots", "full-width-letters", "full-width-upper"])
def test_http_client_with_an_idna_spelling_reaches_the_mock(mock: RunningMock, resolver: list[str], host: str) -> None:
    connection = http.client.HTTPSConnection(host, timeout=5)
    try:
        connection.request("POST", "/oauth2/token", body=GRANT, headers=FORM)
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    assert [entry.path for entry in mock.journal] == ["/oauth2/token"]
    assert not any("labelf" in name for name in resolver)


@pytest.mark.anyio
async def test_asyncio_streams_with_an_idna_spelling_reach_the_mock(mock: RunningMock, resolver: list[str]) -> None:
    reader, writer = await asyncio.open_connection("api\u3002labelf\u3002ai", 443, ssl=ssl.create_default_context())
    writer.write(b"GET /v2/models HTTP/1.1\r\nHost: api.labelf.ai\r\nConnection: close\r\n\r\n")
    answer = await reader.read()  # to the end: the server closes after its answer
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401")
    assert [entry.path for entry in mock.journal] == ["/v2/models"]
    assert not any("labelf" in name for name in resolver)


def test_clients_that_take_an_idna_spelling_in_a_url_reach_the_mock(mock: RunningMock, resolver: list[str]) -> None:
    """What docs/guide/interception.md says of URLs: httpx takes the ideographic full stops; requests (urllib3's
    URL parser) refuses non-ASCII names, and httpx full-width letters, before any connection is tried."""
    auth = ("CLIENT_ID", "CLIENT_SECRET")
    grant = {"grant_type": "client_credentials"}
    response = httpx.post("https://auth\u3002app\u3002labelf\u3002ai/oauth2/token", data=grant, auth=auth)
    assert response.status_code == 200
    for host in IDNA_SPELLINGS[:2]:
        with pytest.raises(requests.exceptions.InvalidURL):
            requests.post(f"https://{host}/oauth2/token", data=grant, auth=auth, timeout=5)
    with pytest.raises(httpx.InvalidURL):
        httpx.post(f"https://{IDNA_SPELLINGS[1]}/oauth2/token", data=grant, auth=auth)
    assert [entry.path for entry in mock.journal] == ["/oauth2/token"]
    assert not any("labelf" in name for name in resolver)


def test_an_idna_spelling_of_another_host_is_left_to_the_resolver(mock: RunningMock, resolver: list[str]) -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("auth\u3002app\u3002labelf\u3002example", 443)
    assert resolver == [repr("auth\u3002app\u3002labelf\u3002example")]


# --- row 6: IP literals under block_other_hosts ----------------------------------------------------------


@pytest.mark.anyio
async def test_aiohttp_to_an_ip_literal_is_blocked(blocking: RunningMock) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(BlockedRequestError, match=r"'169\.254\.169\.254'"):
            await session.get(f"http://{METADATA}/latest/meta-data/")


@pytest.mark.anyio
async def test_asyncio_open_connection_to_an_ip_literal_is_blocked(blocking: RunningMock) -> None:
    with pytest.raises(BlockedRequestError, match=r"'169\.254\.169\.254'"):
        await asyncio.open_connection(METADATA, 80)


@pytest.mark.parametrize("address", [(METADATA, 80), ("::ffff:169.254.169.254", 80, 0, 0), ("10.0.0.1", 443)])
def test_socket_connect_to_an_ip_literal_is_blocked(blocking: RunningMock, address: tuple[Any, ...]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(BlockedRequestError):
            sock.connect(address)
        with pytest.raises(BlockedRequestError):
            sock.connect_ex(address)


def test_socket_connect_by_name_is_routed_or_blocked(blocking: RunningMock) -> None:
    with socket.socket() as sock:
        sock.settimeout(5)
        sock.connect(("auth.app.labelf.ai", 80))  # resolved inside C without the kit: routed here instead
        sock.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: auth.app.labelf.ai\r\nConnection: close\r\n\r\n")
        assert sock.recv(12) == b"HTTP/1.1 200"
    with socket.socket() as sock, pytest.raises(BlockedRequestError, match=r"'example\.com'"):
        sock.connect(("example.com", 80))


def test_loopback_literals_still_pass(blocking: RunningMock) -> None:
    host, port = blocking.base_url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.connect((host, int(port)))


# --- row 7: localhost names under block_other_hosts --------------------------------------------------------


def test_localhost_names_never_reach_the_resolver(blocking: RunningMock, resolver: list[str]) -> None:
    port = blocking.base_url.rsplit(":", 1)[1]
    for name in ("svc.localhost", "A.B.LOCALHOST.", "localhost"):
        assert requests.get(f"http://{name}:{port}/v2/models", timeout=5).status_code == 401
        answers = socket.getaddrinfo(name, int(port), type=socket.SOCK_STREAM)
        assert {info[4][0] for info in answers} <= {"127.0.0.1", "::1"}
        assert socket.gethostbyname(name) == "127.0.0.1"
        with socket.socket() as sock:
            sock.connect((name, int(port)))
    assert all(name.strip("'") in {"127.0.0.1", "::1"} for name in resolver), resolver


def test_localhost_names_go_to_the_resolver_when_not_blocking(mock: RunningMock, resolver: list[str]) -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("svc.localhost", 80)
    assert resolver == ["'svc.localhost'"]


# --- row 8: the real signature and errors of getaddrinfo --------------------------------------------------


def test_getaddrinfo_takes_keywords_as_the_real_one(mock: RunningMock, resolver: list[str]) -> None:
    answers = socket.getaddrinfo(
        host="auth.app.labelf.ai", port=443, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0, flags=0
    )
    server = mock._servers.secure()
    assert {info[4] for info in answers} == {(server.host, server.port)}
    assert socket.getaddrinfo("auth.app.labelf.ai", "https", family=socket.AF_INET)[0][4][1] == server.port

    def shape(function: Any) -> list[tuple[str, object, object]]:
        parameters = inspect.signature(function, follow_wrapped=False).parameters.values()
        return [(p.name, p.kind, p.default) for p in parameters]

    assert shape(socket.getaddrinfo) == [(p.name, p.kind, p.default) for p in REAL_SHAPE.values()]


@pytest.mark.parametrize("host", [b"\xff\xfe.labelf.ai", b"auth.app.labelf.ai\xff", "a" * 64 + ".labelf.ai"])
def test_errors_are_those_without_the_kit(resolver: list[str], host: str | bytes) -> None:
    with pytest.raises(Exception) as without:
        socket.getaddrinfo(host, 443)
    with start_mock(intercept=True), pytest.raises(Exception) as within:
        socket.getaddrinfo(host, 443)
    assert type(within.value) is type(without.value)
    assert isinstance(within.value, socket.gaierror | UnicodeError)


def test_gethostbyname_of_a_labelf_host_is_refused_never_resolved(mock: RunningMock, resolver: list[str]) -> None:
    for function in (socket.gethostbyname, socket.gethostbyname_ex):
        with pytest.raises(interception_module.UnroutableRequestError, match=r"labelf-testkit: socket\.gethostbyname"):
            function("auth.app.labelf.ai")
    assert resolver == []
