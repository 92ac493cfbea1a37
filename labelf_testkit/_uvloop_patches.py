"""Interception on uvloop's event loop, which resolves names and connects in libuv, below Python's ``socket``.

Python's own event loop resolves a name with ``socket.getaddrinfo`` and connects with ``socket.socket.connect``,
which interception patches (:mod:`._socket_patches`).  uvloop does both in C: ``loop.create_connection``,
``asyncio.open_connection`` (which calls it) and ``loop.getaddrinfo`` given a Labelf name would reach production,
and under ``block_other_hosts`` any other host, names and IP literals alike.  uvloop's ``Loop`` is a Python
subclass of its C loop, so its methods can be patched there:

- ``create_connection`` sends a Labelf name to the mock (keeping the name for the TLS handshake, which
  :mod:`._tls_patches` then checks against the mock's CA), answers ``localhost`` names on loopback and refuses
  other hosts under ``block_other_hosts``; a connection to the mock made by a sender a finished test left
  running is told to :mod:`._late_requests`;
- ``getaddrinfo`` resolves through ``socket.getaddrinfo`` (in the loop's executor, as Python's own loop does),
  so it answers what interception answers there;
- ``create_datagram_endpoint`` refuses a remote address on another host under ``block_other_hosts``.

aiohttp and httpx are in reach on uvloop without these (their own patches choose the address before the loop
is asked); these bring the loop's own calls in reach.
"""

from __future__ import annotations

import functools
import socket
import sys
from typing import Any

from . import _late_requests as late
from ._routing import blocked, current, is_local
from .mock_server.internal import normalize_host

__all__ = ["uvloop_patches"]

_Patch = tuple[Any, str, Any]


def _address(host: Any, port: Any, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """Where ``create_connection(host=host, port=port, **kwargs)`` should connect instead; raises if blocked."""
    route = current()
    if route is None or not isinstance(host, str):
        return host, port
    instead = route.connect_address(host, port)  # raises for a blocked host
    if instead is None:
        return host, port
    if route.takes(host) and kwargs.get("ssl") and kwargs.get("server_hostname") is None:
        kwargs["server_hostname"] = host  # the certificate is checked for the name the caller asked for
    return instead


def _check_remote(remote_addr: Any) -> None:
    """Refuse a datagram endpoint's remote address under ``block_other_hosts`` (UDP never goes to the mock)."""
    route = current()
    if route is None or not route.block or not isinstance(remote_addr, tuple) or not isinstance(remote_addr[0], str):
        return
    name = normalize_host(remote_addr[0])
    if not is_local(name):
        raise blocked(name, remote_addr[1], route.hosts)


def uvloop_patches() -> list[_Patch]:
    """``uvloop.Loop.create_connection``, ``getaddrinfo`` and ``create_datagram_endpoint``, routed as interception
    routes Python's own loop."""
    loop_class = sys.modules["uvloop"].Loop
    create_connection, getaddrinfo = loop_class.create_connection, loop_class.getaddrinfo
    datagram = loop_class.create_datagram_endpoint

    @functools.wraps(create_connection)
    async def patched_create_connection(
        self: Any, protocol_factory: Any, host: Any = None, port: Any = None, **kwargs: Any
    ) -> Any:
        host, port = _address(host, port, kwargs)
        transport, protocol = await create_connection(self, protocol_factory, host, port, **kwargs)
        late.note(transport.get_extra_info("sockname"), transport.get_extra_info("peername"))
        return transport, protocol

    @functools.wraps(getaddrinfo)
    async def patched_getaddrinfo(
        self: Any, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        if current() is None:
            return await getaddrinfo(self, host, port, family=family, type=type, proto=proto, flags=flags)
        resolve = functools.partial(socket.getaddrinfo, host, port, family, type, proto, flags)
        return await self.run_in_executor(None, resolve)  # socket.getaddrinfo: interception's answers

    @functools.wraps(datagram)
    async def patched_datagram(self: Any, protocol_factory: Any, *args: Any, **kwargs: Any) -> Any:
        _check_remote(kwargs.get("remote_addr", args[1] if len(args) > 1 else None))
        return await datagram(self, protocol_factory, *args, **kwargs)

    return [
        (loop_class, "create_connection", patched_create_connection),
        (loop_class, "getaddrinfo", patched_getaddrinfo),
        (loop_class, "create_datagram_endpoint", patched_datagram),
    ]


def uvloop_late_guard() -> list[_Patch]:
    """For a test that uses the mock without interception: uvloop's ``create_connection`` tells
    :mod:`._late_requests` about a connection to the mock made by a sender a finished test left running (the
    ``socket.connect`` observer cannot see it: uvloop connects in C)."""
    uvloop = sys.modules.get("uvloop")
    if uvloop is None:
        return []
    create_connection = uvloop.Loop.create_connection

    @functools.wraps(create_connection)
    async def observed(self: Any, protocol_factory: Any, *args: Any, **kwargs: Any) -> Any:
        transport, protocol = await create_connection(self, protocol_factory, *args, **kwargs)
        late.note(transport.get_extra_info("sockname"), transport.get_extra_info("peername"))
        return transport, protocol

    return [(uvloop.Loop, "create_connection", observed)]
