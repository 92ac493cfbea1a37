"""Bearer authentication of the model API (RFC 6750 §2.1, §3).

Accepted: an access token this mock issued that has neither expired (by the mock's clock) nor been
revoked, or a configured static key ``lbl_sk_…`` (Labelf's developer docs,
labelf.ai/resources/developers/authentication).  Every refusal is a
401 with a ``WWW-Authenticate: Bearer`` challenge that has at least one auth-param (RFC 6750 §3); the
``error="invalid_token"`` attribute appears only when a token was sent (RFC 6750 §3.1).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import Request

from ._tokens import TokenRejected
from .api_errors import BEARER_CHALLENGE, ApiError
from .state import MockState

__all__ = ["BEARER_CHALLENGE", "Caller", "authenticate_bearer", "require_model_access"]

#: Roles that may look at models but not run them (the mock's **choice**: the newer docs list the roles but
#: not what each may do; ``viewer`` reads as read-only).
_READ_ONLY_ROLES = frozenset({"viewer"})


@dataclass(frozen=True)
class Caller:
    """Who a bearer credential belongs to: a client id (or ``api-key``) and its workspace role."""

    client_id: str
    role: str


_MISSING = (
    "Missing or invalid API key. Check your Authorization header."  # Labelf's developer docs, /errors: the 401 text
)


def _refuse(description: str | None) -> ApiError:
    challenge = (
        BEARER_CHALLENGE
        if description is None
        else f'{BEARER_CHALLENGE}, error="invalid_token", error_description="{description}"'
    )
    code = "UNAUTHORIZED" if description is None else "INVALID_TOKEN"
    message = _MISSING if description is None else f"{_MISSING} {description}."
    return ApiError(401, code, message, {"www-authenticate": challenge})


def _bearer_token(header: str | None) -> str | None:
    """The b64token after ``Bearer`` (scheme case-insensitive, RFC 7235 §2.1), or ``None`` if not Bearer."""
    if header is None:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return rest.strip()


def authenticate_bearer(request: Request, state: MockState) -> Caller:
    """Who is behind the request's bearer credential, else a 401 :class:`ApiError`."""
    token = _bearer_token(request.headers.get("authorization"))
    if not token:
        raise _refuse(None)
    if token.startswith("lbl_sk_"):
        for key in state.config.api_keys:
            if hmac.compare_digest(token.encode("utf-8", "surrogateescape"), key.encode()):
                return Caller("api-key", state.config.role_of_key(key))
        raise _refuse("The API key is not valid")
    try:
        client_id = state.tokens.validate(token, state.clock.now()).client_id
    except TokenRejected as rejected:
        raise _refuse(str(rejected)) from None
    client = state.config.client(client_id)
    return Caller(client_id, client.role if client is not None else "api-user")


def require_model_access(caller: Caller) -> None:
    """403 in the documented envelope when ``caller``'s role may not run models (newer docs, ``/errors``:
    "403 — permissions or quota exceeded")."""
    if caller.role in _READ_ONLY_ROLES:
        raise ApiError(
            403,
            "FORBIDDEN",
            f"Your workspace role '{caller.role}' may view models but not run them. Ask an admin for the "
            "'api-user' role.",
        )
