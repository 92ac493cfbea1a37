"""Dropping a connection without answering: the one place the mock reaches below ASGI, into uvicorn.

uvicorn's ``send`` is a bound method of its request/response cycle, which holds the transport; the app keeps the
server's own ``send`` in the scope (:data:`~.endpoints.RAW_SEND`) so a fault can close that transport.  Closing
it answers nothing, which is what a crashed upstream looks like to the client.  In-process (no transport) the
drop is :class:`DroppedConnection`, which the in-process transports turn into the client's own
connection error.
"""

from __future__ import annotations

from starlette.types import Receive, Scope

from .endpoints import BEFORE_DROP, RAW_SEND

__all__ = ["DroppedConnection", "drop_connection"]


class DroppedConnection(Exception):
    """Raised in-process where the mock would close the socket without answering."""


async def drop_connection(scope: Scope, receive: Receive) -> None:
    """Close the connection ``scope`` arrived on without answering (raise :class:`DroppedConnection`
    in-process), after telling :data:`BEFORE_DROP`'s listener (the journal)."""
    extensions = scope.get("extensions", {})
    if (before_drop := extensions.get(BEFORE_DROP)) is not None:
        before_drop()
    raw_send = extensions.get(RAW_SEND)
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None:
        raise DroppedConnection
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass  # wait until the server has seen the close, so it does not write a 500 into it
