"""TLS resumption of intercepted connections: a new connection (every test opens its own) resumes the session
of the last one the mock's client context closed, so its handshake skips the certificate's signature and
chain check; a session the server cannot resume falls back to a full, verified handshake."""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from labelf_testkit import intercept
from labelf_testkit.mock_server import create_app
from labelf_testkit.servers import MockServers

BODY = "grant_type=client_credentials"
HEADERS = {
    "Authorization": "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=",  # CLIENT_ID:CLIENT_SECRET
    "Content-Type": "application/x-www-form-urlencoded",
}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MockServers]:
    served = MockServers(create_app(), tls_dir=tmp_path)  # a folder of the test's: the CA outlives a restart
    yield served
    served.stop()


def _token_over_a_new_connection(host: str = "auth.app.labelf.ai") -> bool:
    """A token over a connection of its own (the client's own default context, as an application makes it),
    closed afterwards; whether its TLS session was resumed."""
    connection = http.client.HTTPSConnection(host, timeout=5, context=ssl.create_default_context())
    try:
        connection.request("POST", "/oauth2/token", body=BODY, headers=HEADERS)
        response = connection.getresponse()
        assert response.status == 200, response.read()
        assert json.loads(response.read())["token_type"] == "bearer"
        assert isinstance(connection.sock, ssl.SSLSocket)
        return connection.sock.session_reused is True
    finally:
        connection.close()


def test_a_new_connection_resumes_the_last_closed_session(servers: MockServers) -> None:
    with intercept(servers):
        assert _token_over_a_new_connection() is False  # the first one: a full handshake
        assert _token_over_a_new_connection() is True
        assert _token_over_a_new_connection("api.app.labelf.ai") is True  # one certificate names every host
    with intercept(servers):  # the next test: its connections are new, and resumed
        assert _token_over_a_new_connection() is True


def test_a_session_the_server_cannot_resume_gets_a_full_verified_handshake(servers: MockServers) -> None:
    with intercept(servers):
        _token_over_a_new_connection()
        _token_over_a_new_connection()
    servers.stop()  # a new server, with new ticket keys; the same CA, so the client context keeps its session
    with intercept(servers):
        assert _token_over_a_new_connection() is False  # offered, refused, verified in full, answered
        assert _token_over_a_new_connection() is True
