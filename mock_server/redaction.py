"""Redaction, in one place: what the journal shows of a request, and the scrubbing of text that pytest or a
report is about to show, save or log.

The scrubbing replaces only values the run knows to be secret (configured secrets, live credentials, API keys,
tokens issued or received); it never guesses from the shape of text, so an unrelated project's output is
left exactly as it was."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlencode

from ._client_auth import parse_basic_auth
from ._forms import go_query_unescape, parse_form

__all__ = [
    "MIN_FRAGMENT",
    "PUBLIC_SECRETS",
    "REDACTED",
    "SECRET_FIELDS",
    "Redactor",
    "fingerprint",
    "redact_form",
    "redact_header_value",
    "redact_headers",
    "redact_query",
]

REDACTED = "[REDACTED]"
#: Form and query parameters whose values are never shown.
SECRET_FIELDS = frozenset({"client_secret", "token", "access_token", "refresh_token", "password", "client_assertion"})
#: The documentation's example secret ("Obtaining a token"): public, so never treated as a secret.
PUBLIC_SECRETS = frozenset({"CLIENT_SECRET"})
#: The shortest run of a secret that is redacted: a fragment this long is as good as the value for a search,
#: and shorter runs would start to match ordinary text.
MIN_FRAGMENT = 8
# Tokens are indexed at every 4th offset (and at their last 8 characters) so memory stays ~3 KB per token:
# every prefix and suffix of 8+ characters is still found, and any inner run of 11+ characters.
_TOKEN_STRIDE = 4
# Hydra's public token prefixes (fosite hmacsha.go with Hydra v2's ory_at_/ory_rt_/ory_ac_); may be empty.
_HYDRA_PREFIX = re.compile(r"(?:ory_[a-z]{2}_)?")


class Redactor:
    """Replaces the values a run knows to be secret, and any run of 8 or more of their characters, in text.

    Nothing is guessed from the shape of the text: only values registered with :meth:`add`,
    :meth:`add_credentials` and :meth:`add_token` are replaced, so output that holds none of them is returned
    unchanged.  A match is extended character by character against the value, so a value cut anywhere (pytest's
    ``'ory_at_Yi0...'``, a body shortened to 300 characters) is replaced up to the cut.  Secrets read
    ``[REDACTED]``; tokens read ``[token sha256:…]``, the fingerprint the journal shows.  Thread-safe for
    concurrent :meth:`add_token` calls (the mock issues tokens on its server thread).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: list[tuple[str, str]] = []  # (value, replacement)
        self._known: set[str] = set()
        self._index: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, secret: str, replacement: str = REDACTED, stride: int = 1, public_prefix: int = 0) -> None:
        """Scrub ``secret`` and every run of 8+ of its characters from now on (public or short values are
        ignored: replacing them would mangle ordinary text).  A run must hold 8 characters after the first
        ``public_prefix`` ones (a token's ``ory_at_`` says nothing secret)."""
        if len(secret) - public_prefix < MIN_FRAGMENT or secret in PUBLIC_SECRETS:
            return
        with self._lock:
            if secret in self._known:
                return
            self._known.add(secret)
            number = len(self._values)
            self._values.append((secret, replacement))
            last = len(secret) - MIN_FRAGMENT
            for offset in sorted({*range(public_prefix, last + 1, stride), last}):
                slots = self._index.setdefault(secret[offset : offset + MIN_FRAGMENT], [])
                if number not in slots:
                    slots.append(number)

    def add_credentials(self, client_id: str, secret: str) -> None:
        """A client secret with every form a client sends it in: raw, form-url-encoded (RFC 6749 §2.3.1), and
        the base64 of ``id:secret`` in a Basic header, encoded or not."""
        if secret in PUBLIC_SECRETS or not secret:
            return
        self.add(secret)
        self.add(quote_plus(secret))
        self.add(quote(secret, safe=""))
        for pair in {f"{client_id}:{secret}", f"{quote_plus(client_id)}:{quote_plus(secret)}"}:
            encoded = base64.b64encode(pair.encode("utf-8", "surrogateescape")).decode()
            self.add(encoded)
            self.add(encoded.rstrip("="))

    def add_token(self, token: str) -> None:
        """An access token issued or received in this run; shown as its fingerprint."""
        prefix = len(_HYDRA_PREFIX.match(token).group(0))  # type: ignore[union-attr]
        self.add(token, f"[token {fingerprint(token)}]", stride=_TOKEN_STRIDE, public_prefix=prefix)

    def __call__(self, text: str) -> str:
        """``text`` with every known value, and every run of 8+ characters of one, replaced."""
        if not self._index or len(text) < MIN_FRAGMENT:
            return text
        spans = self._spans(text)
        if not spans:
            return text
        out, at = [], 0
        for start, end, replacement in spans:
            out.append(text[at:start])
            out.append(replacement)
            at = end
        out.append(text[at:])
        return "".join(out)

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        index, values = self._index, self._values
        found: list[tuple[int, int, str]] = []
        for position in range(len(text) - MIN_FRAGMENT + 1):
            numbers = index.get(text[position : position + MIN_FRAGMENT])
            if numbers is None:
                continue
            for number in numbers:
                value, replacement = values[number]
                offset = value.find(text[position : position + MIN_FRAGMENT])
                while offset != -1:
                    found.append((*_extend(text, position, value, offset), replacement))
                    offset = value.find(text[position : position + MIN_FRAGMENT], offset + 1)
        return _merge(found)


