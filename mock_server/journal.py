"""A bounded record of every request the mock received, with secrets redacted at the door.

Nothing secret is ever stored: client secrets, ``token=`` values and Basic credentials are replaced by
``[REDACTED]``; bearer tokens are kept only as a fingerprint (``sha256:`` and 12 hex digits), which is enough
to assert "every API call carried the newest token" without a token ever reaching pytest's output.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .client_auth import parse_basic_auth
from .faults import BEFORE_DROP
from .forms import go_query_unescape, parse_form

__all__ = ["REDACTED", "Journal", "JournalEntry", "JournalMiddleware", "fingerprint"]

_log = logging.getLogger("mock_server.journal")
REDACTED = "[REDACTED]"
_SECRET_FIELDS = frozenset({"client_secret", "token", "access_token", "refresh_token", "password", "client_assertion"})
_BODY_CAPTURE_LIMIT = 64 * 1024


def fingerprint(token: str) -> str:
    """A stable, non-reversible name for a token: ``sha256:`` and the first 12 hex digits."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:12]


@dataclass(frozen=True)
class JournalEntry:
    """One request as the mock saw it (redacted), and the status it answered."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    status: int | None
    at: float
    client_id: str | None = None
    token: str | None = None  # fingerprint of the bearer token sent
    issued_token: str | None = None  # fingerprint of the access token this response issued
    fault: str | None = None
    form: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        """The request body parsed as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self) -> str:
        extra = f" [fault: {self.fault}]" if self.fault else ""
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} -> {self.status}{extra}"


def _redact_headers(headers: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None, str | None]:
    out: dict[str, str] = {}
    client_id = token = None
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "authorization":
            scheme, _, credential = value.strip().partition(" ")
            basic = parse_basic_auth(value)
            if basic is not None:
                client_id = go_query_unescape(basic[0])
            elif scheme.lower() == "bearer" and credential.strip():
                token = fingerprint(credential.strip())
            value = f"{scheme} {REDACTED}" if credential else REDACTED
        elif name in {"cookie", "proxy-authorization"}:
            value = REDACTED
        out[name] = value
    return out, client_id, token


def _redact_form(content_type: str, body: bytes) -> tuple[dict[str, list[str]], str]:
    try:
        form = parse_form(content_type, body)
    except Exception:  # a malformed multipart body: keep nothing of it
        return {}, REDACTED
    redacted = {k: [REDACTED if k in _SECRET_FIELDS else v for v in vs] for k, vs in form.items()}
    return redacted, urlencode([(k, v) for k, vs in redacted.items() for v in vs], errors="surrogateescape")


class Journal:
    """The last ``maxlen`` requests, oldest first; thread-safe."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, entry: JournalEntry) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[JournalEntry]:
        """A snapshot, oldest first."""
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)


def _redact_query(query: bytes) -> str:
    if not query:
        return ""
    pairs = [pair.partition(b"=") for pair in query.split(b"&") if pair]
    decoded = [(go_query_unescape(k) or k.decode("latin-1"), v) for k, _, v in pairs]
    return "&".join(
        f"{name}={REDACTED}" if name in _SECRET_FIELDS else f"{raw_name.decode('latin-1')}={value.decode('latin-1')}"
        for (name, value), (raw_name, _, _) in zip(decoded, pairs, strict=True)
    )


def _body_text(content_type: str, body: bytes) -> tuple[dict[str, list[str]], str]:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return _redact_form(content_type, body)
    return {}, body.decode("utf-8", "replace")


def _issued(path: str, status: int | None, body: bytes) -> str | None:
    if path != "/oauth2/token" or status != 200:
        return None
    try:
        token = json.loads(body).get("access_token")
    except (ValueError, AttributeError):
        return None
    return fingerprint(token) if isinstance(token, str) else None


class JournalMiddleware:
    """Records each HTTP request into ``journal`` once it has been answered (or dropped)."""

    def __init__(self, app: ASGIApp, journal: Journal, now: Callable[[], float]) -> None:
        self.app = app
        self.journal = journal
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        captured = bytearray()
        response: dict[str, Any] = {"status": None, "body": bytearray(), "recorded": False}

        def record() -> None:
            if response["recorded"]:
                return
            response["recorded"] = True
            try:
                self._record(scope, bytes(captured), response["status"], bytes(response["body"]))
            except Exception:  # the journal must never turn an answer into an error
                _log.exception("could not record %s %s in the journal", scope["method"], scope["path"])

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(captured) < _BODY_CAPTURE_LIMIT:
                captured.extend(message.get("body", b"")[: _BODY_CAPTURE_LIMIT - len(captured)])
            return message

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
            elif message["type"] == "http.response.body":
                if scope["path"] == "/oauth2/token":
                    response["body"].extend(message.get("body", b""))
                if not message.get("more_body", False):
                    record()  # before the client can see the answer, so a test never reads a stale journal
            await send(message)

        # A fault that drops the connection calls this first, for the same reason.
        scope.setdefault("extensions", {})[BEFORE_DROP] = record
        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            record()  # a crash never sent a final body

    def _record(self, scope: Scope, body: bytes, status: int | None, response_body: bytes) -> None:
        headers, client_id, token = _redact_headers(scope["headers"])
        form, text = _body_text(headers.get("content-type", ""), body)
        if client_id is None and form.get("client_id"):
            client_id = form["client_id"][0]
        self.journal.append(
            JournalEntry(
                method=scope["method"],
                path=scope["path"],
                query=_redact_query(scope.get("query_string", b"")),
                headers=headers,
                body=text,
                status=status,
                at=self.now(),
                client_id=client_id,
                token=token,
                issued_token=_issued(scope["path"], status, response_body),
                fault=scope.get("state", {}).get("labelf_fault"),
                form=form,
            )
        )
