"""The client side of the mock's TLS: the context interception verifies Labelf's names with, and resumption.

Each intercepted test opens new connections (the previous test's were closed when it ended), so each would
pay a full TLS handshake: a signature on the server, a chain verification on the client, about a millisecond
of CPU between them on OpenSSL 3 (bench/, "per-test overhead").  The context keeps the session of the last
connection it closed and offers it on the next one, which the server then resumes (TLS 1.3 resumption with a
pre-shared key and a fresh key exchange, RFC 8446 §2.2): the certificate is not signed and checked again.

Verification is not weakened: a kept session comes only from a connection this context verified against the
mock's CA (host name included), and the server resumes only a session its own ticket key issued; a server
restarted meanwhile, or any other server, answers the offer with a full handshake.  A connection is still
new for every test, and each one still ends with its test.
"""

from __future__ import annotations

import ssl

__all__ = ["client_context", "kept_session"]

_KEPT = "_labelf_testkit_session"  # on the context: the session of the last connection it closed


class _SessionKeepingSocket(ssl.SSLSocket):
    """Python's ``SSLSocket`` that, when it closes, leaves its session (with the server's ticket) on its context.

    TLS 1.3 sends the ticket after the handshake, so the session is taken at close, not when ``wrap_socket``
    returns; a connection that never read an answer has none, and nothing is kept."""

    def _real_close(self) -> None:
        session = self.session  # None once closed, or before the handshake
        if session is not None and session.has_ticket:
            setattr(self.context, _KEPT, session)
        super()._real_close()  # type: ignore[misc]  # socket.socket._real_close, private in typeshed


def client_context(ca_bundle: str) -> ssl.SSLContext:
    """A client context that verifies certificates and host names against ``ca_bundle`` only, and keeps the
    last session it closed for :func:`kept_session`."""
    # Python's own class, also when truststore.inject_into_ssl() has put its own in ssl.SSLContext's place (a
    # truststore context would check the system's store, where this CA is not).
    real = next(c for c in ssl.SSLContext.__mro__ if c.__module__ == "ssl" and c.__name__ == "SSLContext")
    context: ssl.SSLContext = real(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
    context.load_verify_locations(cafile=ca_bundle)
    context.sslsocket_class = _SessionKeepingSocket
    return context


def kept_session(context: ssl.SSLContext) -> ssl.SSLSession | None:
    """The session of the last connection ``context`` closed, to offer on its next one; ``None`` if none."""
    session: ssl.SSLSession | None = getattr(context, _KEPT, None)
    return session
