"""The control API's own OpenAPI 3.1 document (``GET /__labelf/openapi.json``), built from the same tables the
handlers read (fault kinds and their fields, model actions, verifications), so it cannot drift from them."""

from __future__ import annotations

from typing import Any

from ..endpoints import FAULT_ROUTES
from ._journal_api import CHECKS
from .handlers import FAULT_KINDS, MAX_TIME, MODEL_ACTIONS

__all__ = ["control_openapi"]

_FAULT_FIELDS: dict[str, dict[str, Any]] = {
    "times": {
        "type": ["integer", "null"],
        "minimum": 1,
        "default": 1,
        "description": "calls to spoil; null: every call",
    },
    "status": {"type": "integer", "minimum": 100, "maximum": 599},
    "body": {"description": "the answer's body: a string, or JSON; default: the host's own error body"},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
    "delay": {"type": "number", "minimum": 0, "maximum": 600, "description": "seconds to wait first"},
    "seconds": {"type": "number", "minimum": 0, "maximum": 600},
    "retry_after": {"type": ["integer", "string"], "description": "the Retry-After value (default 1)"},
}
_MATCH: dict[str, Any] = {
    "match_json": {"description": "the JSON body contains this (objects by the keys given, recursively)"},
    "match_json_exact": {"description": "the whole JSON body equals this"},
    "match_headers": {"type": "object", "additionalProperties": {"type": "string"}},
    "match_query": {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
    "model_id": {"type": ["string", "integer"]},
}
_ROUTE = {
    "type": "string",
    "description": f"one of {', '.join(FAULT_ROUTES)}, or an exact path starting with '/'",
    "examples": list(FAULT_ROUTES),
}
_TEXT = {
    "oneOf": [
        {"type": "string", "description": "an exact text"},
        {
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "flags": {"type": "string", "pattern": "^[ims]*$"}},
            "required": ["pattern"],
            "additionalProperties": False,
            "description": "a regular expression, matched with re.search",
        },
    ]
}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "allowed": {"type": ["array", "null"]},
    },
    "required": ["error", "message", "field", "allowed"],
}
_JSON_OBJECT = {"type": "object"}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def _responses(success: int, *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        str(success): {"description": "done", "content": {"application/json": {"schema": _JSON_OBJECT}}}
    }
    for status in sorted({400, 401, 403, *errors}):
        out[str(status)] = {
            "description": "refused",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return out


def _op(
    summary: str,
    success: int = 200,
    *errors: int,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": _responses(success, *errors)}
    if body is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    if params:
        operation["parameters"] = params
    return operation


def _path_param(name: str, description: str, enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema or {"type": "string"},
        "description": description,
    }


_SESSION = _path_param("session_id", "'default', or the id of an opened session")
_JOURNAL_QUERY = [
    _query("route", "a route name or an exact path"),
    _query("status", "a status code, or 1xx-5xx, or 'none' (dropped)"),
    _query("method", "GET, POST…"),
    _query("limit", "only the newest N", {"type": "integer", "minimum": 1}),
    _query("since", "only entries after this seq (poll with last_seq)", {"type": "integer", "minimum": 0}),
    *(_query(name, f"{name} as JSON text") for name in _MATCH),
]


def _fault_body() -> dict[str, Any]:
    variants = []
    for kind, names in FAULT_KINDS.items():
        properties = {"kind": {"const": kind}, "route": _ROUTE, **{n: _FAULT_FIELDS[n] for n in names}, **_MATCH}
        variants.append(_obj(properties, ("kind", "route", *(("seconds",) if kind == "delay" else ()))))
    return {"oneOf": variants}


def _recording_upload() -> dict[str, Any]:
    operation = _op(
        "Answer this session from a recording (labelf-mock record's file, as the body) until reset",
        201,
        404,
        413,
        params=[
            _query("strict", "a text no recording holds answers 400 TEXT_NOT_RECORDED", {"enum": ["true", "false"]}),
            _query("name", "the file's name, shown in errors and listings"),
        ],
    )
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "a recording in JSON"}},
            "application/toml": {"schema": {"type": "string", "description": "a recording in TOML"}},
        },
    }
    return operation


