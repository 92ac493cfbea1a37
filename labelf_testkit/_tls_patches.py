"""Interception at the TLS handshake: connections to Labelf's host names are verified against the mock's CA.

``ssl.SSLContext.wrap_socket`` / ``wrap_bio`` use the mock's client context instead of the caller's for a
Labelf host name only; verification is never turned off and the caller's own context is never changed.  Such a
connection offers the session the mock's context kept from its last closed one (:mod:`._client_tls`).  A
socket that reaches a Labelf name's handshake connected somewhere other than the mock (a name resolved
without ``socket.getaddrinfo``, a tunnel through a proxy) is stopped with
:class:`~labelf_testkit._routing.UnroutableRequestError` before a byte of TLS is sent.
"""

from __future__ import annotations

import socket
import ssl
import sys
from typing import Any

from ._client_tls import kept_session
from ._escapes import truststore_patches
from ._patching import adopt
from ._routing import Route, UnroutableRequestError, current
from .mock_server.internal import normalize_host

__all__ = ["tls_patches"]

_Patch = tuple[Any, str, Any]


def _swap(own: ssl.SSLContext, server_side: bool, server_hostname: Any) -> tuple[ssl.SSLContext, Any, Route | None]:
    """The mock's client context and the name as DNS compares it, for a Labelf host; else unchanged."""
    route = current()
    context = None if route is None or server_side else route.tls_context(server_hostname)
    if context is None or route is None:
        return own, server_hostname, None
    if "truststore._api" in sys.modules:  # injected during the test: its own check must know the mock's CA
        adopt(truststore_patches())
    name = server_hostname.decode() if isinstance(server_hostname, bytes) else server_hostname
    return context, normalize_host(name), route  # the certificate has no name with the root's trailing dot


def _session(context: ssl.SSLContext, own: ssl.SSLContext, session: Any) -> Any:
    """The session to offer: the caller's with its own context; with the mock's, the last one it closed (the
    caller's session belongs to its own context and cannot be resumed with another)."""
    return session if context is own else kept_session(context)


def _check_peer(route: Route, sock: socket.socket, name: str) -> None:
    try:
        peer = sock.getpeername()
    except OSError:  # not connected yet: connect() goes through interception
        return
    if not route.serves(peer):
        raise UnroutableRequestError(
            f"labelf-testkit stopped a TLS connection to {name!r} at {peer!r}, which is not the mock: the "
            "connection was made without socket.getaddrinfo (socket.gethostbyname, a resolver of its own, "
            "`from socket import getaddrinfo` bound before interception) or through a proxy tunnel. Nothing "
            'was sent. See the interception guide, "Out of reach"; or point this code at labelf_mock.base_url.'
        )


def tls_patches() -> list[_Patch]:
    """The ``wrap_socket`` and ``wrap_bio`` patches of ``ssl.SSLContext``."""
    wrap_socket, wrap_bio = ssl.SSLContext.wrap_socket, ssl.SSLContext.wrap_bio

    def patched_wrap_socket(
        self: ssl.SSLContext,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: Any = None,
        session: Any = None,
    ) -> Any:
        context, name, route = _swap(self, server_side, server_hostname)
        if route is not None:
            _check_peer(route, sock, name)
        return wrap_socket(
            context,
            sock,
            server_side,
            do_handshake_on_connect,
            suppress_ragged_eofs,
            name,
            _session(context, self, session),
        )

    def patched_wrap_bio(
        self: ssl.SSLContext,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: Any = None,
        session: Any = None,
    ) -> Any:
        context, name, _ = _swap(self, server_side, server_hostname)
        return wrap_bio(context, incoming, outgoing, server_side, name, _session(context, self, session))

    return [(ssl.SSLContext, "wrap_socket", patched_wrap_socket), (ssl.SSLContext, "wrap_bio", patched_wrap_bio)]
