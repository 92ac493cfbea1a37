"""Route every ``requests`` and ``httpx`` call to Labelf's hosts into the mock, in-process, with no network.

It patches the transports at the lowest public layer each library has (``requests.adapters.HTTPAdapter.send``,
``httpx.HTTPTransport.handle_request``, ``httpx.AsyncHTTPTransport.handle_async_request``), as responses and
pytest-httpx do, so code that builds its own sessions or clients with hard-coded production URLs (such as
the official client ``labelf-api``) is caught too.  Other hosts are passed through, or refused with an
error naming the host when ``block_other_hosts`` is set (loopback always passes, so local servers work).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from mock_server.app import MockApp

from .transport import AsyncInProcessTransport, InProcessTransport, requests_adapter

__all__ = ["LABELF_HOSTS", "BlockedRequestError", "intercept"]

#: The production hosts: auth (Hydra), the API host of the older docs and that of the newer docs.
LABELF_HOSTS = frozenset({"auth.app.labelf.ai", "api.app.labelf.ai", "api.labelf.ai"})
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_lock = threading.Lock()


class BlockedRequestError(ConnectionError):
    """A request to a host that is neither Labelf's nor loopback, made while other hosts are blocked."""


def _blocked(host: str, url: str, hosts: Iterable[str]) -> BlockedRequestError:
    return BlockedRequestError(
        f"labelf-testkit blocked a request to {host!r} ({url}): only Labelf hosts ({', '.join(sorted(hosts))}) are "
        "routed to the mock while other hosts are blocked. Allow it with "
        "@pytest.mark.labelf_intercept(block_other_hosts=False)."
    )


@contextmanager
def intercept(app: MockApp, hosts: Iterable[str] = LABELF_HOSTS, block_other_hosts: bool = False) -> Iterator[None]:
    """While active, requests to ``hosts`` go to ``app`` in-process; other hosts pass or are refused."""
    routed = frozenset(hosts)
    sync_transport = InProcessTransport(app)
    async_transport = AsyncInProcessTransport(app)
    patches = _httpx_patches(routed, sync_transport, async_transport, block_other_hosts)
    patches += _requests_patches(routed, sync_transport, block_other_hosts)
    with _lock:
        originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
    try:
        yield
    finally:
        with _lock:
            for owner, name, original in reversed(originals):
                setattr(owner, name, original)
        sync_transport.close()


def _decide(host: str, url: str, routed: frozenset[str], block: bool) -> bool:
    """True to route into the mock, False to pass through; raises when blocked."""
    if host in routed:
        return True
    if block and host not in _LOOPBACK:
        raise _blocked(host, url, routed)
    return False


def _httpx_patches(
    routed: frozenset[str], sync: InProcessTransport, asynchronous: AsyncInProcessTransport, block: bool
) -> list[tuple[Any, str, Any]]:
    original_sync = httpx.HTTPTransport.handle_request
    original_async = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if _decide(request.url.host, str(request.url), routed, block):
            return sync.handle_request(request)
        return original_sync(self, request)

    async def handle_async_request(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        if _decide(request.url.host, str(request.url), routed, block):
            return await asynchronous.handle_async_request(request)
        return await original_async(self, request)

    return [
        (httpx.HTTPTransport, "handle_request", handle_request),
        (httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ]


def _requests_patches(routed: frozenset[str], sync: InProcessTransport, block: bool) -> list[tuple[Any, str, Any]]:
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:  # pragma: no cover - requests is optional for users
        return []
    adapter = requests_adapter(sync)
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        url = httpx.URL(request.url)
        if _decide(url.host, str(url), routed, block):
            return adapter.send(request, *args, **kwargs)
        return original(self, request, *args, **kwargs)

    return [(HTTPAdapter, "send", send)]
