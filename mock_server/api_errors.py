"""Errors of the model API, in the documented body ``{"status", "message", "error_code", "request_id"}``.

Source: Labelf's newer developer docs, ``labelf.ai/resources/developers/errors``.  The example there
is ``{"status": 400, "message": "texts field is required", "error_code": "MISSING_REQUIRED_FIELD",
"request_id": "req_7f3a9b2c"}``; every other ``error_code`` value is the mock's own choice (source unknown).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "BEARER_CHALLENGE",
    "ENDPOINT_CODES",
    "GENERIC_CODES",
    "ApiError",
    "api_error_response",
    "fault_error_code",
    "new_request_id",
]

#: The challenge of every 401 the API sends (RFC 6750 §3); the realm value is the mock's choice.
BEARER_CHALLENGE = 'Bearer realm="labelf"'

#: The generic ``error_code`` of each status: what the mock answers where no endpoint-specific code applies
#: (Starlette's routing 404 and 405, a fault on a path no endpoint serves, a status an endpoint answers with
#: several codes).  The statuses are those Labelf's newer docs list (``/errors``: 400, 401, 403, 404, 409, 429,
#: 500), the two the mock's own body checks add (413, 415), and the usual gateway errors; the codes are the
#: mock's **choice** (Labelf documents only ``MISSING_REQUIRED_FIELD``).
GENERIC_CODES: Mapping[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}

# What every endpoint answers: a bearer credential missing (UNAUTHORIZED) or rejected (INVALID_TOKEN), 401
# "Missing or invalid API key" (newer docs, /errors); and any exception that escapes a handler, 500.
_ANY = {401: ("UNAUTHORIZED", "INVALID_TOKEN"), 500: ("INTERNAL_ERROR",)}
# A JSON body: 400 for "bad params, missing field, malformed JSON" (newer docs, /errors; "texts field is
# required" is MISSING_REQUIRED_FIELD there, the other codes are the mock's), 413 and 415 (the mock's).
_BODY = {
    400: ("MALFORMED_JSON", "INVALID_FIELD_TYPE", "MISSING_REQUIRED_FIELD", "INVALID_FIELD_VALUE", "TOO_MANY_TEXTS"),
    413: ("PAYLOAD_TOO_LARGE",),
    415: ("UNSUPPORTED_MEDIA_TYPE",),
}
# Running a model: 403 "permissions or quota exceeded" (newer docs, /errors), 404 "model not found" (/errors),
# 400 "Model is archived" (a scenario /errors names), 409 "resource state conflict" (/errors; a model still
# training is the one such state these endpoints meet).  The code names are the mock's.
_RUN = {403: ("FORBIDDEN", "QUOTA_EXCEEDED"), 404: ("MODEL_NOT_FOUND",), 409: ("MODEL_TRAINING",)}

#: Every ``error_code`` each API endpoint (by its name in the route table) answers itself, per status.
#: ``tests/generations`` drives each endpoint into each of them, so this table and the handlers agree.
ENDPOINT_CODES: Mapping[str, Mapping[int, tuple[str, ...]]] = {
    "inference": {
        **_ANY,
        **_BODY,
        **_RUN,
        400: (*_BODY[400], "TEXT_TOO_LONG", "MODEL_ARCHIVED"),
    },
    "multi_inference": {
        **_ANY,
        **_BODY,
        **_RUN,
        400: (*_BODY[400], "TEXT_TOO_LONG", "MODEL_ARCHIVED", "TOO_MANY_MODELS"),
    },
    "similarity": {**_ANY, **_BODY, 400: (*_BODY[400], "TEXT_TOO_LONG"), 403: ("FORBIDDEN",)},
    "models": {**_ANY},
    "model": {**_ANY, 404: ("MODEL_NOT_FOUND",)},
}


def fault_error_code(endpoint: str | None, status: int) -> str:
    """The ``error_code`` of a fault answering ``status`` on ``endpoint``: the endpoint's own code when it has
    exactly one for that status (a fault looks like the real failure: 409 on inference is ``MODEL_TRAINING``),
    else the generic one (:data:`GENERIC_CODES`), else ``ERROR``."""
    codes = ENDPOINT_CODES.get(endpoint or "", {}).get(status, ())
    return codes[0] if len(codes) == 1 else GENERIC_CODES.get(status, "ERROR")


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


async def api_error_response(request: Request, exc: Exception) -> Response:
    """Starlette exception handler (async, so Starlette does not send it to a thread) for :class:`ApiError`."""
    assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
    return exc.response()
