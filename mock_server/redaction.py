"""Redaction, in one place: what the journal shows of a request, and the scrubbing of text that pytest or a
report is about to show, save or log."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlencode

from ._client_auth import parse_basic_auth
from ._forms import go_query_unescape, parse_form

__all__ = [
    "REDACTED",
    "SECRET_FIELDS",
    "Redactor",
    "fingerprint",
    "redact_form",
    "redact_headers",
    "redact_query",
]

REDACTED = "[REDACTED]"
#: Form and query parameters whose values are never shown.
SECRET_FIELDS = frozenset({"client_secret", "token", "access_token", "refresh_token", "password", "client_assertion"})
# Hydra opaque tokens (v1 unprefixed, v2 ory_at_/ory_rt_/ory_ac_), JWTs, static API keys, Basic credentials.
_PATTERNS = [
    # Any length: pytest shortens long reprs to 'ory_at_Yi0OM...', which must not leak a prefix either.
    re.compile(r"\bory_(?:at|rt|ac)_[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\blbl_sk_[A-Za-z0-9_-]+"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,}=*"),
]


# Basic credentials: only what really decodes to "id:secret", so prose like "Basic authentication" survives.
_BASIC = re.compile(r"(?i)(?<=\bbasic )[A-Za-z0-9+/]{4,}={0,2}")


def _basic_credentials(match: re.Match[str]) -> str:
    try:
        decoded = base64.b64decode(match.group(0), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return REDACTED if b":" in decoded else match.group(0)


_MIN_LENGTH = 6  # shorter "secrets" would mangle ordinary text
_MIN_FRAGMENT = 4


def _fragments(secret: str) -> re.Pattern[str]:
    """The secret whole, or a prefix cut by pytest's ``...`` shortening, or a suffix after one."""
    cut = range(_MIN_FRAGMENT, len(secret))
    prefixes = "|".join(re.escape(secret[:n]) for n in reversed(cut))
    suffixes = "|".join(re.escape(secret[-n:]) for n in reversed(cut))
    return re.compile(f"{re.escape(secret)}|(?:{prefixes})(?=\\.\\.\\.)|(?<=\\.\\.\\.)(?:{suffixes})")


class Redactor:
    """Replaces known secrets and anything shaped like a token or credential with ``[REDACTED]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._patterns: dict[str, re.Pattern[str]] = {}
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Also scrub ``secret`` (and fragments of it next to pytest's ``...``) from now on."""
        if len(secret) >= _MIN_LENGTH and secret not in self._patterns:
            self._patterns[secret] = _fragments(secret)
            # Longest first, so a secret containing another is replaced whole.
            self._patterns = dict(sorted(self._patterns.items(), key=lambda item: -len(item[0])))

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced."""
        for pattern in self._patterns.values():
            text = pattern.sub(REDACTED, text)
        for pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        return _BASIC.sub(_basic_credentials, text)


def fingerprint(token: str) -> str:
    """A stable, non-reversible name for a token: ``sha256:`` and the first 12 hex digits."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def redact_headers(headers: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None, str | None]:
    """Header names lower-cased, credentials redacted; also the Basic client id and the bearer fingerprint."""
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


def redact_form(content_type: str, body: bytes) -> tuple[dict[str, list[str]], str]:
    """A form body's parameters and its re-encoded text, secret values redacted."""
    try:
        form = parse_form(content_type, body)
    except Exception:  # a malformed multipart body: keep nothing of it
        return {}, REDACTED
    redacted = {k: [REDACTED if k in SECRET_FIELDS else v for v in vs] for k, vs in form.items()}
    return redacted, urlencode([(k, v) for k, vs in redacted.items() for v in vs], errors="surrogateescape")


def redact_query(query: bytes) -> str:
    """A query string with secret parameter values redacted."""
    if not query:
        return ""
    pairs = [pair.partition(b"=") for pair in query.split(b"&") if pair]
    decoded = [(go_query_unescape(k) or k.decode("latin-1"), v) for k, _, v in pairs]
    return "&".join(
        f"{name}={REDACTED}" if name in SECRET_FIELDS else f"{raw_name.decode('latin-1')}={value.decode('latin-1')}"
        for (name, value), (raw_name, _, _) in zip(decoded, pairs, strict=True)
    )
