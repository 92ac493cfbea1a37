"""``ServerErrorAsJson``: any exception that escapes a handler becomes a 500 body, never a traceback.

The mock answers with the host's own 500 (:func:`unexpected_error`); the control API wraps its router in the
same middleware with its own body (:mod:`~labelf_testkit.mock_server.control.app`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api_errors import ApiError
from ..endpoints import host_of
from ..oauth_errors import server_error

__all__ = ["ServerErrorAsJson", "unexpected_error"]

_log = logging.getLogger("labelf_testkit.mock_server")


def unexpected_error(scope: Scope) -> Response:
    """The 500 the host of the request's path answers for an error of its own."""
    if host_of(scope.get("path", "")) == "api":
        return ApiError(500, "INTERNAL_ERROR", "The server encountered an unexpected error.").response()
    return server_error().response()


class ServerErrorAsJson:
    """Any exception that escapes ``app`` becomes the 500 that ``render`` makes for the request, never a traceback.

    Starlette's own ``ServerErrorMiddleware`` re-raises after answering, which would crash in-process
    clients; a mock must keep answering.  The exception is logged on ``log`` (with ``what``, the request's method
    and path), not swallowed silently; an answer already under way cannot be replaced, so then it is re-raised.
    A client that hung up mid-request is nobody's error: nothing is answered or logged.

    :param app: the ASGI app to guard.
    :param render: the 500 response for a request's scope; by default the host's own body
        (:func:`unexpected_error`).
    :param log: where the traceback goes; by default ``labelf_testkit.mock_server``.
    :param what: how the log line names the failure, before the method and path.
    """

    def __init__(
        self,
        app: ASGIApp,
        render: Callable[[Scope], Response] = unexpected_error,
        log: logging.Logger = _log,
        what: str = "unexpected error while serving",
    ) -> None:
        self.app = app
        self.render = render
        self.log = log
        self.what = what

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
            self.log.exception("%s %s %s", self.what, scope.get("method"), scope.get("path"))
            if started:
                raise
            await self.render(scope)(scope, receive, send)
