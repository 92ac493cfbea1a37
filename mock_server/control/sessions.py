"""Sessions: one running mock, many isolated users.

A session is a mock of its own (its own :class:`~..state.MockState`: faults, scripts, model states, clock,
journal, revocations, token lifetime) with its own client id and secret and its own ``lbl_sk_`` API key.
:meth:`SessionStore.app_for` picks, for each request to the mock, the session its credentials belong to:
Basic credentials on the token and revoke endpoints, a bearer token or API key on the API.  Anything else
(the built-in clients, no credentials, discovery) is the **default** session, which is the mock as it was
before sessions existed.

Every session's tokens are minted under one key the store holds, so the store can tell from an opaque token
alone whose it is (the token's client tag, :mod:`.._tokens`) without remembering any token; a JWT names its
client in its claims.  JWTs are signed by the default session's key for every session, so one JWKS serves all.

Bounded: at most ``max_sessions`` open (opening one more is a 429), each journal keeps ``journal_size``
requests, and a session idle (no request to it, no control call on it) for ``idle_timeout`` seconds is closed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote_plus

from starlette.types import Scope

from .._client_auth import parse_basic_auth
from .._forms import go_query_unescape
from .._jwt import looks_like_jwt
from .._tokens import TokenMinter
from ..app import MockApp, create_app
from ..state import MockState
from ._errors import ControlError

__all__ = ["DEFAULT_SESSION", "OpenedSession", "Session", "SessionLimits", "SessionStore"]

_log = logging.getLogger("labelf_testkit.mock_server.control")

_BASIC = "client_secret_basic"
#: The id of the session every request without a session's credentials belongs to.
DEFAULT_SESSION = "default"
_SESSION_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class SessionLimits:
    """How many sessions may be open, how long an idle one lives, and how much each journal keeps."""

    max_sessions: int = 200
    idle_timeout: float = 600.0
    journal_size: int = 200

    def __post_init__(self) -> None:
        if self.max_sessions < 0 or self.idle_timeout <= 0 or self.journal_size < 1:
            raise ValueError(f"Session limits must be positive: {self!r}")


@dataclass(eq=False)
class Session:
    """One isolated user of the mock: its app (and so its state) and the client ids that select it."""

    id: str
    app: MockApp
    client_ids: tuple[str, ...]
    created_at: float
    last_used: float = field(default_factory=time.monotonic)

    @property
    def state(self) -> MockState:
        """The session's mock state: faults, scripts, clock, journal."""
        return self.app.mock

    @property
    def is_default(self) -> bool:
        """Whether this is the default session (the built-in clients'; never closed)."""
        return self.id == DEFAULT_SESSION


@dataclass(frozen=True)
class OpenedSession:
    """What opening a session hands back, once: its credentials (never shown again)."""

    session: Session
    client_id: str
    client_secret: str = field(repr=False)
    api_key: str = field(repr=False)


def _api_key_digest(key: str) -> bytes:
    # Looked up by digest, so a dict lookup never compares the secret itself byte by byte.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: each half form-url-encoded, then base64 (what requests, httpx and curl -u send for these).
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode("utf-8", "surrogateescape")
    return "Basic " + base64.b64encode(pair).decode()


def _jwt_client(token: str) -> str | None:
    # Only to pick the session: the session's own app verifies the signature.
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError, binascii.Error, RecursionError):
        return None
    client = claims.get("client_id") if isinstance(claims, dict) else None
    return client if isinstance(client, str) else None


