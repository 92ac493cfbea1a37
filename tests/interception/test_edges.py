"""Edges of interception's patches, each with the client or call that reaches it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import aiohttp
import anyio
import httpx
import pytest
import urllib3

from labelf_testkit import BlockedRequestError, RunningMock, UnroutableRequestError, start_mock
from labelf_testkit._client_patches import ImportWatcher
from labelf_testkit._routing import Route, current, loopback_answers, port_number

from .loopback import RecordingProxy, recording_proxy


@pytest.fixture
def blocking() -> Iterator[RunningMock]:
    with start_mock(intercept=True, block_other_hosts=True) as running:
        yield running


def test_name_rules() -> None:
    with start_mock(intercept=True):
        route = current()
        assert isinstance(route, Route)
        assert not route.takes(b"\xff.labelf.ai") and route.takes(b"API.LABELF.AI.")
        assert not route.serves("not an address") and not route.serves(("127.0.0.1",))
    assert port_number(b"443") == 443 and port_number("HTTPS") == 443 and port_number(None) is None


def test_loopback_answers_say_gaierror_when_no_family_is_available() -> None:
    def no_network(*args: Any) -> Any:
        raise OSError("no such family here")

    with pytest.raises(socket.gaierror):
        loopback_answers(no_network, 80, socket.AF_INET6, 0, 0, 0)


def test_blocking_resolution_edges(blocking: RunningMock) -> None:
    with pytest.raises(BlockedRequestError):
        socket.getaddrinfo(b"\xff\xfe", 80)  # a resolver would be asked for it
    with pytest.raises(BlockedRequestError, match=r"'example\.com'"):
        socket.gethostbyname("example.com")
    assert socket.gethostbyname("127.0.0.1") == "127.0.0.1"
    with pytest.raises(BlockedRequestError, match=r"'example\.com'"):
        socket.gethostbyname_ex(b"example.com")  # type: ignore[arg-type]  # bytes, as the real one takes
    assert socket.gethostbyname(b"svc.localhost") == "127.0.0.1"  # type: ignore[arg-type]


def test_connect_edges(blocking: RunningMock) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix, pytest.raises(OSError):
        unix.connect("/nonexistent/labelf-testkit.sock")  # not an internet socket: left alone
    if socket.has_ipv6:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as six:
            assert isinstance(six.connect_ex(("svc.localhost", 9)), int)  # ::1, never a resolver


@pytest.mark.anyio
async def test_anyio_leaves_other_hosts_alone(blocking: RunningMock) -> None:
    host, port = blocking.base_url.removeprefix("http://").split(":")
    stream = await anyio.connect_tcp(host, int(port))
    await stream.aclose()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    with recording_proxy() as recording:
        yield recording


def test_httpx_with_a_proxy_as_its_own_transport_is_stopped(proxy: RecordingProxy) -> None:
    with start_mock(intercept=True), httpx.Client(transport=httpx.HTTPTransport(proxy=proxy.url)) as client:
        with pytest.raises(UnroutableRequestError, match="the client's own transport"):
            client.get("https://api.labelf.ai/v2/models")
        assert client.get("http://elsewhere.example/").status_code == 502  # other hosts: the proxy's
    assert [line.split(" ")[1] for line in proxy.seen] == ["http://elsewhere.example/"]


@pytest.mark.anyio
async def test_aiohttp_proxy_for_other_hosts_is_left_alone(proxy: RecordingProxy) -> None:
    with start_mock(intercept=True):
        async with aiohttp.ClientSession() as session, session.get("http://elsewhere.example/", proxy=proxy.url) as r:
            assert r.status == 502
    assert len(proxy.seen) == 1


def test_urllib3_connection_never_opened_is_not_stale() -> None:
    with start_mock(intercept=True):
        pool = urllib3.HTTPSConnectionPool("auth.app.labelf.ai")
        connection = pool._get_conn()
        assert getattr(connection, "sock", None) is None  # nothing to check: it connects through interception
        pool._put_conn(connection)
        pool.close()


def test_the_import_watcher_wraps_the_real_loader() -> None:
    imported: list[str] = []
    watcher = ImportWatcher(imported.append)
    assert watcher.find_spec("not_a_client") is None
    spec = watcher.find_spec("urllib3")
    assert spec is not None and spec.loader is not None
    assert spec.loader.is_package("urllib3")  # type: ignore[attr-defined]  # the real loader's, delegated
    assert spec.loader.create_module(spec) is None
