"""OAuth 2.0 errors as Ory Hydra (fosite, non-legacy error format) writes them.

Source: fosite ``errors.go`` (identical in 2021 and 2025) and ``access_error.go`` ``writeJsonError``.  fosite
builds ``error_description`` as the error's fixed description, a space, and a hint; ``with_hint`` replaces the
default hint.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from ._gojson import go_json_text

__all__ = [
    "HYDRA_JSON",
    "NO_STORE_HEADERS",
    "OAuthError",
    "invalid_client",
    "invalid_request",
    "invalid_scope",
    "oauth_error_response",
    "server_error",
    "unauthorized_client",
]

#: Hydra's spelling (no space, upper-case charset) of the documented ``application/json; charset=utf-8``.
HYDRA_JSON = "application/json;charset=UTF-8"
#: RFC 6749 §5.1; fosite sets both on every token-endpoint response, errors included.
NO_STORE_HEADERS = {"cache-control": "no-store", "pragma": "no-cache"}

_INVALID_REQUEST = (
    "The request is missing a required parameter, includes an invalid parameter value, includes a "
    "parameter more than once, or is otherwise malformed."
)
_INVALID_REQUEST_HINT = (
    "Make sure that the various parameters are correct, be aware of case sensitivity and trim your "
    "parameters. Make sure that the client you are using has exactly whitelisted the redirect_uri you "
    "specified."
)
_INVALID_CLIENT = (
    "Client authentication failed (e.g., unknown client, no client authentication included, or "
    "unsupported authentication method)."
)
_INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."
_UNAUTHORIZED_CLIENT = "The client is not authorized to request a token using this method."
_SERVER_ERROR = (
    "The authorization server encountered an unexpected condition that prevented it from fulfilling the request."
)


class OAuthError(Exception):
    """An RFC 6749 §5.2 error, raised anywhere in a request and written once by the app's handler."""

    def __init__(self, error: str, status: int, description: str, hint: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description
        self.hint = hint

    @property
    def error_description(self) -> str:
        """fosite's ``GetDescription``: the fixed description and the hint, space-joined."""
        return f"{self.description} {self.hint}".strip()

    def body(self) -> bytes:
        """Compact JSON with exactly ``error`` and ``error_description``, no trailing newline (Go's json)."""
        # A hint may echo request bytes that are not UTF-8 (a scope, a grant type): U+FFFD, as Go writes them.
        payload = {"error": self.error, "error_description": go_json_text(self.error_description)}
        return json.dumps(payload, separators=(",", ":")).encode()

    def response(self) -> Response:
        """The error as Hydra writes it (fosite ``access_error.go`` ``writeJsonError``).

        No ``WWW-Authenticate`` header: Hydra sets none on token-endpoint errors.
        """
        return Response(self.body(), self.status, headers={**NO_STORE_HEADERS, "content-type": HYDRA_JSON})


def invalid_request(hint: str = _INVALID_REQUEST_HINT) -> OAuthError:
    """400 ``invalid_request``; without a hint it carries fosite's default hint."""
    return OAuthError("invalid_request", 400, _INVALID_REQUEST, hint)


def invalid_client(hint: str = "") -> OAuthError:
    """401 ``invalid_client``; unknown client and wrong secret share this exact body (no hint)."""
    return OAuthError("invalid_client", 401, _INVALID_CLIENT, hint)


def invalid_scope(scope: str) -> OAuthError:
    """400 ``invalid_scope`` naming the first scope the client may not request."""
    return OAuthError(
        "invalid_scope", 400, _INVALID_SCOPE, f"The OAuth 2.0 Client is not allowed to request scope '{scope}'."
    )


def unauthorized_client(grant_type: str) -> OAuthError:
    """400 ``unauthorized_client`` for a client that is not registered for ``grant_type``."""
    hint = f"The OAuth 2.0 Client is not allowed to use authorization grant '{grant_type}'."
    return OAuthError("unauthorized_client", 400, _UNAUTHORIZED_CLIENT, hint)


def server_error() -> OAuthError:
    """500 ``server_error``: what any unexpected exception becomes, never a traceback."""
    return OAuthError("server_error", 500, _SERVER_ERROR)


async def oauth_error_response(request: Request, exc: Exception) -> Response:
    """Starlette exception handler (async, so Starlette does not send it to a thread) for :class:`OAuthError`."""
    assert isinstance(exc, OAuthError)  # noqa: S101 - registered for OAuthError only
    return exc.response()
