"""``ControlledApp``: the mock with its control API in front, and requests shared out among sessions.

A request under ``/__labelf`` (and not for one of Labelf's host names) is a control request: the operator's
access rules (:mod:`.access`) run first, then the control router.  Every other request goes to the mock of
the session its credentials belong to (:class:`~.sessions.SessionStore`), unchanged.  Control requests never
reach a mock, so they are in no journal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..app import MockApp
from ..middleware.server_errors import ServerErrorAsJson
from ..state import MockState
from . import _journal_api, _recordings_api, _sessions_api, handlers
from ._errors import ControlError
from .access import ControlAccess, serves_labelf_host
from .inspector import INSPECTOR, serve_inspector
from .sessions import SessionLimits, SessionStore

__all__ = ["CONTROL_PREFIX", "ControlledApp"]

_log = logging.getLogger("labelf_testkit.mock_server.control")

#: Where the control API lives on the mock's own port; neither Hydra nor Labelf's API has a path here.
CONTROL_PREFIX = "/__labelf"
_SESSION_PREFIX = f"{CONTROL_PREFIX}/sessions/{{session_id}}"
_INSPECTOR = f"{CONTROL_PREFIX}{INSPECTOR}"


def _routes() -> list[Route]:
    routes = [
        Route(f"{CONTROL_PREFIX}{path}", handler, methods=methods) for path, methods, handler in _sessions_api.ROUTES
    ]
    routes.append(Route(_SESSION_PREFIX, _sessions_api.show_session, methods=["GET"]))
    for path, methods, handler in [*handlers.ROUTES, *_journal_api.ROUTES, *_recordings_api.ROUTES]:
        routes.append(Route(f"{_SESSION_PREFIX}{path}", handler, methods=methods))
    return routes


def _is_control_path(path: str) -> bool:
    return path.startswith(CONTROL_PREFIX) and (len(path) == len(CONTROL_PREFIX) or path[len(CONTROL_PREFIX)] == "/")


def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ControlError)  # noqa: S101 - registered for ControlError only
    return exc.response()


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    method, path = request.method, request.url.path
    if exc.status_code == 405:
        allowed = sorted(
            {m for r in request.app.routes if r.path_regex.fullmatch(path) for m in (r.methods or ())} - {"HEAD"}
        )
        return ControlError(
            405,
            "method_not_allowed",
            f"{path} takes {', '.join(allowed)}, not {method}.",
            "method",
            allowed,
            {"allow": ", ".join(allowed)},
        ).response()
    return ControlError(
        exc.status_code,
        "not_found" if exc.status_code == 404 else "http_error",
        f"No control route {method} {path}. The control API is described at {CONTROL_PREFIX}/openapi.json.",
        "path",
    ).response()


def _failed(scope: Scope) -> Response:
    """The control API's 500, in its own error shape."""
    message = "The control API failed unexpectedly; the mock's log has the traceback."
    return ControlError(500, "internal_error", message).response()


def _control_app(store: SessionStore) -> Starlette:
    # The mock's own 500 guard, answering in the control API's shape.  It sits inside Starlette's
    # ServerErrorMiddleware, which would answer plain text and re-raise (crashing an in-process client).
    guard = Middleware(ServerErrorAsJson, render=_failed, log=_log, what="control: unexpected error serving")
    app = Starlette(
        routes=_routes(),
        middleware=[guard],
        exception_handlers={ControlError: _refused, HTTPException: _http_error},
    )
    app.router.redirect_slashes = False
    app.state.store = store
    return app


class ControlledApp:
    """``app`` (the default session's mock) behind the control API and the session store."""

    def __init__(
        self,
        app: MockApp,
        access: ControlAccess | None = None,
        limits: SessionLimits | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.access = access or ControlAccess()
        #: The sessions; ``now`` is the monotonic clock their idle time is measured by.
        self.store = SessionStore(app, limits, now)
        self._control = _control_app(self.store)

    @property
    def mock(self) -> MockState:
        """The default session's state (what ``app.mock`` is for an app without control)."""
        return self.app.mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a control request, or hand the request to its session's mock."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif (
            scope["path"].startswith(CONTROL_PREFIX)
            and _is_control_path(scope["path"])
            and not serves_labelf_host(scope)
        ):
            await self._serve_control(scope, receive, send)
        else:
            await self.store.app_for(scope)(scope, receive, send)

    async def _serve_control(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == _INSPECTOR or scope["path"].startswith(f"{_INSPECTOR}/"):
            await serve_inspector(self.access, CONTROL_PREFIX, scope, receive, send)  # its own access rule
            return
        try:
            self.access.check(scope)
        except ControlError as refused:
            await refused.response()(scope, receive, send)
            return
        await self._control(scope, receive, send)
