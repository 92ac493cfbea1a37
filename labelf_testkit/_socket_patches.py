"""Interception where names are resolved and connections made: ``socket.getaddrinfo``, ``gethostbyname``,
``socket.socket.connect`` and ``anyio.connect_tcp``.

- ``getaddrinfo`` answers the mock's address for Labelf's hosts (with the real signature, keywords included,
  and the real errors), and under ``block_other_hosts`` refuses other names and answers ``localhost`` names
  itself (RFC 6761 §6.3), so no resolver is asked.
- ``connect`` sees connections that resolve nothing in Python: IP literals (aiohttp and asyncio skip
  ``getaddrinfo`` for them, ``socket.connect`` is given one) and names resolved inside C by ``connect``.
  It also tells :mod:`labelf_testkit._late_requests` about a connection to the mock made by a thread or an
  asyncio task a test left running.
- ``gethostbyname`` answers an address without a port, so a Labelf name cannot be sent to the mock's port:
  it is refused with :class:`UnroutableRequestError`, never resolved to production.
"""

from __future__ import annotations

import functools
import socket
from typing import Any

from . import _late_requests as late
from ._routing import (
    Route,
    UnroutableRequestError,
    blocked,
    current,
    is_local,
    is_localhost_name,
    loopback_answers,
)
from .mock_server.internal import normalize_host

__all__ = ["socket_patches"]

_Patch = tuple[Any, str, Any]
_INET = (socket.AF_INET, socket.AF_INET6)


def socket_patches() -> list[_Patch]:
    """Every patch of this module, as ``(owner, attribute, replacement)``."""
    return [*_getaddrinfo(), *_gethostbyname(), *_connect(), *_anyio()]


def _text(host: str | bytes) -> str | None:
    """A host as text; ``None`` for bytes that no resolver reads as a name (not ASCII)."""
    if isinstance(host, str):
        return host
    try:
        return host.decode("ascii")
    except UnicodeDecodeError:
        return None


def _getaddrinfo() -> list[_Patch]:
    original = socket.getaddrinfo

    @functools.wraps(original)
    def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        route = current()
        if route is not None and isinstance(host, str | bytes) and not flags & socket.AI_NUMERICHOST:
            name = _text(host)
            if name is None:
                if route.block:  # a resolver would be asked for it
                    raise blocked(repr(host), port, route.hosts)
            else:
                address = route.address(name, port)  # raises if blocked
                if address is not None:
                    # Any family: the mock listens on IPv4 loopback even when the client asked for IPv6.
                    return original(address[0], address[1], 0, type, proto, flags)
                if route.block and is_localhost_name(normalize_host(name)):
                    return loopback_answers(original, port, family, type, proto, flags)
        return original(host, port, family, type, proto, flags)

    getaddrinfo.__labelf_testkit__ = True  # type: ignore[attr-defined]
    return [(socket, "getaddrinfo", getaddrinfo)]


def _unroutable(function: str, host: object) -> UnroutableRequestError:
    return UnroutableRequestError(
        f"labelf-testkit: socket.{function}({host!r}) cannot be sent to the mock: it answers an address "
        "without the mock's port, so the connection would go elsewhere. Resolve with socket.getaddrinfo (every "
        "common HTTP client does), or point this code at labelf_mock.base_url. See the interception guide, "
        '"Out of reach".'
    )


def _gethostbyname() -> list[_Patch]:
    by_name, by_name_ex = socket.gethostbyname, socket.gethostbyname_ex

    def check(function: str, host: Any) -> bool:
        """Raise for a Labelf host (or a blocked one); whether ``host`` is a localhost name to answer locally."""
        route = current()
        if route is None or not isinstance(host, str | bytes):
            return False
        if route.takes(host):
            raise _unroutable(function, host)
        text = _text(host)
        name = normalize_host(text) if text is not None else repr(host)
        if route.block and not is_local(name):
            raise blocked(name, None, route.hosts)
        return route.block and is_localhost_name(name)

    @functools.wraps(by_name)
    def gethostbyname(hostname: Any) -> Any:
        return "127.0.0.1" if check("gethostbyname", hostname) else by_name(hostname)

    @functools.wraps(by_name_ex)
    def gethostbyname_ex(hostname: Any) -> Any:
        return (hostname, [], ["127.0.0.1"]) if check("gethostbyname_ex", hostname) else by_name_ex(hostname)

    gethostbyname.__labelf_testkit__ = True  # type: ignore[attr-defined]
    return [(socket, "gethostbyname", gethostbyname), (socket, "gethostbyname_ex", gethostbyname_ex)]


def _connect_address(route: Route, sock: socket.socket, address: tuple[Any, ...]) -> tuple[Any, ...]:
    """The address to connect to instead of ``address`` (a name is resolved here, not inside C)."""
    instead = route.connect_address(address[0], address[1], ipv6=sock.family == socket.AF_INET6)  # raises if blocked
    return address if instead is None else (*instead, *address[2:])


def _connect() -> list[_Patch]:
    cls = socket.socket
    connect, connect_ex = cls.connect, cls.connect_ex

    def wrap(original: Any) -> Any:
        @functools.wraps(original)
        def patched(self: socket.socket, address: Any) -> Any:
            route = current()
            if route is None or not isinstance(address, tuple) or len(address) < 2 or not isinstance(address[0], str):
                return original(self, address)
            if self.family not in _INET:
                return original(self, address)
            address = _connect_address(route, self, address)
            origin = late.origin()
            if origin is None or not route.serves(address):
                return original(self, address)
            try:
                return original(self, address)
            finally:
                late.register(self, origin)

        return patched

    return [(cls, "connect", wrap(connect)), (cls, "connect_ex", wrap(connect_ex))]


def _anyio() -> list[_Patch]:
    # anyio resolves the name but connects to the *caller's* port, so the port must be changed here.
    import anyio

    original = anyio.connect_tcp

    @functools.wraps(original)
    async def connect_tcp(remote_host: Any, remote_port: int, **kwargs: Any) -> Any:
        route = current()
        address = route.address(str(remote_host), remote_port) if route is not None else None
        if address is None:
            return await original(remote_host, remote_port, **kwargs)
        if kwargs.get("tls") or kwargs.get("ssl_context") is not None:
            kwargs.setdefault("tls_hostname", str(remote_host))
        return await original(address[0], address[1], **kwargs)

    return [(anyio, "connect_tcp", connect_tcp)]
