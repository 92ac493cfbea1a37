"""Scrubbing secrets out of text that pytest is about to show, save or log."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[REDACTED]"
# Hydra opaque tokens (v1 unprefixed, v2 ory_at_/ory_rt_/ory_ac_), JWTs, static API keys, Basic credentials.
_PATTERNS = [
    re.compile(r"\bory_(?:at|rt|ac)_[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]{20,})?"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\blbl_sk_[A-Za-z0-9_-]+"),
    re.compile(r"(?i)(?<=\bbasic )[A-Za-z0-9+/]{8,}={0,2}"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,}=*"),
]


class Redactor:
    """Replaces known secrets and anything shaped like a token or credential with ``[REDACTED]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole; very short ones would mangle text.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        """Also scrub ``secret`` from now on."""
        if len(secret) >= 6 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text