def _extend(text: str, position: int, value: str, offset: int) -> tuple[int, int]:
    """The widest span around ``text[position:position+8] == value[offset:offset+8]`` that still matches."""
    start, low = position, offset
    while start > 0 and low > 0 and text[start - 1] == value[low - 1]:
        start, low = start - 1, low - 1
    end, high = position + MIN_FRAGMENT, offset + MIN_FRAGMENT
    while end < len(text) and high < len(value) and text[end] == value[high]:
        end, high = end + 1, high + 1
    return start, end


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping spans become one; a secret's ``[REDACTED]`` wins over a token's fingerprint."""
    merged: list[tuple[int, int, str]] = []
    for start, end, replacement in sorted(spans):
        if merged and start <= merged[-1][1]:
            last_start, last_end, last_replacement = merged[-1]
            chosen = REDACTED if REDACTED in (replacement, last_replacement) else last_replacement
            merged[-1] = (last_start, max(end, last_end), chosen)
        else:
            merged.append((start, end, replacement))
    return merged


def fingerprint(token: str) -> str:
    """A stable, non-reversible name for a token: ``sha256:`` and the first 12 hex digits."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def redact_headers(headers: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None, str | None]:
    """Header names lower-cased, credentials redacted; also the Basic client id and the bearer fingerprint.

    A repeated header shows its values joined with ``", "`` (RFC 9110 §5.3); the client id and the fingerprint
    come from the first ``Authorization``, the one the mock acts on (Go's ``Header.Get``).
    """
    out: dict[str, str] = {}
    client_id = token = None
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "authorization" and name not in out:
            scheme, _, credential = value.strip().partition(" ")
            client_id, token = _credential_of(value, scheme, credential)
        value = redact_header_value(name, value)
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out, client_id, token


def redact_header_value(name: str, value: str) -> str:
    """A header's value as the kit shows it: ``Authorization`` keeps its scheme only (``Basic [REDACTED]``),
    ``Cookie``, ``Proxy-Authorization`` and ``X-Api-Key`` read ``[REDACTED]``, any other header is shown as
    sent."""
    if name == "authorization":
        scheme, _, credential = value.strip().partition(" ")
        return f"{scheme} {REDACTED}" if credential else REDACTED
    return REDACTED if name in {"cookie", "proxy-authorization", "x-api-key"} else value


def _credential_of(value: str, scheme: str, credential: str) -> tuple[str | None, str | None]:
    # The Basic client id, or the bearer token's fingerprint.
    basic = parse_basic_auth(value)
    if basic is not None:
        return go_query_unescape(basic[0]), None
    if scheme.lower() == "bearer" and credential.strip():
        return None, fingerprint(credential.strip())
    return None, None


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
