"""Small helpers shared by the project's tests."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote_plus

import httpx

IR = (
    "The request is missing a required parameter, includes an invalid parameter value, includes a "
    "parameter more than once, or is otherwise malformed."
)
DEFAULT_HINT = (
    "Make sure that the various parameters are correct, be aware of case sensitivity and trim your "
    "parameters. Make sure that the client you are using has exactly whitelisted the redirect_uri you "
    "specified."
)
INVALID_CLIENT = (
    "Client authentication failed (e.g., unknown client, no client authentication included, or "
    "unsupported authentication method)."
)
FORM = {"content-type": "application/x-www-form-urlencoded"}
GRANT = "grant_type=client_credentials"


def basic(client_id: str, secret: str, *, encode: bool = True) -> str:
    """An RFC 6749 §2.3.1 Basic header: each half form-url-encoded (unless told not to), then base64."""
    user, password = (quote_plus(client_id), quote_plus(secret)) if encode else (client_id, secret)
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_oauth_error(response: httpx.Response, status: int, error: str, description: str | None = None) -> None:
    """Status, Hydra's headers and body shape, ``error`` and (optionally) the exact description."""
    detail = f"got {response.status_code} {response.headers!r} {response.text!r}"
    assert response.status_code == status, detail
    assert response.headers["content-type"] == "application/json;charset=UTF-8", detail
    assert response.headers["cache-control"] == "no-store", detail
    assert response.headers["pragma"] == "no-cache", detail
    assert "www-authenticate" not in response.headers, detail
    body = json.loads(response.content)
    assert set(body) == {"error", "error_description"}, detail
    assert body["error"] == error, detail
    if description is not None:
        assert body["error_description"] == description, detail


def assert_token_success(response: httpx.Response, scope: str = "", expires_in: int = 3122063999) -> dict[str, Any]:
    """The documented/Hydra success shape; returns the body."""
    detail = f"got {response.status_code} {response.text!r}"
    assert response.status_code == 200, detail
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert not response.content.endswith(b"\n")
    body: dict[str, Any] = json.loads(response.content)
    assert list(body) == ["access_token", "expires_in", "scope", "token_type"], detail
    assert body["token_type"] == "bearer"
    assert body["scope"] == scope
    assert body["expires_in"] == expires_in
    assert response.content == json.dumps(body, separators=(",", ":")).encode()
    return body
