"""``/oauth2/token``, ``/oauth2/revoke`` and discovery, with Hydra's checks in Hydra's order.

The order is fosite's ``NewAccessRequest`` (``access_request_handler.go``): parse the body, refuse an empty
form, require ``grant_type``, authenticate the client (its error only counts once a grant handler claims the request,
fosite >= 0.37), then the client-credentials handler: scope, audience, grant allowed for the client.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._client_auth import authenticate_client, try_authenticate_client
from ._forms import BodyTooLarge, Form, parse_form, receive_body
from .config import HYDRA_GRANT_TYPES, ClientConfig
from .oauth_errors import (
    HYDRA_JSON,
    NO_STORE_HEADERS,
    OAuthError,
    invalid_client,
    invalid_request,
    invalid_scope,
    unauthorized_client,
)
from .state import MockState, state_of

__all__ = [
    "TokenEndpoint",
    "discovery_endpoint",
    "jwks_endpoint",
    "method_not_allowed",
    "revoke_endpoint",
    "token_endpoint",
]

_INVALID_GRANT = (
    "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh "
    "token is invalid, expired, revoked, does not match the redirection URI used in the authorization "
    "request, or was issued to another client."
)


def _allow(methods: Iterable[str]) -> str:
    # httprouter's allowed() lists the methods sorted.
    return ", ".join(sorted(methods))


def method_not_allowed(request: Request, methods: Iterable[str]) -> Response:
    """Hydra's router (httprouter v1.3, Hydra v1.x-v2.3) refuses other methods before fosite runs:
    405, Go's ``http.Error`` text, and ``Allow`` listing the route's methods (from the route table)."""
    body = b"" if request.method == "HEAD" else b"Method Not Allowed\n"
    headers = {
        "allow": _allow(methods),
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
    }
    return Response(body, 405, headers=headers)


def _options(scope: Scope) -> Response | None:
    # Hydra registers an OPTIONS route (its CORS handler); with CORS off it answers empty.  Status INFERRED.
    # OPTIONS goes through Starlette's router, which puts the matched route (the table's methods) in the scope.
    if scope["method"] != "OPTIONS":
        return None
    return Response(status_code=200, headers={"allow": _allow(scope["route"].methods)})


async def _read_form(receive: Receive, headers: Mapping[str, str], state: MockState) -> Form:
    try:
        body = await receive_body(receive, headers.get("content-length"), state.config.max_body_bytes)
    except BodyTooLarge as exc:
        # Not Hydra: Go would read up to 10 MB.  The mock refuses earlier and says why.
        raise OAuthError(
            "invalid_request",
            413,
            "The request body is too large.",
            f"The mock accepts at most {exc.limit} bytes.",
        ) from None
    form = parse_form(headers.get("content-type"), body)
    if not form:
        raise invalid_request("The POST body can not be empty.")
    return form


def _split(value: str) -> list[str]:
    # fosite's RemoveEmpty(strings.Split(value, " ")): single spaces only, empties dropped.
    return [part for part in value.split(" ") if part]


def _audiences(form: Form) -> list[str]:
    values = form.get("audience", [])
    if len(values) > 1:
        return [v for v in values if v]
    return _split(values[0]) if values else []


def _client_credentials(form: Form, client: ClientConfig, audiences: list[str]) -> list[str]:
    """fosite ``flow_client_credentials.go``: the scopes to grant, or the handler's error."""
    scopes = _split(form.first("scope"))
    for scope in scopes:
        if scope not in client.scopes:
            raise invalid_scope(scope)
    for audience in audiences:
        if audience not in client.audience:
            raise invalid_request(f"Requested audience '{audience}' has not been whitelisted by the OAuth 2.0 Client.")
    if "client_credentials" not in client.grant_types:
        raise unauthorized_client("client_credentials")
    return scopes


def _other_grant(grant_type: str, client: ClientConfig) -> OAuthError:
    """Hydra's other grant handlers.  The mock never issues codes, refresh tokens or accepts assertions,
    so a client allowed the grant still has nothing to redeem (INFERRED from fosite's handlers)."""
    if grant_type not in client.grant_types:
        return unauthorized_client(grant_type)
    return OAuthError("invalid_grant", 400, _INVALID_GRANT)


_TOKEN_HEADERS = [
    *((name.encode(), value.encode()) for name, value in NO_STORE_HEADERS.items()),
    (b"content-type", HYDRA_JSON.encode()),
]
#: The request headers the token endpoint reads, by their names as ASGI sends them (lower case).
_READS = {name.encode(): name for name in ("authorization", "content-length", "content-type", "host")}


def _token_body(token: str, expires_in: int, scope: str) -> bytes:
    # fosite access_write.go: json.Marshal of a map, so sorted keys, compact, no trailing newline.  The token
    # is base64url and the expiry an int, so only the scope needs escaping (as json.Marshal would).
    scope_json = json.dumps(scope) if scope else '""'
    body = f'{{"access_token":"{token}","expires_in":{expires_in},"scope":{scope_json},"token_type":"bearer"}}'
    return body.encode()


