"""Send every connection to Labelf's hosts to the mock's loopback servers, whatever HTTP client opens it.

Interception works where a connection is made, not where a request is built: name resolution
(``socket.getaddrinfo``, which ``requests``/urllib3, ``http.client``/``urllib``, httpx's sync transport,
``asyncio`` and aiohttp's default resolver all call) answers the mock's address for Labelf's hosts, and
``anyio.connect_tcp`` (httpx's async transport, which keeps the URL's port) is pointed there too; names and
IP literals given straight to ``socket.connect`` are checked there (:mod:`._socket_patches`).  The client
then talks to a real server over a real socket with its own code: its timeouts fire, urllib3's ``Retry``
runs, streaming and concurrency are real.  For https the client's TLS handshake is checked against the mock's
throwaway CA, for connections to Labelf's host names only (:mod:`._tls_patches`); verification is never
turned off and the user's own context is never changed.  Proxies are bypassed for Labelf's hosts and pooled
connections opened before interception are not reused for them (:mod:`._client_patches`).

A planned connection fault (``labelf_mock.refuse_connections``) resolves the next connections to a loopback
port nothing listens on, so the kernel refuses them and the client's own connect-retry machinery runs.

Other hosts are left alone, or refused with :class:`BlockedRequestError` when ``block_other_hosts`` is set
(loopback always passes; ``localhost`` names are answered without asking a resolver).  Mocking tools that
answer before a socket is opened (responses, respx, pytest-httpx, vcrpy) are told to let Labelf's hosts
through while interception is active (see :mod:`labelf_testkit.coexistence`).

Every patch is held while at least one interception is active and removed when the last one ends.  A patch
that someone replaced on top of the kit's meanwhile (``monkeypatch.setattr(socket, "getaddrinfo", ...)`` in a
test body) is removed as soon as it is back in place: :func:`repair`, which the plugin calls after every test.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from . import _routing
from ._client_patches import ImportWatcher, client_patches, close_kept_connections, patches_for
from ._escapes import InterceptionWarning, subprocess_patches, truststore_patches, warn_about_escapes
from ._late_requests import LateRequestWarning
from ._patching import adopt, hold, installed, release, repair
from ._routing import BlockedRequestError, Route, UnroutableRequestError, is_routed
from ._socket_patches import socket_patches
from ._tls_patches import tls_patches
from .coexistence import tool_patches
from .mock_server import MockApp
from .mock_server.internal import LABELF_HOSTS, normalize_host
from .servers import MockServers

__all__ = [
    "BlockedRequestError",
    "InterceptionWarning",
    "LateRequestWarning",
    "UnroutableRequestError",
    "installed",
    "intercept",
    "is_routed",
    "repair",
]


@contextmanager
def intercept(
    target: MockServers | MockApp, hosts: Iterable[str] = LABELF_HOSTS, block_other_hosts: bool = False
) -> Iterator[MockServers]:
    """While active, connections to ``hosts`` go to the mock's loopback servers; other hosts pass or are refused.

    ``target`` is the mock's :class:`~labelf_testkit.servers.MockServers`, or an app to serve for the duration
    (its servers stop at the end).  Interceptions stack: the newest one still active decides, and each one
    removes only its own route when it ends, in any order.  When it ends, the connections its clients kept
    open to the mock are closed, so a later request reaches what it would reach without this interception.
    """
    servers = target if isinstance(target, MockServers) else MockServers(target)
    route = Route(frozenset(map(normalize_host, hosts)), servers, block_other_hosts)
    servers.secure()  # https is what Labelf's URLs use: start it now, not on a client's thread
    hold(_patches, ImportWatcher(lambda package: adopt(patches_for(package))))
    _routing.push(route)
    try:
        yield servers
    finally:
        _routing.remove(route)
        release()
        close_kept_connections(route)  # an aiohttp pool would not see the server's close before reusing them
        servers.close_connections()
        if servers is not target:
            servers.stop()


def _patches() -> list[tuple[Any, str, Any]]:
    warn_about_escapes()
    return (
        socket_patches()
        + tls_patches()
        + client_patches()
        + truststore_patches()
        + subprocess_patches()
        + tool_patches(is_routed)
    )
