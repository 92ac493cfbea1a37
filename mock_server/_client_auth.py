"""Client authentication as fosite does it (``client_authentication.go``; docs/fidelity.md cases 1-4, 9).

HTTP Basic is parsed like Go's ``Request.BasicAuth``: the scheme ``Basic `` matched case-insensitively,
strict padded base64, split at the first ``:``; any failure means "no Basic header" and fosite falls back
to ``client_id`` in the body.  Each half is then form-url-decoded (RFC 6749 §2.3.1; fosite uses
``url.QueryUnescape``).  Secrets are compared in constant time.
"""

from __future__ import annotations

import binascii
import hmac
from base64 import b64decode
from collections.abc import Mapping

from ._forms import Form, go_query_unescape
from .config import ClientConfig, MockConfig
from .oauth_errors import OAuthError, invalid_client, invalid_request

__all__ = ["authenticate_client", "parse_basic_auth"]

_WRONG_METHOD = (
    "The OAuth 2.0 Client supports client authentication method '{have}', but method '{asked}' was "
    "requested. You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept "
    "'{asked}'."
)


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    """Go's ``parseBasicAuth``: the raw (still url-encoded) id and secret, or ``None``."""
    if header is None or len(header) < 6 or header[:6].lower() != "basic ":
        return None
    encoded = header[6:].replace("\r", "").replace("\n", "")
    try:
        decoded = b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    text = decoded.decode("utf-8", "surrogateescape")
    username, sep, password = text.partition(":")
    if not sep:
        return None
    return username, password


def _credentials(basic: tuple[str, str] | None, form: Form) -> tuple[str, str]:
    if basic is None:
        client_id = form.first("client_id")
        if not client_id:
            raise invalid_request(
                "Client credentials missing or malformed in both HTTP Authorization header and HTTP POST body."
            )
        return client_id, form.first("client_secret")
    decoded_id = go_query_unescape(basic[0])
    if decoded_id is None:
        raise invalid_request(
            "The client id in the HTTP authorization header could not be decoded from "
            "'application/x-www-form-urlencoded'."
        )
    secret = go_query_unescape(basic[1])
    if secret is None:
        raise invalid_request(
            "The client secret in the HTTP authorization header could not be decoded from "
            "'application/x-www-form-urlencoded'."
        )
    return decoded_id, secret


def _check_method(client: ClientConfig, basic: tuple[str, str] | None, form: Form) -> None:
    method = client.token_endpoint_auth_method
    if form.first("client_id") and form.first("client_secret") and method != "client_secret_post":
        raise invalid_client(_WRONG_METHOD.format(have=method, asked="client_secret_post"))
    if basic is not None and basic[1] and method != "client_secret_basic":
        raise invalid_client(_WRONG_METHOD.format(have=method, asked="client_secret_basic"))


def authenticate_client(config: MockConfig, headers: Mapping[str, str], form: Form) -> ClientConfig:
    """The authenticated client, or the :class:`OAuthError` fosite would return, in fosite's order."""
    basic = parse_basic_auth(headers.get("authorization"))
    client_id, secret = _credentials(basic, form)
    client = config.client(client_id)
    if client is None:
        raise invalid_client()
    _check_method(client, basic, form)
    expected = client.client_secret.encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(secret.encode("utf-8", "surrogateescape"), expected):
        raise invalid_client()
    return client


def try_authenticate_client(config: MockConfig, headers: Mapping[str, str], form: Form) -> ClientConfig | OAuthError:
    """:func:`authenticate_client`, returning the error instead of raising it (fosite decides later)."""
    try:
        return authenticate_client(config, headers, form)
    except OAuthError as error:
        return error
