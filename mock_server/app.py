"""``create_app(config)``: one Starlette app serving the auth host and the API host."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import api, oauth
from .api_errors import ApiError, api_error_response
from .clock import Clock
from .config import MockConfig
from .errors import OAuthError, oauth_error_response, server_error
from .faults import RAW_SEND, FaultMiddleware
from .journal import JournalMiddleware
from .openapi import openapi_document
from .state import MockState

__all__ = ["MockApp", "create_app"]

_log = logging.getLogger("mock_server")
_OAUTH_PATHS = {oauth.TOKEN_PATH, oauth.REVOKE_PATH}


def _is_api(path: str) -> bool:
    return path == "/v2" or path.startswith("/v2/")


def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's routing 404/405, worded as the host being mocked would word them."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    path = request.url.path
    if _is_api(path):
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return ApiError(exc.status_code, code, exc.detail, dict(exc.headers or {})).response()
    if exc.status_code == 405 and path in _OAUTH_PATHS:
        return oauth.method_not_allowed(request)
    # Go's http.NotFound / http.Error text (Hydra v1.x-v2.3 router); INFERRED for paths Hydra lacks.
    text = "404 page not found\n" if exc.status_code == 404 else f"{exc.detail}\n"
    return Response(text, exc.status_code, headers={**(exc.headers or {}), "content-type": "text/plain; charset=utf-8"})


class _ServerErrorAsJson:
    """Any exception that escapes a handler becomes the host's 500 body, never a traceback.

    Starlette's own ``ServerErrorMiddleware`` re-raises after answering, which would crash in-process
    clients; a mock must keep answering.  The exception is logged, not swallowed silently.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            _log.exception("unexpected error while serving %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            if _is_api(scope.get("path", "")):
                response: Response = ApiError(
                    500, "INTERNAL_ERROR", "The server encountered an unexpected error."
                ).response()
            else:
                response = oauth_error_response(Request(scope), server_error())
            await response(scope, receive, send)


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(str(request.base_url).rstrip("/")))


async def _token_fast_path(scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /oauth2/token`` without Starlette's router and exception middleware.

    Measured (bench/): the Starlette stack costs about a fifth of the ceiling per request, and the token
    endpoint is what test suites and load tests hammer.  Same endpoint function, same error handling.
    """
    request = Request(scope, receive)
    try:
        response = await oauth.token_endpoint(request)
    except OAuthError as error:
        response = oauth_error_response(request, error)
    await response(scope, receive, send)


_TOKEN_FAST_PATH = _ServerErrorAsJson(_token_fast_path)


class MockApp(Starlette):
    """The Starlette app behind the journal and the faults, which see every request, fast path or not.

    It keeps the server's own ``send`` in the scope so a fault can drop the socket.
    """

    _outer: ASGIApp | None = None

    @property
    def mock(self) -> MockState:
        """The app's :class:`MockState`: clock, revocations, faults, journal."""
        state: MockState = self.state.mock
        return state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "http":
            scope.setdefault("extensions", {})[RAW_SEND] = send
        await (self._outer or super().__call__)(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /oauth2/token`` to the fast path, everything else to Starlette."""
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == oauth.TOKEN_PATH:
            scope["app"] = self
            await _TOKEN_FAST_PATH(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(config: MockConfig | None = None, *, clock: Clock | None = None) -> MockApp:
    """The mock as an ASGI app; its state (clock, revocations, faults, journal) is ``app.mock``.

    ``clock`` replaces the mock's own :class:`~mock_server.clock.ManualClock` when given.
    """
    state = MockState(config or MockConfig())
    if clock is not None:
        state.clock = clock
    routes = [
        Route(oauth.TOKEN_PATH, oauth.token_endpoint, methods=["POST", "OPTIONS"]),
        Route(oauth.REVOKE_PATH, oauth.revoke_endpoint, methods=["POST", "OPTIONS"]),
        Route(oauth.DISCOVERY_PATH, oauth.discovery_endpoint, methods=["GET"]),
        Route("/openapi.json", _openapi, methods=["GET"]),
        Route("/v2/models", api.models_endpoint, methods=["GET"]),
        Route("/v2/models/inference", api.multi_inference_endpoint, methods=["POST"]),
        Route("/v2/models/{model_id}", api.model_endpoint, methods=["GET"]),
        Route("/v2/models/{model_id}/inference", api.inference_endpoint, methods=["POST"]),
        Route("/v2/similarity", api.similarity_endpoint, methods=["POST"]),
    ]
    app = MockApp(
        routes=routes,
        middleware=[Middleware(_ServerErrorAsJson)],
        exception_handlers={
            OAuthError: oauth_error_response,
            ApiError: api_error_response,
            HTTPException: _http_error,
        },
    )
    app.state.mock = state
    app._outer = JournalMiddleware(FaultMiddleware(app._route, state.faults), state.journal, lambda: state.clock.now())
    return app
