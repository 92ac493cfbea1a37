"""The HTTP side of the remote handle: one control session on a running ``labelf-mock serve``, its requests and
what a refusal becomes in Python (the exception the in-process handle raises for the same mistake)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx

from .mock_server.internal import CONTROL_PREFIX, direct_to_loopback

__all__ = ["ControlClient", "RemoteMockError", "SessionClosedError"]


class RemoteMockError(RuntimeError):
    """The remote mock could not be reached, refused the control token, or answered what the handle cannot use."""


class SessionClosedError(RemoteMockError, ValueError):
    """The handle's session is no longer open on the mock: closed, or expired after the mock's idle timeout.
    (A ``ValueError`` too, what a refused control call raised before this class existed.)"""


class ControlClient:
    """JSON requests to ``{base_url}/__labelf/...``, with the control token when there is one (never shown)."""

    def __init__(self, base_url: str, token: str | None, verify: ssl.SSLContext | str | bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            verify=verify,
            timeout=30.0,
            mounts=direct_to_loopback(self.base_url),  # a proxy in the environment cannot reach a loopback mock
        )
        #: ``time.monotonic()`` when the last control call was sent (each one keeps its session open).
        self.last_call = time.monotonic()

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
        error: type[Exception] = ValueError,
        verdict: bool = False,
        content: tuple[bytes, str] | None = None,
    ) -> Any:
        """The JSON answer of ``method path`` under the control prefix.  A 4xx refusal raises ``error`` with the
        mock's message; with ``verdict``, a 409 (a failed verification) is returned like a 200.  ``content`` is
        a raw body and its content type, sent instead of ``body``'s JSON."""
        url = f"{CONTROL_PREFIX}{path}"
        self.last_call = time.monotonic()
        raw = {"content": content[0], "headers": {"content-type": content[1]}} if content else {"json": body}
        try:
            response = self._http.request(method, url, params=params, **raw)
        except httpx.TransportError as exc:
            raise RemoteMockError(f"Could not reach the mock's control API at {self.base_url}{url}: {exc!r}") from exc
        if response.status_code in (401, 403):
            raise RemoteMockError(f"The mock at {self.base_url} refused control: {_message(response)}")
        if response.status_code < 400 or (verdict and response.status_code == 409):
            return response.json()
        if response.status_code >= 500 or response.status_code == 429:
            raise RemoteMockError(
                f"{method} {self.base_url}{url} answered {response.status_code}: {_message(response)}"
            )
        if response.status_code == 404 and _code(response) == "unknown_session":
            raise SessionClosedError(_message(response))
        raise error(_message(response))

    def close(self) -> None:
        """Close the connections."""
        self._http.close()


def _code(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(body, dict):
        return str(body)
    message, allowed = str(body.get("message", body)), body.get("allowed")
    if isinstance(allowed, list) and allowed and not all(str(value) in message for value in allowed):
        # the refusal's `allowed` (a model's labels, say) is part of what a person needs to fix the call
        message += f" {body.get('field') or 'It'} takes: {', '.join(repr(str(value)) for value in allowed)}."
    return message
