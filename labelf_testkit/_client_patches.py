"""Interception inside the HTTP clients, where a connection is chosen rather than made: proxies and pools.

**Proxies.** With ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` set (or a proxy given in code), a client sends a
Labelf request to the proxy: ``CONNECT auth.app.labelf.ai:443``, or the whole plain-http request.  While
interception is active, each client's own proxy choice skips Labelf's hosts, as ``NO_PROXY`` would:
requests (``requests.adapters.select_proxy``), urllib (``urllib.request.proxy_bypass``), httpx (a proxy mount
of ``Client``/``AsyncClient`` is passed over) and aiohttp (``trust_env``'s proxy look-up).  Below that, a
Labelf request that still heads for a proxy (a tunnel in ``http.client``, httpcore's proxy connections,
aiohttp's ``proxy=``) is stopped with :class:`~labelf_testkit._routing.UnroutableRequestError` before the
proxy sees it.

**Pooled connections.** A keep-alive connection to a Labelf host opened before interception resolves no name
when it is reused; it would reach whatever it reached then.  Before reusing one (urllib3's pool, httpcore's
pool, aiohttp's connector, a kept ``http.client`` connection), the client finds it closed unless it is a
connection to the mock's servers, and opens a new one, which interception routes.

Nothing here imports a client: a client not imported yet needs no patch until it is (:class:`ImportWatcher`;
``http.client`` and ``urllib.request`` are the standard library's).
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.abc
import importlib.util
import socket
import sys
import urllib.request
import weakref
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from typing import Any
from urllib.parse import urlsplit

from ._routing import Route, UnroutableRequestError, blocked, current, is_local
from ._uvloop_patches import uvloop_patches
from .mock_server.internal import normalize_host

__all__ = ["ImportWatcher", "client_patches", "close_kept_connections", "patches_for"]

_Patch = tuple[Any, str, Any]
#: aiohttp connections to the mock, by the route that made them (closed on the client's side when it ends).
_KEPT: weakref.WeakKeyDictionary[Any, Route] = weakref.WeakKeyDictionary()


def client_patches() -> list[_Patch]:
    """Patches for the standard library's clients and every client already imported."""
    patches = _http_client() + _urllib()
    for package, patch in _CLIENTS.items():
        if package in sys.modules:
            patches += patch()
    return patches


def patches_for(package: str) -> list[_Patch]:
    """The patches for ``package`` (one of the clients this module knows), once it has been imported."""
    return _CLIENTS[package]() if package in sys.modules else []