class SessionStore:
    """The default session and the sessions opened through the control API."""

    def __init__(
        self, default: MockApp, limits: SessionLimits | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or SessionLimits()
        self._now = now
        self._key = secrets.token_bytes(32)
        self.default = Session(
            DEFAULT_SESSION, default, tuple(c.client_id for c in default.mock.config.clients), time.time()
        )
        self._sessions: dict[str, Session] = {}
        self._by_client: dict[str, Session] = {}
        self._by_key: dict[bytes, Session] = {}
        #: Each known client's Basic header as clients usually spell it, to the session it selects (``None``: the
        #: default one): most token requests are picked with one dict lookup, the rest are parsed.
        self._by_header: dict[str, Session | None] = {
            _basic(c.client_id, c.client_secret): None for c in default.mock.config.clients
        }
        self._router = TokenMinter(self._key)
        self._lock = threading.Lock()

    # --- the hot path ------------------------------------------------------------------------------------------

    @property
    def open_count(self) -> int:
        """How many sessions are open (the default one not counted)."""
        return len(self._sessions)

    def app_for(self, scope: Scope) -> MockApp:
        """The app of the session the request's credentials belong to (the default one when none does)."""
        if not self._sessions:
            return self.default.app
        try:
            session = self._session_of(scope)
        except Exception:  # whatever the headers hold, picking a session must never fail a request
            _log.exception("control: could not tell the session of %s %s", scope.get("method"), scope.get("path"))
            session = None
        if session is None:
            return self.default.app
        now = self._now()
        if now - session.last_used > self.limits.idle_timeout:
            self._close(session, "expired")
            return self.default.app
        session.last_used = now
        return session.app

    def _session_of(self, scope: Scope) -> Session | None:
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break  # the first one, as Go's Header.Get (and the mock) reads it
        if header is None:
            return None
        if header in self._by_header:
            return self._by_header[header]
        scheme = header[:7].lower()
        if scheme.startswith("basic "):
            basic = parse_basic_auth(header)
            client_id = go_query_unescape(basic[0]) if basic is not None else None
            return self._by_client.get(client_id) if client_id is not None else None
        if scheme != "bearer ":
            return None
        token = header[7:].strip()
        if token.startswith("lbl_sk_"):
            return self._by_key.get(_api_key_digest(token))
        client_id = _jwt_client(token) if looks_like_jwt(token) else self._opaque_client(token)
        return self._by_client.get(client_id) if client_id is not None else None

    def _opaque_client(self, token: str) -> str | None:
        issued = self._router.decode(token)
        return issued.client_id if issued is not None else None

    # --- control -----------------------------------------------------------------------------------------------

    def open(self) -> OpenedSession:
        """A new session with fresh credentials; 429 when ``max_sessions`` are open."""
        self.expire_idle()
        with self._lock:
            opened = self._create(secrets.token_hex(8))
            count = len(self._sessions)
        _log.info("control: session %s opened (%d open)", opened.session.id, count)
        return opened

    def resume(self, session_id: str, client_secret: str) -> tuple[OpenedSession, bool]:
        """The session ``session_id``, reopened with its own credentials (and a clean slate) if it was closed or
        expired, for whoever proves it is theirs with its ``client_secret``; whether it had to be reopened.

        A session's secret and API key are keyed hashes of its id under the store's key, so the store checks
        the secret (in constant time) and rebuilds the credentials without remembering closed sessions.  A
        mock that restarted has another key: its earlier sessions cannot be resumed (403)."""
        if session_id == DEFAULT_SESSION or not _SESSION_ID.fullmatch(session_id):
            raise ControlError(
                400,
                "invalid_field",
                f"{session_id!r} is not an opened session's id (16 hex digits, as POST /__labelf/sessions "
                "answers); the default session is never closed.",
                "session_id",
            )
        if not hmac.compare_digest(self._derive("secret", session_id).encode(), client_secret.encode()):
            raise ControlError(
                403,
                "wrong_secret",
                f"client_secret is not the secret of session {session_id!r}, or this mock restarted since it "
                "was opened (each start has a new key, so earlier sessions cannot be resumed): open a new session "
                "with POST /__labelf/sessions.",
                "client_secret",
            )
        self.expire_idle()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                session.last_used = self._now()
                return self._opened(session), False
            opened = self._create(session_id)
            count = len(self._sessions)
        _log.info("control: session %s resumed (%d open)", session_id, count)
        return opened, True

    def _derive(self, label: str, session_id: str) -> str:
        # A session's credentials are keyed hashes of its id (RFC 2104): unguessable without the store's key,
        # and rebuilt on resume without storing them.
        digest = hmac.new(self._key, f"labelf-session {label}:{session_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode()

    def _opened(self, session: Session) -> OpenedSession:
        secret, api_key = self._derive("secret", session.id), f"lbl_sk_{self._derive('api', session.id)}"
        return OpenedSession(session, session.client_ids[0], secret, api_key)

    def _create(self, session_id: str) -> OpenedSession:
        # With the lock held.
        if len(self._sessions) >= self.limits.max_sessions:
            raise ControlError(
                429,
                "too_many_sessions",
                f"{len(self._sessions)} sessions are open, the most this mock allows (--max-sessions "
                f"{self.limits.max_sessions}). Close one (DELETE /__labelf/sessions/ID) or wait for idle ones "
                f"to expire ({self.limits.idle_timeout:g} s).",
            )
        client_id = f"session-{session_id}"
        secret, api_key = self._derive("secret", session_id), f"lbl_sk_{self._derive('api', session_id)}"
        session = Session(session_id, self._build_app(client_id, secret, api_key), (client_id,), time.time())
        session.last_used = self._now()
        self._sessions[session_id] = session
        self._by_client[client_id] = session
        self._by_key[_api_key_digest(api_key)] = session
        self._by_header[_basic(client_id, secret)] = session
        self._rebuild_router()
        return OpenedSession(session, client_id, secret, api_key)

    def _build_app(self, client_id: str, secret: str, api_key: str) -> MockApp:
        base = self.default.state.config
        template = base.clients[0]  # a session's client behaves as the first configured one, Basic auth
        client = replace(template, client_id=client_id, client_secret=secret, token_endpoint_auth_method=_BASIC)
        config = replace(
            base,
            clients=(client,),
            api_keys=(api_key,),
            api_key_roles=(),
            token_key=self._key,
            journal_size=self.limits.journal_size,
        )
        app = create_app(config)
        app.mock.tokens.jwt = self.default.state.tokens.jwt  # one signing key, one JWKS, for every session
        if self.default.state.base_url is not None:
            app.mock.served_at(self.default.state.base_url)
        return app

    def _rebuild_router(self) -> None:
        # Client tags are computed once per client id; rebuilt on open and close (at most max_sessions ids).
        self._router = TokenMinter(self._key, tuple(self._by_client))

    def get(self, session_id: str) -> Session:
        """The session ``session_id`` (``default`` included); 404 naming where to list them."""
        if session_id == DEFAULT_SESSION:
            return self.default
        session = self._sessions.get(session_id)
        if session is not None and self._now() - session.last_used > self.limits.idle_timeout:
            self._close(session, "expired")
            session = None
        if session is None:
            raise ControlError(
                404,
                "unknown_session",
                f"No open session {session_id!r} (it was closed, expired after {self.limits.idle_timeout:g} s "
                "idle, or never existed). GET /__labelf/sessions lists the open ones.",
                "session_id",
            )
        session.last_used = self._now()
        return session

    def close(self, session_id: str) -> None:
        """Close an opened session (its credentials stop working at once); 400 for the default one."""
        if session_id == DEFAULT_SESSION:
            raise ControlError(
                400,
                "default_session",
                "The default session cannot be closed; reset it with POST /__labelf/sessions/default/reset.",
                "session_id",
            )
        self._close(self.get(session_id), "closed")

    def _close(self, session: Session, why: str) -> None:
        with self._lock:
            if self._sessions.pop(session.id, None) is None:
                return
            for client_id in session.client_ids:
                self._by_client.pop(client_id, None)
            for digest in [d for d, s in self._by_key.items() if s is session]:
                del self._by_key[digest]
            for header in [h for h, s in self._by_header.items() if s is session]:
                del self._by_header[header]
            self._rebuild_router()
            count = len(self._sessions)
        _log.info("control: session %s %s (%d open)", session.id, why, count)

    def expire_idle(self) -> int:
        """Close every session idle for longer than ``idle_timeout``; how many were closed."""
        now = self._now()
        idle = [s for s in list(self._sessions.values()) if now - s.last_used > self.limits.idle_timeout]
        for session in idle:
            self._close(session, "expired")
        return len(idle)

    def sessions(self) -> list[Session]:
        """The default session, then the open ones, oldest first."""
        self.expire_idle()
        return [self.default, *sorted(self._sessions.values(), key=lambda s: s.created_at)]

    def idle_seconds(self, session: Session) -> float:
        """How long ``session`` has been idle."""
        return max(0.0, self._now() - session.last_used)
