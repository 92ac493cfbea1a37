"""The app's binding of each endpoint identity (:data:`~.endpoints.ENDPOINTS`) to the handler that serves it.

What an endpoint *is* (path, methods, fault route, host) lives in :mod:`.endpoints`, at the bottom of the mock;
this module, near the top, only says which handler of which service serves it, and builds Starlette's router
over the table in table order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp

from . import _api, _oauth
from .endpoints import ENDPOINTS
from .openapi import openapi_endpoint

__all__ = ["HANDLERS", "table_router"]

#: A request handler, or a plain ASGI app (an instance, which Starlette mounts as ASGI: the token endpoint).
Handler = Callable[[Request], Awaitable[Response]] | ASGIApp

#: The handler of each endpoint, by endpoint name: the Hydra side (:mod:`._oauth`), the API side (:mod:`._api`)
#: and the OpenAPI document.  Every one is served by Starlette's router, behind its ``ExceptionMiddleware``.
HANDLERS: dict[str, Handler] = {
    "token": _oauth.token_endpoint,
    "revoke": _oauth.revoke_endpoint,
    "discovery": _oauth.discovery_endpoint,
    "jwks": _oauth.jwks_endpoint,
    "openapi": openapi_endpoint,
    "models": _api.models_endpoint,
    "multi_inference": _api.multi_inference_endpoint,
    "model": _api.model_endpoint,
    "inference": _api.inference_endpoint,
    "similarity": _api.similarity_endpoint,
}


def table_router() -> Router:
    """Starlette's router over every endpoint of the table, in table order."""
    return Router([Route(e.path, HANDLERS[e.name], methods=list(e.methods), name=e.name) for e in ENDPOINTS])
