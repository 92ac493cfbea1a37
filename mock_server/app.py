"""``create_app(config)``: one Starlette app serving the auth host and the API host.

The stack, outermost first: Starlette's ``ServerErrorMiddleware`` → :class:`~.journal.JournalMiddleware`
(records every answer, faults included) → :class:`~.faults.FaultMiddleware` (planned faults) →
:class:`ServerErrorAsJson` (any exception becomes the host's 500 body) → Starlette's ``ExceptionMiddleware``
(one handler per error family) → :class:`TableRouter` (the route table of :mod:`.routes`).
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._oauth import method_not_allowed
from .api_errors import ApiError, api_error_response
from .clock import Clock
from .config import MockConfig
from .faults import RAW_SEND, FaultMiddleware
from .journal import JournalMiddleware
from .oauth_errors import OAuthError, oauth_error_response, server_error
from .routes import ENDPOINTS, endpoint_for, host_of
from .state import MockState

__all__ = ["MockApp", "ServerErrorAsJson", "TableRouter", "create_app"]

_log = logging.getLogger("labelf_testkit.mock_server")


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


def _unexpected(path: str) -> Response:
    if host_of(path) == "api":
        return ApiError(500, "INTERNAL_ERROR", "The server encountered an unexpected error.").response()
    return server_error().response()


class ServerErrorAsJson:
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
        except ClientDisconnect:
            return  # the client went away mid-request: nobody to answer, and not the server's error
        except Exception:
            _log.exception("unexpected error while serving %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _unexpected(scope.get("path", ""))(scope, receive, send)


class TableRouter(Router):
    """Starlette's router over the route table, with the table's ``fast`` methods dispatched by exact path.

    The fast dispatch sits where the router sits, inside the app's middleware and exception handlers, so
    whatever is added to the app applies to it too.
    """

    def __init__(self) -> None:
        routes = [Route(e.path, e.handler, methods=list(e.methods), name=e.name) for e in ENDPOINTS]
        super().__init__(routes)
        self._fast = {(e.fast[0], e.path): e.fast[1] for e in ENDPOINTS if e.fast is not None}

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one request: the fast table first, then Starlette's routing."""
        if scope["type"] == "http" and (fast := self._fast.get((scope["method"], scope["path"]))) is not None:
            await fast(scope, receive, send)
            return
        await super().app(scope, receive, send)


class MockApp(Starlette):
    """The mock's Starlette app; it keeps the server's own ``send`` in the scope so a fault can drop the socket."""

    #: The app's :class:`MockState`: clock, revocations, faults, journal (also ``app.state.mock``).  A plain
    #: attribute, because every request reads it.
    mock: MockState

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "http":
            scope.setdefault("extensions", {})[RAW_SEND] = send
        await super().__call__(scope, receive, send)


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
            Middleware(ServerErrorAsJson),
        ],
        exception_handlers={
            OAuthError: oauth_error_response,
            ApiError: api_error_response,
            HTTPException: _http_error,
        },
    )
    app.router = TableRouter()
    app.mock = app.state.mock = state
    return app
