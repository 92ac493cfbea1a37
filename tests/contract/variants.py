"""Variants of the mock that each break one contract point, for the suite's self-tests.

Each factory returns the contract suite's default app wrapped in a small ASGI layer that rewrites one
request or response.  ``--labelf-contract-app tests.contract.variants:NAME`` selects one.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelf_testkit.contract_tests.service import contract_app

Rewrite = Callable[[Scope, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
Headers = list[tuple[bytes, bytes]]


class _Rewrite:
    """Buffers each response of ``path`` and passes it through ``rewrite``."""

    def __init__(self, app: ASGIApp, path: str, rewrite: Rewrite) -> None:
        self.app, self.path, self.rewrite = app, path, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            else:
                body.extend(message.get("body", b""))

        await self.app(scope, receive, buffer)
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        status, headers, new_body = self.rewrite(scope, start["status"], headers, bytes(body))
        headers["content-length"] = str(len(new_body))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": new_body})


class _RequestHeaders:
    """Rewrites request headers of ``path`` before the app sees them."""

    def __init__(self, app: ASGIApp, path: str, rewrite: Callable[[Scope, Headers], Headers]) -> None:
        self.app, self.path, self.rewrite = app, path, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.path):
            scope = {**scope, "headers": self.rewrite(scope, list(scope["headers"]))}
        await self.app(scope, receive, send)


def _json_field(name: str, value: object) -> Rewrite:
    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if status != 200:
            return status, headers, body
        data = json.loads(body)
        if value is _DROP:
            data.pop(name, None)
        else:
            data[name] = value
        return status, headers, json.dumps(data).encode()

    return rewrite


_DROP = object()


def wrong_token_type() -> ASGIApp:
    """token_type 'mac' instead of 'bearer'."""
    return _Rewrite(contract_app(), "/oauth2/token", _json_field("token_type", "mac"))


def expires_in_string() -> ASGIApp:
    """expires_in as a JSON string."""
    return _Rewrite(contract_app(), "/oauth2/token", _json_field("expires_in", "3600"))


def scope_missing() -> ASGIApp:
    """No scope member in the success body."""
    return _Rewrite(contract_app(), "/oauth2/token", _json_field("scope", _DROP))


def no_cache_control() -> ASGIApp:
    """The success response lacks Cache-Control."""

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if status == 200:
            headers.pop("cache-control", None)
        return status, headers, body

    return _Rewrite(contract_app(), "/oauth2/token", rewrite)


def wrong_error_code() -> ASGIApp:
    """invalid_client reported as 'bad_client'."""

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        return status, headers, body.replace(b'"invalid_client"', b'"bad_client"')

    return _Rewrite(contract_app(), "/oauth2/token", rewrite)


def ok_on_get() -> ASGIApp:
    """GET /oauth2/token answers 200 with a token."""
    app = contract_app()

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/oauth2/token":
            body = b'{"access_token":"x","expires_in":1,"scope":"","token_type":"bearer"}'
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapper


def accepts_wrong_secret() -> ASGIApp:
    """Any secret for CLIENT_ID is accepted."""

    def rewrite(scope: Scope, headers: Headers) -> Headers:
        good = b"Basic " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET")
        out = []
        for name, value in headers:
            if name == b"authorization" and value[:6].lower() == b"basic ":
                try:
                    user = base64.b64decode(value[6:]).split(b":", 1)[0]
                except ValueError:
                    user = b""
                if user == b"CLIENT_ID":
                    value = good
            out.append((name, value))
        return out

    return _RequestHeaders(contract_app(), "/oauth2/token", rewrite)


def token_not_accepted() -> ASGIApp:
    """The API refuses every access token the auth server issues."""

    def rewrite(scope: Scope, headers: Headers) -> Headers:
        return [
            (n, b"Bearer ory_at_nope" if n == b"authorization" and v.startswith(b"Bearer ory_at_") else v)
            for n, v in headers
        ]

    return _RequestHeaders(contract_app(), "/v2", rewrite)


def server_error_on_empty_body() -> ASGIApp:
    """An empty token request crashes with a 500."""

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if b"The POST body can not be empty." in body:
            return 500, {"content-type": "text/plain"}, b"Internal Server Error"
        return status, headers, body

    return _Rewrite(contract_app(), "/oauth2/token", rewrite)


class _EchoSecrets:
    """Answers every token request with a 400 whose body echoes the request's ``Authorization`` header and a
    token the mock really issued: the worst a misbehaving server can do to a report.  Each echo appears twice,
    the second time padded so that the suite's 300-character cut lands inside it.  Issued tokens are also
    appended to the file named by ``LABELF_ECHO_TOKENS`` (for the test that scans the outputs)."""

    def __init__(self) -> None:
        self.app = contract_app()
        self.mock = self.app.mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/oauth2/token":
            await self.app(scope, receive, send)
            return
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        token = self.mock.tokens.issue("CLIENT_ID", 2**40)
        if path := os.environ.get("LABELF_ECHO_TOKENS"):
            with open(path, "a", encoding="utf-8") as out:
                out.write(token + "\n")
        head = json.dumps({"error": "invalid_request", "echo": authorization, "issued": token})
        body = (
            json.dumps(
                {"error": "invalid_request", "echo": authorization, "issued": token, "pad": "x" * (280 - len(head))}
            )[:-1]
            + f', "again": "{authorization} {token}"}}'
        )
        payload = body.encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def echoes_secrets() -> ASGIApp:
    """A mock that echoes credentials and tokens back in its token endpoint's error bodies."""
    return _EchoSecrets()


def language_per_text() -> ASGIApp:
    """The newer generation's ``text_language`` as a list of codes, one per text, instead of one string."""

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        data = json.loads(body) if status == 200 else None
        if isinstance(data, dict) and isinstance(data.get("text_language"), str):
            data["text_language"] = [data["text_language"]] * len(data["predictions"])
            return status, headers, json.dumps(data).encode()
        return status, headers, body

    return _Rewrite(contract_app(), "/v2/models/", rewrite)
