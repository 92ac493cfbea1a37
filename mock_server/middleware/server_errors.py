"""``ServerErrorAsJson``: any exception that escapes a handler becomes the host's 500 body, never a traceback."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api_errors import ApiError
from ..endpoints import host_of
from ..oauth_errors import server_error

__all__ = ["ServerErrorAsJson", "unexpected_error"]

_log = logging.getLogger("labelf_testkit.mock_server")


def unexpected_error(path: str) -> Response:
    """The 500 the host of ``path`` answers for an error of its own."""
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
            await unexpected_error(scope.get("path", ""))(scope, receive, send)
