"""Where interception sends a connection: the active routes, and the host-name rules they share.

A :class:`Route` is one interception (one :func:`labelf_testkit.intercept` or ``start_mock(intercept=True)``):
the Labelf host names it takes, the mock's servers they go to, and whether other hosts are refused.  Routes
stack: the newest one still active decides, and each interception removes only its own route when it ends,
in whatever order they end (:func:`push`, :func:`remove`).

Host names are compared as DNS sees them (:func:`labelf_testkit.mock_server.normalize_host`: case, the
root's trailing dot, IDNA spellings such as ``auth。app。labelf。ai``).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .mock_server.internal import LOOPBACK_HOSTS, ip_address_of, is_localhost_name, normalize_host
from .servers import MockServers

__all__ = [
    "BlockedRequestError",
    "Route",
    "UnroutableRequestError",
    "current",
    "is_local",
    "is_localhost_name",
    "is_routed",
    "push",
    "remove",
]

_PORTS = {"http": 80, "https": 443}


class BlockedRequestError(RuntimeError):
    """A connection to a host that is neither Labelf's nor loopback, made while other hosts are blocked.

    Not an ``OSError`` on purpose: code under test that retries on connection errors must not swallow it.
    """


class UnroutableRequestError(RuntimeError):
    """A request to one of Labelf's hosts that labelf-testkit could not send to the mock, stopped before it
    left the process (a name resolved without ``socket.getaddrinfo``, a proxy the kit cannot bypass, ...).

    Not an ``OSError``, for the same reason as :class:`BlockedRequestError`.
    """


@dataclass(frozen=True, eq=False)
class Route:
    """One interception: ``hosts`` go to ``servers``; with ``block`` every other non-loopback host is refused."""

    hosts: frozenset[str]
    servers: MockServers
    block: bool

    def takes(self, host: object) -> bool:
        """Whether ``host`` (str or bytes, any spelling DNS accepts) is one of this route's Labelf hosts."""
        if isinstance(host, bytes):
            try:
                host = host.decode("ascii")
            except UnicodeDecodeError:  # not a name DNS would look up as one of ours
                return False
        return isinstance(host, str) and normalize_host(host) in self.hosts

    def address(self, host: str, port: object) -> tuple[str, int] | None:
        """The mock's address for a connection to ``host:port``; ``None`` to leave it alone; raises if blocked."""
        name = normalize_host(host)
        if name in self.hosts:
            number = port_number(port)
            if self.servers.refusals.take(name, number):  # planned by labelf_mock.refuse_connections()
                return self.servers.refusing_address()
            server = self.servers.plain() if number == 80 else self.servers.secure()
            return server.host, server.port
        if self.block and not is_local(name):
            raise blocked(name, port, self.hosts)
        return None

    def connect_address(self, host: str, port: Any, *, ipv6: bool = False) -> tuple[str, Any] | None:
        """Where a connection to ``host:port`` goes instead: the mock for a Labelf name (as :meth:`address`),
        loopback for a ``localhost`` name while other hosts are blocked (never handed to a resolver, which could
        ask a DNS server: RFC 6761 §6.3), ``None`` to leave it alone; raises for another host while blocking."""
        address = self.address(host, port)
        if address is None and self.block and is_localhost_name(normalize_host(host)):
            return ("::1" if ipv6 else "127.0.0.1", port)
        return address

    def serves(self, peer: object) -> bool:
        """Whether ``peer`` (a socket's ``getpeername()``) is one of this route's mock servers."""
        if not isinstance(peer, tuple) or len(peer) < 2:
            return False
        return any((server.host, server.port) == peer[:2] for server in self.servers.started())

    def tls_context(self, server_hostname: object) -> ssl.SSLContext | None:
        """The context to use instead of the client's for a handshake with ``server_hostname``."""
        return self.servers.client_context() if self.takes(server_hostname) else None


def blocked(name: str, port: object, hosts: frozenset[str], via: str = "") -> BlockedRequestError:
    """The error for a connection to ``name`` (through the proxy ``via``, if given) while other hosts are
    blocked."""
    through = f" through a proxy ({via}), which would have reached it; nothing was sent to the proxy" if via else ""
    on_port = "" if port is None else f" (port {port})"  # None: the URL's scheme's default
    return BlockedRequestError(
        f"labelf-testkit blocked a connection to {name!r}{on_port}{through}: while other hosts are blocked, "
        f"only Labelf's hosts ({', '.join(sorted(hosts))}) are reached, and they go to the mock. "
        "Allow other hosts with @pytest.mark.labelf_intercept(block_other_hosts=False); reach the mock "
        "directly at labelf_mock.base_url."
    )


def port_number(port: object) -> int | None:
    """A port as ``getaddrinfo`` takes it (int, digits, or a service name such as ``"https"``), as a number."""
    if isinstance(port, bytes):
        port = port.decode("ascii", "replace")
    if isinstance(port, str):
        return int(port) if port.isdigit() else _PORTS.get(port.lower())
    return port if isinstance(port, int) else None


def is_local(name: str) -> bool:
    """Whether ``name`` (normalized) is loopback: a loopback name or address, or the unspecified address."""
    if name in LOOPBACK_HOSTS or is_localhost_name(name):
        return True
    address = ip_address_of(name)
    return address is not None and (address.is_loopback or address.is_unspecified)


# --- the stack of active routes ------------------------------------------------------------------------------

_lock = threading.Lock()
_routes: tuple[Route, ...] = ()  # replaced whole, so readers never take the lock


def current() -> Route | None:
    """The route that decides now: the newest interception still active."""
    routes = _routes
    return routes[-1] if routes else None


def push(route: Route) -> None:
    """Make ``route`` the newest active route."""
    global _routes
    with _lock:
        _routes = (*_routes, route)


def remove(route: Route) -> bool:
    """End ``route``, wherever it is in the stack; whether any route is still active."""
    global _routes
    with _lock:
        _routes = tuple(active for active in _routes if active is not route)
        return bool(_routes)


def is_routed(host: str) -> bool:
    """Whether a request to ``host`` goes to the mock right now (interception active and a Labelf host)."""
    route = current()
    return route is not None and route.takes(host)


def loopback_answers(
    resolve: Callable[..., list[Any]], port: object, family: int, type: int, proto: int, flags: int
) -> list[Any]:
    """What ``getaddrinfo`` answers for ``localhost`` without asking any resolver: 127.0.0.1, then ::1
    (``resolve`` is the real ``getaddrinfo``, asked for numeric addresses only)."""
    answers: list[Any] = []
    for address, own in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        if family in (0, own):
            try:
                answers += resolve(address, port, own, type, proto, flags | socket.AI_NUMERICHOST)
            except OSError:  # no IPv6 on this machine
                continue
    if not answers:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return answers
