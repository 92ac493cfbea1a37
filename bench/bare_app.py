"""The framework ceiling: a bare ASGI app that answers a constant 200, served on the same stack as the mock."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

_BODY = b'{"access_token":"ory_at_x","expires_in":3600,"scope":"","token_type":"bearer"}'
_HEADERS = [(b"content-type", b"application/json;charset=UTF-8"), (b"content-length", str(len(_BODY)).encode())]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Read the request body, answer the same-sized token body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})


async def _constant(request: Request) -> Response:
    await request.body()
    return Response(_BODY, headers={"content-type": "application/json;charset=UTF-8"})


#: The same constant answer through Starlette's router and middleware: the floor under any Starlette route.
starlette_app = Starlette(routes=[Route("/oauth2/token", _constant, methods=["POST"])])
