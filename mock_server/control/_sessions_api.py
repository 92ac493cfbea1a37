"""Control handlers for the API itself and its sessions: the index, the OpenAPI document, opening, listing,
showing, closing and resuming sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..endpoints import API_PREFIX, TOKEN_PATH
from ._common import answer, base_url, session_of, store_of
from ._fields import read_body
from ._views import session_view
from .openapi import control_openapi
from .sessions import OpenedSession

__all__ = ["ROUTES"]


async def index(request: Request) -> Response:
    """``GET /__labelf``: where everything is."""
    base = base_url(request)
    store = store_of(request)
    return answer(
        {
            "openapi": f"{base}/__labelf/openapi.json",
            "sessions": f"{base}/__labelf/sessions",
            "default_session": f"{base}/__labelf/sessions/default",
            "open_sessions": store.open_count,
            "max_sessions": store.limits.max_sessions,
        }
    )


async def openapi(request: Request) -> Response:
    """``GET /__labelf/openapi.json``: the control API's own OpenAPI 3.1 document."""
    return answer(control_openapi(base_url(request)))


async def list_sessions(request: Request) -> Response:
    """``GET /__labelf/sessions``: the default session and every open one (never a secret)."""
    store = store_of(request)
    base = base_url(request)
    views = [session_view(store, session, base) for session in store.sessions()]
    return answer({"open": store.open_count, "max": store.limits.max_sessions, "sessions": views})


def _opened(request: Request, opened: OpenedSession, status: int, **extra: object) -> Response:
    store = store_of(request)
    base = base_url(request)
    view = session_view(store, opened.session, base)
    return answer(
        {
            **view,
            "client_id": opened.client_id,
            "client_secret": opened.client_secret,
            "api_key": opened.api_key,
            "base_url": base,
            "token_url": f"{base}{TOKEN_PATH}",
            "api_url": f"{base}{API_PREFIX}",
            **extra,
        },
        status,
    )


async def open_session(request: Request) -> Response:
    """``POST /__labelf/sessions``: a new session; its client secret and API key are shown this once."""
    await read_body(request, [])
    return _opened(request, store_of(request).open(), 201)


async def resume_session(request: Request) -> Response:
    """``POST /__labelf/sessions/{session_id}/resume``: the session again, with the same id and credentials, for
    whoever sends its ``client_secret``: 200 when it was open (nothing changes), 201 when it had been closed or
    had expired (reopened with a clean slate)."""
    fields = await read_body(request, ["client_secret"])
    secret = fields.text("client_secret")
    opened, reopened = store_of(request).resume(request.path_params["session_id"], secret)
    return _opened(request, opened, 201 if reopened else 200, resumed=reopened)


async def show_session(request: Request) -> Response:
    """``GET /__labelf/sessions/{session_id}``: one session (never its secret)."""
    return answer(session_view(store_of(request), session_of(request), base_url(request)))


async def close_session(request: Request) -> Response:
    """``DELETE /__labelf/sessions/{session_id}``: close it; its credentials and tokens stop working at once."""
    store_of(request).close(request.path_params["session_id"])
    return answer({"closed": request.path_params["session_id"]})


ROUTES = [
    ("", ["GET"], index),
    ("/", ["GET"], index),
    ("/openapi.json", ["GET"], openapi),
    ("/sessions", ["GET"], list_sessions),
    ("/sessions", ["POST"], open_session),
    ("/sessions/{session_id}", ["GET"], show_session),
    ("/sessions/{session_id}", ["DELETE"], close_session),
    ("/sessions/{session_id}/resume", ["POST"], resume_session),
]
