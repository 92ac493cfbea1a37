"""The live side of a drift run or a snapshot: which URLs are allowed, TLS, the request cap, and the one-line
errors (exit status 2) for usage, credential and connection problems.

The rules are those of the contract suite's live mode: https, or plain http to a loopback address only; TLS
verification always on (an extra CA can be added, never verification removed); a hard cap on live requests,
counted before each one is sent; credentials from the environment only.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..endpoints import API_PREFIX
from ..hosts import direct_to_loopback, is_loopback_host
from .compare import Answer

__all__ = ["DEFAULT_MAX_REQUESTS", "DriftError", "LiveCap", "LiveService", "credentials_from_env", "live_url"]

#: The default cap on live requests, as the contract suite's ``--labelf-max-live-requests``.
DEFAULT_MAX_REQUESTS = 60


class DriftError(Exception):
    """A usage, credential or connection problem: the command prints one line and exits with status 2."""


@dataclass
class LiveCap:
    """A hard cap on live requests, counted before each one is sent (a run sends one request at a time)."""

    limit: int
    spent: int = 0

    def spend(self, request: httpx.Request) -> None:
        """Count ``request``, or refuse it once the cap is reached (an httpx ``request`` event hook)."""
        if self.spent >= self.limit:
            raise DriftError(
                f"refusing {request.method} {request.url.path}: the cap of {self.limit} live requests is reached; "
                "raise --max-requests"
            )
        self.spent += 1


def live_url(option: str, url: str) -> str:
    """``url`` without a trailing ``/`` (nor ``/v2``: paths carry it), if it is https or loopback http."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise DriftError(f"{option} {url!r} is not an http(s) URL; expected e.g. https://auth.app.labelf.ai")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise DriftError(
            f"{option} {url!r} is plain http to a non-loopback host; live runs use https (or http to 127.0.0.1)"
        )
    base = url.rstrip("/")
    return base.removesuffix(API_PREFIX) if base.endswith(API_PREFIX) else base


def credentials_from_env(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``LABELF_CLIENT_ID`` and ``LABELF_CLIENT_SECRET``: the only place credentials are read from."""
    env = os.environ if env is None else env
    client_id, secret = env.get("LABELF_CLIENT_ID", ""), env.get("LABELF_CLIENT_SECRET", "")
    if not client_id or not secret:
        raise DriftError(
            "set LABELF_CLIENT_ID and LABELF_CLIENT_SECRET in the environment (credentials are never taken "
            "from the command line)"
        )
    return client_id, secret


def _tls(ca_bundle: str | None) -> ssl.SSLContext:
    # The system's trust store plus, when given, the extra CA: verification is never turned off.
    context = ssl.create_default_context()
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise DriftError(f"--ca-bundle {ca_bundle!r} cannot be loaded: {exc}") from None
    return context


@dataclass
class LiveService:
    """The live auth and API base URLs, reached over one verified httpx client that spends ``budget``."""

    auth_url: str
    api_url: str
    budget: LiveCap
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            verify=_tls(self.ca_bundle),
            event_hooks={"request": [self.budget.spend]},
            timeout=30.0,
            mounts=direct_to_loopback(self.auth_url, self.api_url),  # a proxy cannot reach a loopback target
        )

    def base(self, host: str) -> str:
        """The base URL of a host family (``auth`` or ``api``)."""
        return self.auth_url if host == "auth" else self.api_url

    @property
    def remaining(self) -> int:
        """Live requests left under the cap."""
        return self.budget.limit - self.budget.spent

    def send(self, method: str, url: str, headers: Mapping[str, str], content: bytes) -> Answer:
        """One live request; a connection problem or the cap is a :class:`DriftError`."""
        try:
            response = self._client.request(method, url, headers=dict(headers), content=content)
        except httpx.TransportError as exc:
            parts = urlsplit(url)
            where = f"{parts.scheme}://{parts.netloc} ({method} {parts.path})"
            raise DriftError(f"cannot reach {where}: {type(exc).__name__}: {exc}") from None
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
