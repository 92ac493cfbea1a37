"""Errors of the model API, in the documented body ``{"status", "message", "error_code", "request_id"}``.

Source: Labelf's newer developer docs, ``labelf.ai/resources/developers/errors``.  The example there
is ``{"status": 400, "message": "texts field is required", "error_code": "MISSING_REQUIRED_FIELD",
"request_id": "req_7f3a9b2c"}``; every other ``error_code`` value is the mock's own choice (source unknown).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["BEARER_CHALLENGE", "ApiError", "api_error_response", "new_request_id"]

#: The challenge of every 401 the API sends (RFC 6750 §3); the realm value is the mock's choice.
BEARER_CHALLENGE = 'Bearer realm="labelf"'


def new_request_id() -> str:
    """``req_`` and 8 hex digits, like the documented ``req_7f3a9b2c``."""
    return f"req_{secrets.token_hex(4)}"


class ApiError(Exception):
    """An API error; ``headers`` carries e.g. ``WWW-Authenticate``, ``Allow`` or ``Retry-After``."""

    def __init__(self, status: int, error_code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}

    def response(self, request_id: str | None = None) -> Response:
        """The documented JSON body, with ``X-Request-Id`` echoing ``request_id``."""
        request_id = request_id or new_request_id()
        body = {"status": self.status, "message": self.message, "error_code": self.error_code, "request_id": request_id}
        return JSONResponse(body, self.status, headers={**self.headers, "x-request-id": request_id})


def api_error_response(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for :class:`ApiError`."""
    assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
    return exc.response()