def _session_paths() -> dict[str, Any]:
    match_route = {"route": _ROUTE, **_MATCH}
    return {
        "": {"get": _op("The session: clock, counts, control URL", 200, 404)},
        "/faults": {
            "get": _op("Planned faults, in order, with hits and remaining", 200, 404),
            "post": _op("Plan a fault (kind: the Python method)", 201, 404, body=_fault_body()),
            "delete": _op("Forget every planned fault", 200, 404),
        },
        "/unused_faults": {"get": _op("Faults not (fully) used, with how each received request differs", 200, 404)},
        "/models": {"get": _op("Configured models and their state in this session", 200, 404)},
        "/models/{model_id}/answer": {
            "post": _op(
                "Script the scores a model gives chosen texts",
                201,
                404,
                body=_obj(
                    {
                        "texts": {"oneOf": [_TEXT, {"type": "array", "items": _TEXT, "minItems": 1}]},
                        "scores": {
                            "type": "object",
                            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                        "times": {"type": ["integer", "null"], "minimum": 1},
                        **_MATCH,
                    },
                    ("texts", "scores"),
                ),
                params=[_path_param("model_id", "a configured model")],
            )
        },
        "/models/{model_id}/{action}": {
            "post": _op(
                "archive, remove or restore a model in this session",
                200,
                404,
                body=_obj({}),
                params=[
                    _path_param("model_id", "a configured model"),
                    _path_param("action", "what to do", list(MODEL_ACTIONS)),
                ],
            )
        },
        "/similarity_score": {
            "post": _op(
                "Script the similarity of (compare, base) pairs",
                201,
                404,
                body=_obj(
                    {
                        "score": {"type": "number", "minimum": 0, "maximum": 1},
                        "compare": _TEXT,
                        "base": _TEXT,
                        "compare_id": {"type": ["string", "integer"]},
                        "base_id": {"type": ["string", "integer"]},
                        "times": {"type": ["integer", "null"], "minimum": 1},
                        **_MATCH,
                    },
                    ("score",),
                ),
            )
        },
        "/scripts": {"get": _op("Scripted answers and similarities, with hits", 200, 404)},
        "/clock": {"get": _op("The session's time: now, iso, frozen", 200, 404)},
        "/clock/{action}": {
            "post": _op(
                "freeze (at), advance (seconds) or reset the clock",
                200,
                404,
                409,
                body={
                    "type": "object",
                    "properties": {
                        "at": {"type": ["number", "null"], "minimum": 0},
                        "seconds": {"type": "number", "minimum": 0},
                    },
                },
                params=[_path_param("action", "freeze, advance or reset", ["freeze", "advance", "reset"])],
            )
        },
        "/tokens": {
            "post": _op(
                "Mint an access token (not journaled)",
                201,
                404,
                body=_obj(
                    {
                        "client_id": {"type": ["string", "null"]},
                        "expires_in": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TIME},
                    }
                ),
            )
        },
        "/tokens/revoke": {
            "post": _op("Revoke a token", 200, 404, body=_obj({"token": {"type": "string"}}, ("token",)))
        },
        "/tokens/claims": {
            "post": _op("What a token says", 200, 404, body=_obj({"token": {"type": "string"}}, ("token",)))
        },
        "/jwks": {"get": _op("The key set JWT access tokens are signed with", 200, 404)},
        "/token/expires_in": {
            "get": _op("The token lifetime override (null: the configured one)", 200, 404),
            "put": _op(
                "Issue every following token with this lifetime",
                200,
                404,
                body=_obj({"seconds": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TIME}}, ("seconds",)),
            ),
        },
        "/journal": {"get": _op("Received requests, redacted, oldest first", 200, 404, params=_JOURNAL_QUERY)},
        "/journal.har": {"get": _op("The journal as HAR 1.2", 200, 404, params=_JOURNAL_QUERY)},
        "/calls": {
            "post": _op("Calls on a route meeting criteria, and how many", 200, 404, body=_obj(match_route, ("route",)))
        },
        "/verify/{check}": {
            "post": _op(
                "Verify (assert_called, assert_not_called, assert_token_fetched…); 409 with near misses when it fails",
                200,
                404,
                409,
                body={
                    "type": "object",
                    "properties": {**match_route, "times": {"type": ["integer", "null"], "minimum": 0}},
                },
                params=[_path_param("check", "the Python assertion without assert_", list(CHECKS))],
            )
        },
        "/reset": {"post": _op("Clean slate: wall clock, no faults, scripts, revocations, journal", 200, 404)},
        "/recordings": {
            "get": _op(
                "Recordings the session answers from (the mock's own first) and whether replay is strict", 200, 404
            ),
            "post": _recording_upload(),
            "delete": _op("Forget the recordings this session loaded (the mock's own stay)", 200, 404),
        },
        "/resume": {
            "post": _op(
                "Reopen a closed or expired session with its id and credentials (200: it was open; 201: reopened "
                "with a clean slate)",
                201,
                429,
                body=_obj({"client_secret": {"type": "string"}}, ("client_secret",)),
            )
        },
    }


def control_openapi(base_url: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the control API, served at ``base_url``."""
    prefix = "/__labelf"
    paths: dict[str, Any] = {
        prefix: {"get": _op("Where everything is")},
        f"{prefix}/openapi.json": {"get": _op("This document")},
        f"{prefix}/sessions": {
            "get": _op("The default session and the open ones (never a secret)"),
            "post": _op("Open a session: its client id, secret and API key, shown this once", 201, 429),
        },
        f"{prefix}/sessions/{{session_id}}": {"delete": _op("Close a session", 200, 404)},
    }
    for suffix, operations in _session_paths().items():
        path = f"{prefix}/sessions/{{session_id}}{suffix}"
        merged = paths.setdefault(path, {})
        merged.update(operations)
        merged["parameters"] = [_SESSION]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "labelf-mock control API",
            "version": "1",
            "description": "Steer a running labelf-mock: faults, scripts, clock, tokens, journal, verification, "
            "sessions. The vocabulary is the Python handle's (labelf_mock). See docs/guide/control-api.md.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR},
            "securitySchemes": {
                "controlToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "needed when the mock was started with a control token",
                }
            },
        },
    }
