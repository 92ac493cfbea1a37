"""The OpenAPI 3.1 operations of every endpoint; :func:`openapi_document` assembles them in the order of the
endpoint table (:mod:`.endpoints`) and :func:`openapi_endpoint` serves the document at ``/openapi.json``.

One contract, three consumers: the mock serves it, the contract suite's schemathesis checks generate from it,
the README points at it.  Response schemas allow extra members (RFC 6749 §5.1: clients ignore unknown names) and
``token_type_hint`` is a plain string, not an enum (RFC 7009 §2.2: unknown hints are ignored).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .endpoints import ENDPOINTS, MAX_TEXT_CHARS, MAX_TEXTS_PER_INFERENCE

__all__ = [
    "GET_MODEL",
    "INFERENCE",
    "JWKS",
    "LIST_MODELS",
    "MULTI_INFERENCE",
    "OPERATIONS",
    "REVOKE",
    "SIMILARITY",
    "TOKEN",
    "document",
    "openapi_document",
    "openapi_endpoint",
]

_OAUTH_ERROR = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_API_ERROR = {
    "type": "object",
    "required": ["status", "message", "error_code", "request_id"],
    "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "error_code": {"type": "string"},
        "request_id": {"type": "string"},
    },
}
_NO_STORE = {
    "Cache-Control": {"schema": {"type": "string", "const": "no-store"}},
    "Pragma": {"schema": {"type": "string", "const": "no-cache"}},
}
_PREDICTIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["label", "score"],
        "properties": {"label": {"type": "string"}, "score": {"type": "number", "minimum": 0, "maximum": 1}},
    },
}
_TEXTS = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_TEXTS_PER_INFERENCE,
    "items": {"type": "string", "maxLength": MAX_TEXT_CHARS},
}


def _oauth_errors(*statuses: int) -> dict[str, Any]:
    described = {
        400: "invalid_request, invalid_scope, unauthorized_client or invalid_grant",
        401: "invalid_client",
        413: "body over the mock's limit",
        500: "server_error",
    }
    responses: dict[str, Any] = {
        str(status): {
            "description": described[status],
            "headers": _NO_STORE,
            "content": {"application/json": {"schema": _OAUTH_ERROR}},
        }
        for status in statuses
    }
    responses["405"] = {
        "description": "Method not allowed (Allow: OPTIONS, POST)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    return responses


def _api_errors(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {"description": f"API error {status}", "content": {"application/json": {"schema": _API_ERROR}}}
        for status in statuses
    }


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": properties, "required": required}
            }
        },
    }


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(schema: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


_MODEL_ID = {"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"}}
_API_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]


_TOKEN_SCHEMA = {
    "type": "object",
    "required": ["access_token", "expires_in", "scope", "token_type"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "token_type": {"type": "string"},
    },
}
_SETTINGS = {
    "type": "object",
    "required": ["model_id"],
    "properties": {
        "model_id": {"type": ["string", "integer"]},
        "max_predictions": {"type": "integer", "minimum": 1},
        "label_filter": {"type": "array", "items": {"type": "string"}},
        "read_full_text": {"type": "boolean"},
    },
}
_MODEL = {
    "type": "object",
    "required": ["id", "name", "type", "status"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "type": {"type": "string"},
        "status": {"type": "string"},
        "labels": {"type": "array", "items": {"type": "string"}},
    },
}
_INFERENCE_ITEM = {
    "type": "object",
    "required": ["text", "predictions"],
    "properties": {"text": {"type": "string"}, "predictions": _PREDICTIONS},
}
_NEWER_INFERENCE = {
    "type": "object",
    "required": ["model_id", "predictions", "text_language", "processing_time_ms"],
    "properties": {
        "model_id": {"type": ["integer", "string"]},
        "predictions": {"type": "array", "items": _PREDICTIONS},
        # "Detected ISO 639-1 language code of the input text", typed string (newer docs, /classification).
        "text_language": {"type": "string", "minLength": 2, "maxLength": 2},
        "processing_time_ms": {"type": "integer", "minimum": 0},
    },
}
_TEXT_MAP = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"type": "string", "maxLength": MAX_TEXT_CHARS},
}
_SIMILARITY_RESULT = {
    "type": "object",
    "additionalProperties": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "similarity"],
            "properties": {"id": {"type": "string"}, "similarity": {"type": "number", "minimum": 0, "maximum": 1}},
        },
    },
}

TOKEN: dict[str, Any] = {
    "operationId": "getToken",
    "summary": "Client-credentials token (Hydra-compatible)",
    "security": [{"basicAuth": []}],
    "requestBody": _form(
        {"grant_type": {"type": "string", "enum": ["client_credentials"]}, "scope": {"type": "string"}},
        ["grant_type"],
    ),
    "responses": {"200": _ok(_TOKEN_SCHEMA, _NO_STORE), **_oauth_errors(400, 401, 413, 500)},
}
REVOKE: dict[str, Any] = {
    "operationId": "revokeToken",
    "summary": "Revoke a token (RFC 7009): 200 with an empty body, also for unknown tokens",
    "security": [{"basicAuth": []}],
    "requestBody": _form({"token": {"type": "string"}, "token_type_hint": {"type": "string"}}, ["token"]),
    "responses": {
        "200": {"description": "Revoked, or unknown", "headers": _NO_STORE},
        **_oauth_errors(400, 401, 413, 500),
    },
}
JWKS: dict[str, Any] = {
    "operationId": "jwks",
    "summary": "The public keys JWT access tokens are signed with (RFC 7517)",
    "responses": {
        "200": _ok(
            {
                "type": "object",
                "required": ["keys"],
                "properties": {"keys": {"type": "array", "items": {"type": "object", "required": ["kty", "kid"]}}},
            }
        )
    },
}
INFERENCE: dict[str, Any] = {
    "operationId": "inference",
    "security": _API_AUTH,
    "parameters": [_MODEL_ID],
    "requestBody": _json_body(
        {
            "type": "object",
            "required": ["texts"],
            "properties": {
                "texts": _TEXTS,
                "max_predictions": {"type": "integer", "minimum": 1},
                "label_filter": {"type": "array", "items": {"type": "string"}},
            },
        }
    ),
    "responses": {
        # Older docs and the official client, or the newer developer docs (docs/fidelity.md, "Where Labelf's
        # docs conflict"): the host, a Labelf-Api-Generation header or the config picks one.
        "200": _ok({"oneOf": [{"type": "array", "items": _INFERENCE_ITEM}, _NEWER_INFERENCE]}),
        **_api_errors(400, 401, 403, 404, 409, 413, 415, 429, 500),
    },
}
MULTI_INFERENCE: dict[str, Any] = {
    "operationId": "multiModelInference",
    "security": _API_AUTH,
    "requestBody": _json_body(
        {
            "type": "object",
            "required": ["texts", "model_settings"],
            "properties": {"texts": _TEXTS, "model_settings": {"type": "array", "minItems": 1, "items": _SETTINGS}},
        }
    ),
    "responses": {
        "200": _ok({"type": "array", "items": {"type": "object", "required": ["text", "models"]}}),
        **_api_errors(400, 401, 403, 404, 409, 413, 415, 429, 500),
    },
}
SIMILARITY: dict[str, Any] = {
    "operationId": "similarity",
    "security": _API_AUTH,
    "requestBody": _json_body(
        {
            "type": "object",
            "required": ["top_n", "base_texts", "compare_to_texts"],
            "properties": {
                "top_n": {"type": "integer", "minimum": 1},
                "base_texts": _TEXT_MAP,
                "compare_to_texts": _TEXT_MAP,
            },
        }
    ),
    "responses": {"200": _ok(_SIMILARITY_RESULT), **_api_errors(400, 401, 403, 413, 415, 429, 500)},
}
LIST_MODELS: dict[str, Any] = {
    "operationId": "listModels",
    "security": _API_AUTH,
    "responses": {
        "200": _ok(
            {"type": "object", "required": ["models"], "properties": {"models": {"type": "array", "items": _MODEL}}}
        ),
        **_api_errors(401, 429, 500),
    },
}
GET_MODEL: dict[str, Any] = {
    "operationId": "getModel",
    "security": _API_AUTH,
    "parameters": [_MODEL_ID],
    "responses": {"200": _ok(_MODEL), **_api_errors(401, 404, 429, 500)},
}


def document(paths: dict[str, dict[str, Any]], base_url: str) -> dict[str, Any]:
    """The whole document around ``paths`` (built from the route table), ``servers`` at ``base_url``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Labelf API (labelf-testkit mock)", "version": "2"},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
    }


#: Each documented endpoint's operations, by endpoint name (:data:`~.endpoints.ENDPOINTS`); discovery and the
#: document itself are served but not described.
OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "token": {"post": TOKEN},
    "revoke": {"post": REVOKE},
    "jwks": {"get": JWKS},
    "models": {"get": LIST_MODELS},
    "multi_inference": {"post": MULTI_INFERENCE},
    "model": {"get": GET_MODEL},
    "inference": {"post": INFERENCE},
    "similarity": {"post": SIMILARITY},
}


def openapi_document(base_url: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every described endpoint, in table order, with ``servers`` at ``base_url``."""
    paths = {e.path: dict(OPERATIONS[e.name]) for e in ENDPOINTS if e.name in OPERATIONS}
    return document(paths, base_url)


async def openapi_endpoint(request: Request) -> Response:
    """``GET /openapi.json``: the document, with ``servers`` at the URL the request came to."""
    return JSONResponse(openapi_document(str(request.base_url).rstrip("/")))
