"""Interception on uvloop, which resolves names and connects in libuv, below Python's ``socket``: httpx and aiohttp
reach the mock, and so do the loop's own ``create_connection`` / ``asyncio.open_connection`` / ``getaddrinfo``;
``block_other_hosts`` refuses other hosts on every one of these paths.

Each test first checks that the kit's uvloop patches are installed, so that a kit without them fails here
instead of letting libuv ask a DNS server or connect anywhere.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import pytest

from labelf_testkit import BlockedRequestError, RunningMock, interception, start_mock

uvloop = pytest.importorskip("uvloop", reason="uvloop is not installed (it has no Windows build)")

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
GRANT = {"grant_type": "client_credentials"}
BASIC = "Basic " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode()
REQUEST = (
    b"POST /oauth2/token HTTP/1.1\r\nHost: auth.app.labelf.ai\r\nAuthorization: " + BASIC.encode() + b"\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\nConnection: close\r\n\r\n"
    b"grant_type=client_credentials"
)


def on_uvloop(test: Callable[[RunningMock], Awaitable[None]], block_other_hosts: bool = False) -> RunningMock:
    """Run ``test`` on a uvloop event loop while interception is active; the mock, stopped, for its journal."""

    async def main() -> None:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        assert {"create_connection", "getaddrinfo"} <= set(vars(uvloop.Loop)), "the kit's uvloop patches are missing"
        await test(mock)

    mock = start_mock(intercept=True, block_other_hosts=block_other_hosts)
    try:
        uvloop.run(main())
    finally:
        mock.stop()
    assert interception.installed() == [] and "create_connection" not in vars(uvloop.Loop)  # nothing left
    return mock


def test_httpx_and_aiohttp_reach_the_mock() -> None:
    async def clients(mock: RunningMock) -> None:
        async with httpx.AsyncClient() as client:
            assert (await client.post(TOKEN_URL, data=GRANT, headers={"Authorization": BASIC})).status_code == 200
            plain = await client.post("http://api.labelf.ai/oauth2/token", data=GRANT, headers={"Authorization": BASIC})
            assert plain.status_code == 200
        async with (
            aiohttp.ClientSession() as session,
            session.post(TOKEN_URL, data=GRANT, headers={"Authorization": BASIC}) as response,
        ):
            assert response.status == 200

    assert len(on_uvloop(clients).journal) == 3


def test_the_loops_own_connections_reach_the_mock() -> None:
    async def streams(mock: RunningMock) -> None:
        reader, writer = await asyncio.open_connection("auth.app.labelf.ai", 443, ssl=ssl.create_default_context())
        writer.write(REQUEST)
        assert (await reader.read()).startswith(b"HTTP/1.1 200 ")  # verified against the mock's CA, by name
        writer.close()
        await writer.wait_closed()
        reader, writer = await asyncio.open_connection("api.labelf.ai", 80)  # plain http: the mock's http server
        writer.write(REQUEST)
        assert (await reader.read()).startswith(b"HTTP/1.1 200 ")
        writer.close()
        await writer.wait_closed()
        answers = await asyncio.get_running_loop().getaddrinfo("auth.app.labelf.ai", 443, type=socket.SOCK_STREAM)
        assert {address[4][0] for address in answers} == {"127.0.0.1"}

    assert [entry.path for entry in on_uvloop(streams).journal] == ["/oauth2/token", "/oauth2/token"]


def _blocked_calls() -> dict[str, Callable[[], Awaitable[Any]]]:
    loop = asyncio.get_running_loop()
    return {
        "open_connection to an IP literal": lambda: asyncio.open_connection("169.254.169.254", 80),
        "open_connection to a name": lambda: asyncio.open_connection("metadata.example", 80),
        "getaddrinfo of a name": lambda: loop.getaddrinfo("metadata.example", 80),
        "a datagram endpoint": lambda: loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=("169.254.169.254", 53)
        ),
        "httpx": _httpx_get,
        "aiohttp": _aiohttp_get,
    }


async def _httpx_get() -> None:
    async with httpx.AsyncClient() as client:
        await client.get("http://169.254.169.254/latest/meta-data/")


async def _aiohttp_get() -> None:
    async with aiohttp.ClientSession() as session:
        await session.get("http://169.254.169.254/latest/meta-data/")


def test_block_other_hosts_holds() -> None:
    refused: list[str] = []

    async def elsewhere(mock: RunningMock) -> None:
        for name, call in _blocked_calls().items():
            with pytest.raises(BlockedRequestError, match=r"169\.254\.169\.254|metadata\.example"):
                await call()
            refused.append(name)
        _, writer = await asyncio.open_connection("localhost", int(mock.base_url.rsplit(":", 1)[1]))
        writer.close()  # loopback still passes
        await writer.wait_closed()

    on_uvloop(elsewhere, block_other_hosts=True)
    assert len(refused) == len(["ip", "name", "getaddrinfo", "udp", "httpx", "aiohttp"])
