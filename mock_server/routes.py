"""The route table: every endpoint the mock serves, declared once.

Each :class:`Endpoint` names its path, methods, handler, the fault route that targets it
(``labelf_mock.<fault_route>``) and its OpenAPI operations.  The app's router, the fault matching, the
journal, the OpenAPI document and the plugin's handles all read this table; :func:`host_of` is the one
place that decides which host (auth or API) a path belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from . import _api, _oauth, openapi

__all__ = [
    "API_PREFIX",
    "DISCOVERY_PATH",
    "ENDPOINTS",
    "FAULT_ROUTES",
    "JWKS_PATH",
    "OPENAPI_PATH",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "Endpoint",
    "HostFamily",
    "endpoint_for",
    "fault_routes_of",
    "host_of",
    "openapi_document",
]

HostFamily = Literal["auth", "api"]

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
REVOKE_PATH = "/oauth2/revoke"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
OPENAPI_PATH = "/openapi.json"
#: Everything under this prefix is the model API host's; everything else is the auth host's.
API_PREFIX = "/v2"

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: where it is, what serves it, how faults name it and how OpenAPI describes it.

    ``fast`` is a method and the plain ASGI app that serves it without Starlette's router and request objects
    (measured in ``bench/``: the token endpoint is what suites and load tests hammer).  It still sits behind
    the same middleware and exception handlers as every other route.
    """

    name: str
    path: str
    methods: tuple[str, ...]
    handler: Handler
    fault_route: str | None = None
    operations: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    fast: tuple[str, ASGIApp] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path template as a regular expression (``{name}`` is one path segment)."""
        return _compile(self.path)


@cache
def _compile(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(str(request.base_url).rstrip("/")))


# Order matters where templates overlap: the literal /v2/models/inference before /v2/models/{model_id}.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "token",
        TOKEN_PATH,
        ("POST", "OPTIONS"),
        _oauth.token_endpoint,
        "token",
        {"post": openapi.TOKEN},
        fast=("POST", _oauth.serve_token),
    ),
    Endpoint("revoke", REVOKE_PATH, ("POST", "OPTIONS"), _oauth.revoke_endpoint, "revoke", {"post": openapi.REVOKE}),
    Endpoint("discovery", DISCOVERY_PATH, ("GET",), _oauth.discovery_endpoint, "discovery"),
    Endpoint("jwks", JWKS_PATH, ("GET",), _oauth.jwks_endpoint, "jwks", {"get": openapi.JWKS}),
    Endpoint("openapi", OPENAPI_PATH, ("GET",), _openapi),
    Endpoint("models", f"{API_PREFIX}/models", ("GET",), _api.models_endpoint, "models", {"get": openapi.LIST_MODELS}),
    Endpoint(
        "multi_inference",
        f"{API_PREFIX}/models/inference",
        ("POST",),
        _api.multi_inference_endpoint,
        "inference",
        {"post": openapi.MULTI_INFERENCE},
    ),
    Endpoint(
        "model",
        f"{API_PREFIX}/models/{{model_id}}",
        ("GET",),
        _api.model_endpoint,
        "models",
        {"get": openapi.GET_MODEL},
    ),
    Endpoint(
        "inference",
        f"{API_PREFIX}/models/{{model_id}}/inference",
        ("POST",),
        _api.inference_endpoint,
        "inference",
        {"post": openapi.INFERENCE},
    ),
    Endpoint(
        "similarity",
        f"{API_PREFIX}/similarity",
        ("POST",),
        _api.similarity_endpoint,
        "similarity",
        {"post": openapi.SIMILARITY},
    ),
)

#: Groups a fault can target besides one endpoint's route: the whole API host, or every request.
_GROUPS = ("api", "any")
#: Every name a fault can target (``labelf_mock.route(name)``); an exact path starting with ``/`` also works.
FAULT_ROUTES: tuple[str, ...] = (
    *dict.fromkeys(e.fault_route for e in ENDPOINTS if e.fault_route is not None),
    *_GROUPS,
)


def host_of(path: str) -> HostFamily:
    """``api`` for ``/v2`` and everything under ``/v2/``; ``auth`` for every other path."""
    return "api" if path == API_PREFIX or path.startswith(API_PREFIX + "/") else "auth"


def endpoint_for(path: str) -> Endpoint | None:
    """The first endpoint whose path template matches ``path`` (any method), if any."""
    for endpoint in ENDPOINTS:
        if endpoint.pattern.fullmatch(path):
            return endpoint
    return None


@lru_cache(maxsize=4096)
def fault_routes_of(path: str) -> frozenset[str]:
    """The fault route names that target a request for ``path``."""
    endpoint = endpoint_for(path)
    names = {"any"} | ({"api"} if host_of(path) == "api" else set())
    if endpoint is not None and endpoint.fault_route is not None:
        names.add(endpoint.fault_route)
    return frozenset(names)


def openapi_document(base_url: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every endpoint in the table, with ``servers`` at ``base_url``."""
    paths = {e.path: dict(e.operations) for e in ENDPOINTS if e.operations}
    return openapi.document(paths, base_url)
