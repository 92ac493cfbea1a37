"""Scrubbing secrets out of text that pytest is about to show, save or log."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[REDACTED]"
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
