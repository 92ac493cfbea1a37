"""``create_app(config)``: one Starlette app serving the auth host and the API host.

The stack, outermost first: :class:`~.middleware.journal.JournalMiddleware` (records every answer, faults
included) → :class:`~.middleware.faults.FaultMiddleware` (planned faults) → :class:`FastRoutes` (the table's
plain-ASGI routes) → :class:`~.middleware.server_errors.ServerErrorAsJson` (any exception becomes the host's 500
body) → Starlette's ``ExceptionMiddleware`` (one handler per error family) → Starlette's router over the
endpoint table, bound to its handlers in :mod:`.routes`.  Middleware added
to the app goes outside the journal; Starlette's ``ServerErrorMiddleware`` is left out (see
:meth:`MockApp.build_middleware_stack`).
"""

from __future__ import annotations

from collections.abc import Mapping
from inspect import isawaitable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, HTTPExceptionHandler, Receive, Scope, Send

from ._oauth import method_not_allowed
from .api_errors import ApiError, api_error_response
from .clock import Clock
from .config import MockConfig
from .endpoints import ENDPOINTS, RAW_SEND, endpoint_for, host_of
from .middleware.faults import FaultMiddleware
from .middleware.journal import JournalMiddleware
from .middleware.server_errors import ServerErrorAsJson
from .oauth_errors import OAuthError, oauth_error_response
from .routes import FAST, table_router
from .state import MockState

__all__ = ["FastRoutes", "MockApp", "create_app"]


def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's routing 404/405, worded as the host being mocked would word them."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    path = request.url.path
    if host_of(path) == "api":
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return ApiError(exc.status_code, code, exc.detail, dict(exc.headers or {})).response()
    endpoint = endpoint_for(path)
    if exc.status_code == 405 and endpoint is not None and "OPTIONS" in endpoint.methods:
        # Hydra's httprouter-routed endpoints (those with a CORS OPTIONS route) refuse other methods itself.
        return method_not_allowed(request, endpoint.methods)
    # Go's http.NotFound / http.Error text (Hydra v1.x-v2.3 router); INFERRED for paths Hydra lacks.
    text = "404 page not found\n" if exc.status_code == 404 else f"{exc.detail}\n"
    return Response(text, exc.status_code, headers={**(exc.headers or {}), "content-type": "text/plain; charset=utf-8"})


def _handler_for(handlers: Mapping[Any, HTTPExceptionHandler], exc: Exception) -> HTTPExceptionHandler | None:
    # ExceptionMiddleware's lookup: a status handler for an HTTPException, else the nearest class in the MRO.
    # 500 and Exception are not its to handle (Starlette gives them to ServerErrorMiddleware); here they fall
    # through to ServerErrorAsJson.
    if isinstance(exc, HTTPException) and exc.status_code != 500 and (handler := handlers.get(exc.status_code)):
        return handler
    return next((handlers[c] for c in type(exc).__mro__ if c is not Exception and c in handlers), None)


class FastRoutes:
    """The fast methods of :data:`~.routes.FAST`, dispatched by exact path in front of Starlette's
    ``ExceptionMiddleware`` and router, which serve everything else.

    The token endpoint is what suites and load tests hammer, and those two layers were a fifth of its app time
    (taken away one by one in-process; ``bench/run.py`` measures the whole).  A fast app builds its whole
    answer before it sends, so an exception it raises has sent nothing yet: it goes to the app's exception
    handlers here, found as ``ExceptionMiddleware`` finds them, behind :class:`ServerErrorAsJson` like every
    other route (no handler, or a handler that raises: the host's 500).  Middleware added to the app sits
    outside this layer, so it applies to fast routes too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._fast = {(FAST[e.name][0], e.path): FAST[e.name][1] for e in ENDPOINTS if e.name in FAST}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a fast route, or hand the request on."""
        if scope["type"] != "http" or (fast := self._fast.get((scope["method"], scope["path"]))) is None:
            await self.app(scope, receive, send)
            return
        try:
            await fast(scope, receive, send)
        except ClientDisconnect:
            return  # as ServerErrorAsJson: nobody to answer
        except Exception as exc:
            # The rare path: through the same guard as every other route, so a handler that raises, or no
            # handler, gets the host's 500 (logged and journaled) here too.
            handling = _handling(exc, _handler_for(scope["app"].exception_handlers, exc))
            await ServerErrorAsJson(handling)(scope, receive, send)


def _handling(exc: Exception, handler: HTTPExceptionHandler | None) -> ASGIApp:
    """An ASGI app answering ``exc`` with ``handler``'s response, or raising it again when there is none."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        if handler is None:
            raise exc
        response = handler(Request(scope, receive), exc)
        if isawaitable(response):  # Starlette takes async and sync handlers alike
            response = await response
        await response(scope, receive, send)

    return answer


class MockApp(Starlette):
    """The mock's Starlette app; it keeps the server's own ``send`` in the scope so a fault can drop the socket."""

    #: The app's :class:`MockState`: clock, revocations, faults, journal (also ``app.state.mock``).  A plain
    #: attribute, because every request reads it.
    mock: MockState

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack without its ``ServerErrorMiddleware``: the app's own middleware answers every
        exception with the host's 500, and Starlette's would re-raise it after answering (crashing in-process
        clients).  Handlers for 500 or ``Exception`` are not used: :class:`ServerErrorAsJson` answers those."""
        handlers = {key: value for key, value in self.exception_handlers.items() if key not in (500, Exception)}
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers, debug=self.debug)
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        extensions = scope.setdefault("extensions", {})
        extensions[RAW_SEND] = send
        try:
            await super().__call__(scope, receive, send)
        finally:
            # The server's send holds the scope: left in it, the pair would wait for the cycle collector.
            extensions.pop(RAW_SEND, None)


def create_app(config: MockConfig | None = None, *, clock: Clock | None = None) -> MockApp:
    """The mock as an ASGI app; its state (clock, revocations, faults, journal) is ``app.mock``.

    ``clock`` replaces the mock's own :class:`~.clock.ManualClock` when given.
    """
    state = MockState(config or MockConfig())
    if clock is not None:
        state.clock = clock
    app = MockApp(
        middleware=[
            Middleware(JournalMiddleware, journal=state.journal, now=lambda: state.clock.now()),
            Middleware(FaultMiddleware, plan=state.faults),
            Middleware(FastRoutes),
            Middleware(ServerErrorAsJson),
        ],
        exception_handlers={
            OAuthError: oauth_error_response,
            ApiError: api_error_response,
            HTTPException: _http_error,
        },
    )
    app.router = table_router()
    app.mock = app.state.mock = state
    return app
