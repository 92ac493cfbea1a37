"""The OpenAPI 3.1 document of everything the mock serves, served at ``/openapi.json``.

One contract, three consumers (DESIGN.md): the mock serves it, schemathesis generates from it, the docs
point at it.  Response schemas allow extra members (RFC 6749 §5.1: clients ignore unknown names) and
``token_type_hint`` is a plain string, not an enum (RFC 7009 §2.2: unknown hints are ignored).
"""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]

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
_TEXTS = {"type": "array", "minItems": 1, "maxItems": 8, "items": {"type": "string", "maxLength": 10000}}


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


def _auth_paths() -> dict[str, Any]:
    token_schema = {
        "type": "object",
        "required": ["access_token", "expires_in", "scope", "token_type"],
        "properties": {
            "access_token": {"type": "string", "minLength": 1},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
            "token_type": {"type": "string"},
        },
    }
    return {
        "/oauth2/token": {
            "post": {
                "operationId": "getToken",
                "summary": "Client-credentials token (Hydra-compatible)",
                "security": [{"basicAuth": []}],
                "requestBody": _form(
                    {"grant_type": {"type": "string", "enum": ["client_credentials"]}, "scope": {"type": "string"}},
                    ["grant_type"],
                ),
                "responses": {"200": _ok(token_schema, _NO_STORE), **_oauth_errors(400, 401, 413, 500)},
            }
        },
        "/oauth2/revoke": {
            "post": {
                "operationId": "revokeToken",
                "summary": "Revoke a token (RFC 7009): 200 with an empty body, also for unknown tokens",
                "security": [{"basicAuth": []}],
                "requestBody": _form({"token": {"type": "string"}, "token_type_hint": {"type": "string"}}, ["token"]),
                "responses": {
                    "200": {"description": "Revoked, or unknown", "headers": _NO_STORE},
                    **_oauth_errors(400, 401, 413, 500),
                },
            }
        },
    }


def _api_paths() -> dict[str, Any]:
    inference_item = {
        "type": "object",
        "required": ["text", "predictions"],
        "properties": {"text": {"type": "string"}, "predictions": _PREDICTIONS},
    }
    settings = {
        "type": "object",
        "required": ["model_id"],
        "properties": {
            "model_id": {"type": ["string", "integer"]},
            "max_predictions": {"type": "integer", "minimum": 1},
            "label_filter": {"type": "array", "items": {"type": "string"}},
            "read_full_text": {"type": "boolean"},
        },
    }
    model = {
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
    return {
        "/v2/models/{model_id}/inference": {
            "post": {
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
                    "200": _ok({"type": "array", "items": inference_item}),
                    **_api_errors(400, 401, 404, 413, 415, 429, 500),
                },
            }
        },
        "/v2/models/inference": {
            "post": {
                "operationId": "multiModelInference",
                "security": _API_AUTH,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "required": ["texts", "model_settings"],
                        "properties": {
                            "texts": _TEXTS,
                            "model_settings": {"type": "array", "minItems": 1, "items": settings},
                        },
                    }
                ),
                "responses": {
                    "200": _ok({"type": "array", "items": {"type": "object", "required": ["text", "models"]}}),
                    **_api_errors(400, 401, 404, 413, 415, 429, 500),
                },
            }
        },
        "/v2/similarity": {
            "post": {
                "operationId": "similarity",
                "security": _API_AUTH,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "required": ["top_n", "base_texts", "compare_to_texts"],
                        "properties": {
                            "top_n": {"type": "integer", "minimum": 1},
                            "base_texts": {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": {"type": "string", "maxLength": 10000},
                            },
                            "compare_to_texts": {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": {"type": "string", "maxLength": 10000},
                            },
                        },
                    }
                ),
                "responses": {
                    "200": _ok(
                        {
                            "type": "object",
                            "additionalProperties": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "similarity"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "similarity": {"type": "number", "minimum": 0, "maximum": 1},
                                    },
                                },
                            },
                        }
                    ),
                    **_api_errors(400, 401, 413, 415, 429, 500),
                },
            }
        },
        "/v2/models": {
            "get": {
                "operationId": "listModels",
                "security": _API_AUTH,
                "responses": {
                    "200": _ok(
                        {
                            "type": "object",
                            "required": ["models"],
                            "properties": {"models": {"type": "array", "items": model}},
                        }
                    ),
                    **_api_errors(401, 429, 500),
                },
            }
        },
        "/v2/models/{model_id}": {
            "get": {
                "operationId": "getModel",
                "security": _API_AUTH,
                "parameters": [_MODEL_ID],
                "responses": {"200": _ok(model), **_api_errors(401, 404, 429, 500)},
            }
        },
    }


def openapi_document(base_url: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """The document, with ``servers`` pointing at ``base_url``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Labelf API (labelf-testkit mock)", "version": "2"},
        "servers": [{"url": base_url}],
        "paths": {**_auth_paths(), **_api_paths()},
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
    }
