"""What every control handler shares: the session a request names, and the JSON answer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .sessions import Session, SessionStore

__all__ = ["answer", "base_url", "session_of", "store_of"]


def store_of(request: Request) -> SessionStore:
    """The session store of the control app serving ``request``."""
    store: SessionStore = request.app.state.store
    return store


def session_of(request: Request) -> Session:
    """The session the path names (``/__labelf/sessions/{session_id}/…``); 404 when none is open."""
    return store_of(request).get(request.path_params["session_id"])


def base_url(request: Request) -> str:
    """The URL the control request reached the mock at, without a trailing ``/``."""
    return str(request.base_url).rstrip("/")


def answer(data: Any, status: int = 200) -> JSONResponse:
    """A JSON answer that no cache keeps."""
    return JSONResponse(data, status, headers={"cache-control": "no-store"})
