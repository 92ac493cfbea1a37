"""``create_app(config)``: one Starlette app serving the auth host and the API host.

The stack, outermost first: :class:`~.middleware.journal.JournalMiddleware` (records every answer, faults
included) → :class:`~.middleware.faults.FaultMiddleware` (planned faults) →
:class:`~.middleware.server_errors.ServerErrorAsJson` (any exception becomes the host's 500 body) → Starlette's
``ExceptionMiddleware`` (one handler per error family) → Starlette's router over the endpoint table, bound to its
handlers in :mod:`.routes`.  Every route, the token endpoint's plain-ASGI one included, is served by Starlette's
own router and exception handling.  Middleware added to the app goes outside the journal; Starlette's
``ServerErrorMiddleware`` is left out (see :meth:`MockApp.build_middleware_stack`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ._oauth import method_not_allowed
from .api_errors import ApiError, api_error_response
from .clock import Clock
from .config import MockConfig
from .endpoints import RAW_SEND, endpoint_for, host_of
from .middleware.faults import FaultMiddleware
from .middleware.journal import JournalMiddleware
from .middleware.server_errors import ServerErrorAsJson
from .oauth_errors import OAuthError, oauth_error_response
from .routes import table_router
from .state import MockState

__all__ = ["MockApp", "create_app"]


async def _http_error(request: Request, exc: Exception) -> Response:
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
