"""Route every ``requests`` and ``httpx`` call to Labelf's hosts into the mock, in-process, with no network.

It patches the transports at the lowest public layer each library has (``requests.adapters.HTTPAdapter.send``,
``httpx.HTTPTransport.handle_request``, ``httpx.AsyncHTTPTransport.handle_async_request``), as responses and
pytest-httpx do, so code that builds its own sessions or clients with hard-coded production URLs (such as
the official client ``labelf-api``) is caught too.  Other hosts are passed through, or refused with an
error naming the host when ``block_other_hosts`` is set (loopback always passes, so local servers work).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from .hosts import LABELF_HOSTS, LOOPBACK_HOSTS, normalize_host
from .mock_server import MockApp
from .transport import AsyncInProcessTransport, InProcessTransport, requests_adapter

__all__ = ["LABELF_HOSTS", "BlockedRequestError", "intercept", "release_transports"]

_lock = threading.RLock()


class BlockedRequestError(ConnectionError):
    """A request to a host that is neither Labelf's nor loopback, made while other hosts are blocked."""


def _blocked(host: str, url: str, hosts: Iterable[str]) -> BlockedRequestError:
    return BlockedRequestError(
        f"labelf-testkit blocked a request to {host!r} ({url}): only Labelf hosts ({', '.join(sorted(hosts))}) are "
        "routed to the mock while other hosts are blocked. Allow it with "
        "@pytest.mark.labelf_intercept(block_other_hosts=False)."
    )


def _transports(app: MockApp, hold: bool) -> tuple[InProcessTransport, AsyncInProcessTransport, Any]:
    """The transports (and requests adapter) for ``app``, built once; the first holder also holds the patches."""
    cached: tuple[InProcessTransport, AsyncInProcessTransport, Any] | None = getattr(
        app.state, "labelf_transports", None
    )
    if cached is None:
        sync = InProcessTransport(app)
        cached = (sync, AsyncInProcessTransport(app), _adapter(sync))
        if hold:
            app.state.labelf_transports = cached
            with _lock:
                _hold_patches()  # released by release_transports
    return cached


def _adapter(transport: InProcessTransport) -> Any:
    try:
        return requests_adapter(transport)
    except ImportError:  # pragma: no cover - requests is optional for users
        return None


def release_transports(app: MockApp) -> None:
    """Close the in-process transports :func:`intercept` keeps for ``app`` (their event-loop thread), and
    remove the patches if nothing else holds them."""
    cached = getattr(app.state, "labelf_transports", None)
    if cached is not None:
        cached[0].close()
        del app.state.labelf_transports
        _release_patches()


@dataclass(frozen=True)
class _Route:
    hosts: frozenset[str]
    sync: InProcessTransport
    asynchronous: AsyncInProcessTransport
    adapter: Any
    block: bool

    def wants(self, host: str, url: str) -> bool:
        """True to route into the mock, False to pass through; raises when blocked."""
        host = normalize_host(host)
        if host in self.hosts:
            return True
        if self.block and host not in LOOPBACK_HOSTS:
            raise _blocked(host, url, self.hosts)
        return False


# The patches are installed once and stay while someone holds them (the plugin holds them for a session:
# measured, installing them per test was most of the per-test cost).  With no active route they pass through.
_active: _Route | None = None
_holders = 0
_originals: list[tuple[Any, str, Any]] = []


@contextmanager
def intercept(
    app: MockApp, hosts: Iterable[str] = LABELF_HOSTS, block_other_hosts: bool = False, keep_transports: bool = False
) -> Iterator[None]:
    """While active, requests to ``hosts`` go to ``app`` in-process; other hosts pass or are refused.

    ``keep_transports=True`` keeps the in-process transports and the patches for the next use, as the plugin
    does across a session; :func:`release_transports` ends that.
    """
    global _active
    sync, asynchronous, adapter = _transports(app, hold=keep_transports)
    with _lock:
        _hold_patches()
        previous, _active = (
            _active,
            _Route(frozenset(map(normalize_host, hosts)), sync, asynchronous, adapter, block_other_hosts),
        )
    try:
        yield
    finally:
        with _lock:
            _active = previous
        _release_patches()
        if getattr(app.state, "labelf_transports", None) is None:
            sync.close()  # built for this use only


def _hold_patches() -> None:
    global _holders
    _holders += 1
    if _holders > 1:
        return
    patches = _httpx_patches()
    with contextlib.suppress(ImportError):  # requests is optional for users
        patches += _requests_patches()
    _originals[:] = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)


def _release_patches() -> None:
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0:
            for owner, name, original in reversed(_originals):
                setattr(owner, name, original)
            _originals.clear()


def _httpx_patches() -> list[tuple[Any, str, Any]]:
    original_sync = httpx.HTTPTransport.handle_request
    original_async = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        route = _active
        if route is not None and route.wants(request.url.host, str(request.url)):
            return route.sync.handle_request(request)
        return original_sync(self, request)

    async def handle_async_request(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        route = _active
        if route is not None and route.wants(request.url.host, str(request.url)):
            return await route.asynchronous.handle_async_request(request)
        return await original_async(self, request)

    return [
        (httpx.HTTPTransport, "handle_request", handle_request),
        (httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ]


def _requests_patches() -> list[tuple[Any, str, Any]]:
    from requests.adapters import HTTPAdapter

    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        route = _active
        if route is not None and route.adapter is not None:
            url = httpx.URL(request.url)
            if route.wants(url.host, str(url)):
                return route.adapter.send(request, *args, **kwargs)
        return original(self, request, *args, **kwargs)

    return [(HTTPAdapter, "send", send)]