class ImportWatcher(importlib.abc.MetaPathFinder):
    """A finder, first on ``sys.meta_path`` while interception is active, that calls ``imported(package)`` once
    a client this module patches has been imported, so a client first imported during a test is patched before
    its first request.  It finds nothing itself: the spec is the one the other finders give."""

    def __init__(self, imported: Callable[[str], None]) -> None:
        self._imported = imported
        self._finding: set[str] = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name not in _CLIENTS or name in self._finding:
            return None
        self._finding.add(name)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._finding.discard(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _NotifyingLoader(spec.loader, lambda: self._imported(name))
        return spec


class _NotifyingLoader(importlib.abc.Loader):
    """``loader``, calling ``done()`` after the module has run; everything else is the loader's own."""

    def __init__(self, loader: Any, done: Callable[[], None]) -> None:
        self._loader, self._done = loader, done

    def create_module(self, spec: ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._done()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


def _host(url: object) -> str:
    value = url.decode("ascii", "replace") if isinstance(url, bytes) else str(url)
    return urlsplit(value if "//" in value else f"//{value}").hostname or ""


def _routed(host: object) -> Route | None:
    route = current()
    return route if route is not None and route.takes(host) else None


def _stale(route: Route, sock: Any) -> bool:
    """Whether a kept connection's socket leads somewhere other than the mock (or nowhere any more)."""
    if sock is None:
        return False
    try:
        return not route.serves(sock.getpeername())
    except OSError:
        return True


def _check_proxied(host: object, port: object, via: str) -> None:
    """Stop a request about to go through a proxy to ``host``: a Labelf host never goes to a proxy, and with
    ``block_other_hosts`` neither does another non-loopback host (the proxy would reach it for us)."""
    route = current()
    if route is None:
        return
    if route.takes(host):
        raise _proxied(host, via)
    name = normalize_host(host.decode("ascii", "replace") if isinstance(host, bytes) else str(host))
    if route.block and not is_local(name):
        raise blocked(name, port, route.hosts, via=via)


def _where(proxy_url: str) -> str:
    """A proxy URL as ``host:port`` only: its user and password are never shown."""
    parts = urlsplit(proxy_url if "//" in proxy_url else f"//{proxy_url}")
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _proxied(host: object, via: str) -> UnroutableRequestError:
    return UnroutableRequestError(
        f"labelf-testkit stopped a request to {normalize_host(str(host))!r} through a proxy ({via}): while "
        "interception is active, Labelf's hosts go to the mock, never to a proxy. Nothing was sent to the proxy. "
        "Let the client choose its proxy from the environment (HTTPS_PROXY/NO_PROXY), which interception "
        "bypasses for Labelf's hosts, or give no proxy for them."
    )


def _stdlib_http_connection() -> Any:
    """``http.client.HTTPConnection`` itself, also while a tool (vcrpy) has put its own class in its place."""
    candidates = [http.client.HTTPConnection, getattr(sys.modules.get("urllib3.connection"), "HTTPConnection", None)]
    for candidate in candidates:
        for cls in getattr(candidate, "__mro__", ()):
            if cls.__module__ == "http.client" and cls.__name__ == "HTTPConnection" and "putrequest" in vars(cls):
                return cls
    return None


def _http_client() -> list[_Patch]:
    cls = _stdlib_http_connection()
    if cls is None:
        return []
    putrequest = cls.__dict__["putrequest"]

    def patched_putrequest(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        route = current()
        if route is not None:
            target = _host(url) if "://" in url else ""
            if target and normalize_host(target) != normalize_host(self.host) and not route.takes(self.host):
                _check_proxied(target, urlsplit(url).port, f"{self.host}:{self.port}")  # absolute form, to a proxy
            if self.sock is not None and route.takes(self.host) and _stale(route, self.sock):
                self.close()  # opened before interception: reconnect, through interception
        return putrequest(self, method, url, *args, **kwargs)

    return [(cls, "putrequest", patched_putrequest), _tunnel_patch(cls)]


def _tunnel_patch(cls: Any) -> _Patch:
    """``cls._tunnel``, which sends ``CONNECT host:port`` to a proxy, checked first (``http.client``'s, and
    urllib3's own copy of it, which urllib3 2 keeps for the Python versions before a fix to it)."""
    tunnel = cls.__dict__["_tunnel"]

    def patched_tunnel(self: Any) -> Any:
        _check_proxied(self._tunnel_host, self._tunnel_port, f"CONNECT through {self.host}:{self.port}")
        return tunnel(self)

    return (cls, "_tunnel", patched_tunnel)


def _urllib() -> list[_Patch]:
    original = urllib.request.proxy_bypass

    def proxy_bypass(host: str, *args: Any, **kwargs: Any) -> Any:
        if _routed(_host(host)) is not None:
            return True
        bypassed = original(host, *args, **kwargs)
        if not bypassed:  # urllib asks only when a proxy is set for the scheme: the request goes to it
            _check_proxied(_host(host), urlsplit(f"//{host}").port, "the environment's proxy")
        return bypassed

    return [(urllib.request, "proxy_bypass", proxy_bypass)]


def _requests() -> list[_Patch]:
    adapters = sys.modules["requests.adapters"]
    original = adapters.__dict__["select_proxy"]

    def select_proxy(url: Any, proxies: Any) -> Any:
        if _routed(_host(url)) is not None:
            return None
        proxy = original(url, proxies)
        if proxy:
            _check_proxied(_host(url), urlsplit(url).port, _where(proxy))
        return proxy

    return [(adapters, "select_proxy", select_proxy)]


def _urllib3() -> list[_Patch]:
    pool = sys.modules["urllib3.connectionpool"]
    original = pool.__dict__["is_connection_dropped"]

    def is_connection_dropped(conn: Any) -> bool:
        route = _routed(getattr(conn, "host", None))
        if route is not None and _stale(route, getattr(conn, "sock", None)):
            return True
        return bool(original(conn))

    connection = sys.modules["urllib3.connection"].HTTPConnection
    own_tunnel = [_tunnel_patch(connection)] if "_tunnel" in vars(connection) else []
    return [(pool, "is_connection_dropped", is_connection_dropped), *own_tunnel]


def _is_proxy_transport(transport: Any) -> bool:
    import httpcore

    proxies = (httpcore.HTTPProxy, httpcore.SOCKSProxy, httpcore.AsyncHTTPProxy, httpcore.AsyncSOCKSProxy)
    return isinstance(getattr(transport, "_pool", None), proxies)


def _httpx() -> list[_Patch]:
    import httpx

    def chooser(cls: Any) -> Any:
        original = cls.__dict__["_transport_for_url"]

        def _transport_for_url(self: Any, url: Any) -> Any:
            if _routed(url.host) is None:
                transport = original(self, url)
                if _is_proxy_transport(transport):
                    _check_proxied(url.host, url.port, "an httpx proxy")
                return transport
            for pattern, transport in self._mounts.items():  # as httpx does, passing over proxies
                if pattern.matches(url) and not _is_proxy_transport(transport):
                    return self._transport if transport is None else transport
            if _is_proxy_transport(self._transport):
                raise _proxied(url.host, "the client's own transport")
            return self._transport

        return (cls, "_transport_for_url", _transport_for_url)

    return [chooser(httpx.Client), chooser(httpx.AsyncClient)]


def _httpcore() -> list[_Patch]:
    import httpcore._async.http_proxy as async_proxy
    import httpcore._sync.http_proxy as sync_proxy
    from httpcore import AsyncHTTPConnection, HTTPConnection

    def expiry(cls: Any) -> _Patch:
        original = cls.__dict__["has_expired"]

        def has_expired(self: Any) -> bool:
            route = _routed(self._origin.host.decode("ascii"))
            inner = self._connection
            if route is not None and inner is not None and self.is_idle():
                stream = getattr(inner, "_network_stream", None)
                if stream is not None and _stale(route, stream.get_extra_info("socket")):
                    return True
            return bool(original(self))

        return (cls, "has_expired", has_expired)

    def refusal(cls: Any, name: str) -> _Patch:
        original = cls.__dict__[name]

        def check(request: Any) -> None:
            _check_proxied(request.url.host, request.url.port, "an httpcore proxy")

        if name.startswith("handle_async"):

            async def handle_async(self: Any, request: Any) -> Any:
                check(request)
                return await original(self, request)

            return (cls, name, handle_async)

        def handle(self: Any, request: Any) -> Any:
            check(request)
            return original(self, request)

        return (cls, name, handle)

    return [
        expiry(HTTPConnection),
        expiry(AsyncHTTPConnection),
        refusal(sync_proxy.ForwardHTTPConnection, "handle_request"),
        refusal(sync_proxy.TunnelHTTPConnection, "handle_request"),
        refusal(async_proxy.AsyncForwardHTTPConnection, "handle_async_request"),
        refusal(async_proxy.AsyncTunnelHTTPConnection, "handle_async_request"),
    ]


def _aiohttp() -> list[_Patch]:
    import aiohttp.client
    import aiohttp.connector

    connectors = aiohttp.connector
    env_proxy = aiohttp.client.__dict__["get_env_proxy_for_url"]
    get, resolve = connectors.BaseConnector.__dict__["_get"], connectors.TCPConnector.__dict__["_resolve_host"]
    via_proxy = connectors.TCPConnector.__dict__["_create_proxy_connection"]
    create = connectors.TCPConnector.__dict__["_create_connection"]

    def get_env_proxy_for_url(url: Any) -> Any:
        if _routed(url.host) is not None:
            raise LookupError("labelf-testkit: Labelf's hosts bypass proxies while interception is active")
        proxy, auth = env_proxy(url)  # LookupError when no proxy applies
        _check_proxied(url.host, url.port, _where(str(proxy)))
        return proxy, auth

    async def _get(self: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        while True:
            connection = await get(self, key, *args, **kwargs)
            route = _routed(key.host)
            if connection is None or route is None or key.proxy is not None:
                return connection
            transport = connection.transport
            if transport is not None and route.serves(transport.get_extra_info("peername")):
                return connection
            connection.close()  # opened before interception: never reused for a Labelf host

    async def _resolve_host(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        route = current()
        address = route.connect_address(host, port) if route is not None else None  # raises for a blocked host
        if address is None:  # not ours: aiohttp's own resolver (a localhost name never reaches it while blocking)
            return await resolve(self, host, port, *args, **kwargs)
        return [{"hostname": host, "host": address[0], "port": address[1], "family": socket.AF_INET, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]  # fmt: skip

    async def _create_connection(self: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        protocol = await create(self, req, *args, **kwargs)
        route = _routed(req.url.host)
        if route is not None and req.proxy is None:
            _KEPT[protocol] = route  # closed when the route ends: see close_kept_connections
        return protocol

    async def _create_proxy_connection(self: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        _check_proxied(req.url.host, req.url.port, f"aiohttp proxy {_where(str(req.proxy))}")
        return await via_proxy(self, req, *args, **kwargs)

    return [
        (aiohttp.client, "get_env_proxy_for_url", get_env_proxy_for_url),
        (connectors.BaseConnector, "_get", _get),
        (connectors.TCPConnector, "_resolve_host", _resolve_host),
        (connectors.TCPConnector, "_create_proxy_connection", _create_proxy_connection),
        (connectors.TCPConnector, "_create_connection", _create_connection),
    ]


def close_kept_connections(route: Route) -> None:
    """Close, on the client's side, the aiohttp connections to the mock that ``route`` made and a pool keeps.

    The server closes them too when an interception ends, but an aiohttp pool only notices when its event loop
    next reads the socket, which can be after it handed the connection to the next request (that request then
    fails with ``ServerDisconnectedError`` instead of opening a new connection).  Closed here, the pool finds
    them closed and opens new ones."""
    for protocol, owner in list(_KEPT.items()):
        if owner is not route:
            continue
        _KEPT.pop(protocol, None)
        loop = protocol._loop
        if loop.is_closed():
            continue
        if loop.is_running() and not _running_here(loop):
            loop.call_soon_threadsafe(protocol.close)  # the loop's own thread closes it
        else:
            protocol.close()


def _running_here(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


#: The clients patched here, by the package whose import loads every module a patch needs.
_CLIENTS = {
    "requests": _requests,
    "urllib3": _urllib3,
    "httpx": _httpx,
    "httpcore": _httpcore,
    "aiohttp": _aiohttp,
    "uvloop": uvloop_patches,  # an event loop rather than a client: it resolves and connects in libuv
}
