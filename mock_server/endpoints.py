"""What each endpoint *is*, as pure data: the bottom layer of the mock (docs/architecture.md).

An :class:`Endpoint` names its path template, its methods, the fault route that targets it
(``labelf_mock.<fault_route>``) and its host family.  Faults, the journal, matching, OpenAPI and the plugin's
route handles read this table; what *serves* each endpoint is bound at the top, in :mod:`.routes`.  Besides the
table this module holds the other facts every layer shares: the documented limits, the names requests are
routed by (:func:`check_route`, :func:`on_route`: the one place that validates and matches a route name) and
the ASGI scope keys the layers pass information through.

Nothing here imports Starlette or any other module of the mock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

__all__ = [
    "API_PREFIX",
    "BEFORE_DROP",
    "DISCOVERY_PATH",
    "ENDPOINTS",
    "FAULT_ROUTES",
    "FAULT_SCOPE_KEY",
    "JWKS_PATH",
    "MAX_TEXTS_PER_INFERENCE",
    "MAX_TEXTS_PER_SIMILARITY",
    "MAX_TEXT_CHARS",
    "OPENAPI_PATH",
    "RAW_SEND",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "Endpoint",
    "HostFamily",
    "check_route",
    "endpoint_for",
    "endpoint_named",
    "fault_routes_of",
    "host_of",
    "on_route",
]

HostFamily = Literal["auth", "api"]

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
REVOKE_PATH = "/oauth2/revoke"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
OPENAPI_PATH = "/openapi.json"
#: Everything under this prefix is the model API host's; everything else is the auth host's.
API_PREFIX = "/v2"

# The documented limits (Labelf's developer docs, /classification and /similarity): 8 texts per inference call,
# 200 texts per similarity call (both sets together), 10,000 characters per text.
MAX_TEXTS_PER_INFERENCE = 8
MAX_TEXTS_PER_SIMILARITY = 200
MAX_TEXT_CHARS = 10_000

# ASGI scope keys the layers pass information through.
#: ``scope["extensions"][RAW_SEND]``: the server's own ``send``, kept by the app so a fault can drop the socket.
RAW_SEND = "labelf.raw_send"
#: ``scope["extensions"][BEFORE_DROP]``: called just before a connection is dropped (the journal records it).
BEFORE_DROP = "labelf.before_drop"
#: ``scope["state"][FAULT_SCOPE_KEY]``: the description of the fault that answered a request, for the journal.
FAULT_SCOPE_KEY = "labelf_fault"


def host_of(path: str) -> HostFamily:
    """``api`` for ``/v2`` and everything under ``/v2/``; ``auth`` for every other path."""
    return "api" if path == API_PREFIX or path.startswith(API_PREFIX + "/") else "auth"


@dataclass(frozen=True)
class Endpoint:
    """One endpoint's identity: its name, path template, methods and the fault route that targets it."""

    name: str
    path: str
    methods: tuple[str, ...]
    fault_route: str | None = None

    @property
    def host(self) -> HostFamily:
        """The host family serving it: ``auth`` (Labelf's Hydra) or ``api`` (the model API)."""
        return host_of(self.path)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path template as a regular expression (``{name}`` is one path segment)."""
        return _compile(self.path)


@cache
def _compile(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


# Order matters where templates overlap: the literal /v2/models/inference before /v2/models/{model_id}.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("token", TOKEN_PATH, ("POST", "OPTIONS"), "token"),
    Endpoint("revoke", REVOKE_PATH, ("POST", "OPTIONS"), "revoke"),
    Endpoint("discovery", DISCOVERY_PATH, ("GET",), "discovery"),
    Endpoint("jwks", JWKS_PATH, ("GET",), "jwks"),
    Endpoint("openapi", OPENAPI_PATH, ("GET",)),
    Endpoint("models", f"{API_PREFIX}/models", ("GET",), "models"),
    Endpoint("multi_inference", f"{API_PREFIX}/models/inference", ("POST",), "inference"),
    Endpoint("model", f"{API_PREFIX}/models/{{model_id}}", ("GET",), "models"),
    Endpoint("inference", f"{API_PREFIX}/models/{{model_id}}/inference", ("POST",), "inference"),
    Endpoint("similarity", f"{API_PREFIX}/similarity", ("POST",), "similarity"),
)

#: Groups a route name can target besides one endpoint's route: the whole API host, or every request.
_GROUPS = ("api", "any")
#: Every route name faults, counts and handles accept (``labelf_mock.route(name)``); an exact path starting
#: with ``/`` also works.
FAULT_ROUTES: tuple[str, ...] = (
    *dict.fromkeys(e.fault_route for e in ENDPOINTS if e.fault_route is not None),
    *_GROUPS,
)


def endpoint_named(name: str) -> Endpoint:
    """The endpoint called ``name`` (``KeyError`` if there is none)."""
    for endpoint in ENDPOINTS:
        if endpoint.name == name:
            return endpoint
    raise KeyError(name)


def endpoint_for(path: str) -> Endpoint | None:
    """The first endpoint whose path template matches ``path`` (any method), if any."""
    for endpoint in ENDPOINTS:
        if endpoint.pattern.fullmatch(path):
            return endpoint
    return None


@lru_cache(maxsize=4096)
def fault_routes_of(path: str) -> frozenset[str]:
    """The route names that target a request for ``path``."""
    endpoint = endpoint_for(path)
    names = {"any"} | ({"api"} if host_of(path) == "api" else set())
    if endpoint is not None and endpoint.fault_route is not None:
        names.add(endpoint.fault_route)
    return frozenset(names)


def check_route(route: str) -> str:
    """``route`` itself when it is a route name (one of :data:`FAULT_ROUTES`) or an exact path starting with
    ``/``; else a ``ValueError`` listing the names."""
    if route not in FAULT_ROUTES and not (isinstance(route, str) and route.startswith("/")):
        raise ValueError(
            f"Unknown route {route!r}: use one of {', '.join(FAULT_ROUTES)} or an exact path starting with '/'."
        )
    return route


def on_route(route: str, path: str) -> bool:
    """Whether a request for ``path`` is one ``route`` (a route name, or an exact path) targets."""
    return path == route if route.startswith("/") else route in fault_routes_of(path)
