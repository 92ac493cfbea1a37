"""What a redaction test looks for in a run's outputs: the secret, base64 fragments of the credential pair, tokens."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus


def b64_fragments(client_id: str, secret: str, length: int = 12) -> set[str]:
    """Every run of ``length`` characters of the base64 of ``id:secret`` (raw and RFC 6749 §2.3.1 encoded)."""
    fragments = set()
    for pair in (f"{client_id}:{secret}", f"{quote_plus(client_id)}:{quote_plus(secret)}"):
        encoded = base64.b64encode(pair.encode()).decode()
        fragments |= {encoded[i : i + length] for i in range(len(encoded) - length + 1)}
    return fragments


def leaks(text: str, needles: set[str]) -> list[str]:
    """The needles found in ``text`` (should be none)."""
    return sorted(needle for needle in needles if needle in text)