def _server(scope: Scope) -> tuple[str, int] | None:
    # The local address the connection arrived on (set by the server, not by the client).
    server = scope.get("server")
    return (str(server[0]), int(server[1])) if server and server[1] is not None else None


async def _grant(scope: Scope, receive: Receive, headers: Mapping[str, str]) -> bytes:
    """The client-credentials grant, Hydra-faithful (docs/fidelity.md, token endpoint cases): the 200's body,
    or the :class:`OAuthError` Hydra would answer."""
    state: MockState = scope["app"].mock
    form = await _read_form(receive, headers, state)
    grant_types = _split(form.first("grant_type"))
    if not grant_types:
        raise invalid_request("Request parameter 'grant_type' is missing")
    client = try_authenticate_client(state.config, headers, form)
    if len(grant_types) != 1 or grant_types[0] not in HYDRA_GRANT_TYPES:
        raise invalid_request()  # no handler claims it: the bare error with the default hint
    if isinstance(client, OAuthError):
        raise client
    if grant_types[0] != "client_credentials":
        raise _other_grant(grant_types[0], client)
    audiences = _audiences(form)
    scopes = _client_credentials(form, client, audiences)
    token, expires_in = state.issue_token(client, scopes, audiences, host=headers.get("host"), server=_server(scope))
    return _token_body(token, expires_in, " ".join(scopes))


class TokenEndpoint:
    """``POST /oauth2/token`` (and its ``OPTIONS``), the grant of :func:`_grant`, as a plain ASGI app.

    Starlette's router serves it as it serves every route of the table (a ``Route`` whose endpoint is not a
    function is mounted as ASGI), behind Starlette's own ``ExceptionMiddleware``: the :class:`OAuthError` it
    raises goes to the app's exception handlers like any route's.  Plain ASGI only spares the hot path a
    ``Request`` and a ``Response`` object: one pass over the headers, the answer written as two messages.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request."""
        if (early := _options(scope)) is not None:
            await early(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if (key := _READS.get(name)) is not None and key not in headers:  # the first of each, as Go's Header.Get
                headers[key] = value.decode("latin-1")
        body = await _grant(scope, receive, headers)
        start_headers = [*_TOKEN_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": start_headers})
        await send({"type": "http.response.body", "body": body})


#: The token endpoint's one instance (an instance, not a function, so Starlette mounts it as ASGI).
token_endpoint = TokenEndpoint()


async def revoke_endpoint(request: Request) -> Response:
    """``POST /oauth2/revoke`` (RFC 7009 as fosite ``revoke_handler.go`` does it).

    200 with an empty body for any token, known or not, this client's or another's; only invalid_request
    and invalid_client are errors, and they carry fosite's generic bodies (the specific hint is lost).
    """
    if (early := _options(request.scope)) is not None:
        return early
    state = state_of(request)
    try:
        form = await _read_form(request.receive, request.headers, state)
        client = authenticate_client(state.config, request.headers, form)
    except OAuthError as error:
        if error.status == 413:
            raise
        raise (invalid_client() if error.error == "invalid_client" else invalid_request()) from None
    state.tokens.revoke(form.first("token"), client.client_id, state.clock.now())
    return Response(status_code=200, headers=NO_STORE_HEADERS)


async def discovery_endpoint(request: Request) -> Response:
    """``GET /.well-known/openid-configuration``: the endpoints this mock really serves.

    Hydra writes this with herodot (``application/json; charset=utf-8``); the mock lists only what it
    implements, so clients that read discovery never reach an endpoint that 404s.  Like Hydra (its
    ``urls.self.issuer``), the issuer and the endpoints come from configuration, not from the request's
    ``Host`` header (see :meth:`MockState.issuer`: only Labelf's own host names select Labelf's auth URL).
    """
    state = state_of(request)
    base = state.issuer(request.headers.get("host"), _server(request.scope))
    document: dict[str, object] = {
        "issuer": f"{base}/",
        "token_endpoint": f"{base}{request.app.url_path_for('token')}",
        "revocation_endpoint": f"{base}{request.app.url_path_for('revoke')}",
        "jwks_uri": f"{base}{request.app.url_path_for('jwks')}",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted({s for c in state.config.clients for s in c.scopes}),
        "subject_types_supported": ["public"],
    }
    # RFC 8414 §3.2: claims with zero elements MUST be omitted.
    return _herodot_json({key: value for key, value in document.items() if value != []})


async def jwks_endpoint(request: Request) -> Response:
    """``GET /.well-known/jwks.json``: the public key JWT access tokens are signed with (Hydra ``jwk/handler.go``
    serves its token-signing keys here, written by herodot)."""
    return _herodot_json(state_of(request).tokens.jwt.jwks())


def _herodot_json(document: Mapping[str, object]) -> Response:
    # Hydra writes these with herodot's JSONWriter.WriteCode (json.go, since herodot v0.8 in 2020): a Go
    # json.Encoder's output, compact with one trailing newline, as "application/json; charset=utf-8".  Non-ASCII
    # is \u-escaped here where Go writes UTF-8: the same JSON to any parser.
    body = json.dumps(document, separators=(",", ":")) + "\n"
    return Response(body, headers={"content-type": "application/json; charset=utf-8"})
