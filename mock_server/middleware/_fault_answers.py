"""What a planned fault answers, worded as the host it hits would word an error of that status.

Error bodies are rendered by the host's own error types (:class:`~..oauth_errors.OAuthError` on the auth host,
:class:`~..api_errors.ApiError` on the API host) so clients parse them as they would a real failure.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..api_errors import BEARER_CHALLENGE, ApiError, fault_error_code
from ..endpoints import endpoint_for, host_of
from ..faults import Fault
from ..oauth_errors import OAuthError, server_error

__all__ = ["fault_response"]

# RFC 6749 §4.1.2.1's temporarily_unavailable, in fosite's wording (errors.go ErrTemporarilyUnavailable).
_TEMPORARILY_UNAVAILABLE = (
    "The authorization server is currently unable to handle the request due to a temporary overloading or "
    "maintenance of the server."
)
#: The start of a success body, cut short: what ``malformed_json`` answers.
_TRUNCATED = {"auth": b'{"access_token": "ory_at_trunc', "api": b'[{"text": "trunc'}
#: The body each answering kind sends instead of the host's error body (unless the fault gives its own).
_BODIES: dict[str, Callable[[str], bytes]] = {
    "malformed_json": lambda path: _TRUNCATED[host_of(path)],
    "empty_body": lambda path: b"",
}


def fault_response(fault: Fault, path: str) -> Response:
    """The answer ``fault`` gives a request for ``path``: the host's error body for its status (or the fault's
    own ``body``), with the fault's headers."""
    response = _error_response(fault.status, path)
    if fault.body is not None:
        response.body = fault.body
    elif (body := _BODIES.get(fault.kind)) is not None:
        response.body = body(path)
    response.headers.update({k.lower(): v for k, v in fault.headers.items()})
    response.headers["content-length"] = str(len(response.body))
    return response


def _error_response(status: int, path: str) -> Response:
    if host_of(path) == "api":
        endpoint = endpoint_for(path)  # the endpoint's own code where it has exactly one for the status
        code = fault_error_code(endpoint.name if endpoint is not None else None, status)
        # The headers a real answer with this status carries: RFC 6750 §3's challenge on a 401, and the
        # documented Retry-After on a 429 ("Back off and retry using the Retry-After header").
        headers = {401: {"www-authenticate": BEARER_CHALLENGE}, 429: {"retry-after": "1"}}
        api_error = ApiError(status, code, f"Injected fault: {code.lower().replace('_', ' ')}.")
        api_error.headers = headers.get(status, {})
        return api_error.response()
    error = server_error()
    if status in {429, 503}:
        error = OAuthError("temporarily_unavailable", status, _TEMPORARILY_UNAVAILABLE)
    error.status = status
    return error.response()
