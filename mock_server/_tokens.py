"""Self-validating access tokens shaped like Hydra v2's opaque tokens.

Hydra (fosite ``token/hmac/hmacsha.go``, prefix since fosite v0.43 / Hydra v2.0): ``ory_at_`` +
base64url(32 random bytes) + ``.`` + base64url(32-byte HMAC).  Hydra keeps expiry in its database; the mock
keeps none, so the second half carries a 20-byte MAC and, masked with a keyed stream, the expiry time and a
4-byte tag of the client.  The MACs are keyed BLAKE2b (RFC 7693's keyed mode), copied from objects keyed
once: a third of HMAC-SHA256's cost, and minting is on every token request's path.  The token is 94
characters like Hydra's, has 256 random bits, and validating it needs only the server's key, so memory stays
flat however many tokens are issued.
Revocation is the one piece of state: per revoked token a 64-bit keyed digest (never the token) and its
expiry, in two parallel sorted arrays (16 bytes a revocation, plus the arrays' spare room).  Entries whose
token expired are dropped by a sweep that runs once something has expired and at least 1/16 of the entries
were added since the last sweep, so sweeping costs O(1) per revocation and expired entries never make up
more than about 1/16 of the arrays (``bench/run.py`` measures the cost).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import struct
import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._jwt import JwtSigner, looks_like_jwt

__all__ = ["TOKEN_PREFIX", "IssuedToken", "TokenMinter", "TokenRejected"]

TOKEN_PREFIX = "ory_at_"  # noqa: S105 - Hydra's public prefix
_RANDOM_BYTES = 32
_TAG_BYTES = 20


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenRejected(Exception):
    """A bearer token the mock does not accept; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    """What a valid token says about itself."""

    token: str
    client_id: str
    expires_at: int
    #: A JWT's ``jti`` (what revocation records); ``None`` for opaque tokens.
    jti: str | None = None


class TokenMinter:
    """Issues, validates and revokes tokens under one HMAC key (random per server unless given).

    JWT access tokens (Hydra's ``strategies.access_token: jwt``) are signed by :attr:`jwt` and validated and
    revoked here alike: a JWT is revoked by its ``jti``.
    """

    def __init__(self, key: bytes | None = None, client_ids: tuple[str, ...] = ()) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)
        # BLAKE2b takes keys of up to 64 bytes; a longer one is hashed first, as HMAC does (RFC 2104 §2).
        mac_key = self._key if len(self._key) <= 64 else hashlib.sha256(self._key).digest()
        # Distinct personalisations keep the two MACs independent under one key.
        self._mask_mac = hashlib.blake2b(key=mac_key, digest_size=12, person=b"labelf-mask")
        self._tag_mac = hashlib.blake2b(key=mac_key, digest_size=_TAG_BYTES, person=b"labelf-tag")
        self._tags = {cid: self._client_tag(cid) for cid in client_ids}
        self._clients_by_tag = {tag: cid for cid, tag in self._tags.items()}
        #: Revoked tokens' digests, sorted, and each one's expiry at the same index.
        self._digests = array("Q")
        self._expiries = array("q")
        self._earliest_expiry = math.inf
        self._added_since_sweep = 0
        self._lock = threading.Lock()
        #: Called with every token issued (``MockState.on_token_issued``): the pytest plugin redacts them.
        self.listeners: list[Callable[[str], None]] = []
        #: Signs and verifies JWT access tokens; its RSA key is made on first use.
        self.jwt = JwtSigner()

    def _client_tag(self, client_id: str) -> bytes:
        return hmac.digest(self._key, b"client\0" + client_id.encode("utf-8", "surrogateescape"), "sha256")[:4]

    def _mask(self, random: bytes) -> bytes:
        mac = self._mask_mac.copy()
        mac.update(random)
        return mac.digest()

    def _tag(self, random: bytes, expires_at: int, client_id: str) -> bytes:
        mac = self._tag_mac.copy()
        mac.update(random + struct.pack(">q", expires_at) + client_id.encode("utf-8", "surrogateescape"))
        return mac.digest()

    def issue(self, client_id: str, expires_at: int) -> str:
        """A fresh token for ``client_id`` that stops validating at ``expires_at`` (Unix seconds)."""
        random = secrets.token_bytes(_RANDOM_BYTES)
        sealed = struct.pack(">q", expires_at) + (self._tags.get(client_id) or self._client_tag(client_id))
        masked = _xor(sealed, self._mask(random))
        token = f"{TOKEN_PREFIX}{_b64(random)}.{_b64(self._tag(random, expires_at, client_id) + masked)}"
        return self._announce(token)

    def issue_jwt(
        self, client_id: str, *, issuer: str, scopes: Sequence[str], audience: Sequence[str], now: int, expires_at: int
    ) -> str:
        """A signed JWT access token for ``client_id`` (claims as Hydra writes them)."""
        token = self.jwt.issue(
            issuer=issuer, client_id=client_id, scopes=scopes, audience=audience, now=now, expires_at=expires_at
        )
        return self._announce(token)

    def _announce(self, token: str) -> str:
        for listener in self.listeners:
            listener(token)
        return token

    def decode(self, token: str) -> IssuedToken | None:
        """The token's claims if this minter issued it, whatever its expiry or revocation; else ``None``."""
        if looks_like_jwt(token):
            claims = self.jwt.verify(token)
            return None if claims is None else IssuedToken(token, claims.client_id, claims.expires_at, claims.jti)
        if not token.startswith(TOKEN_PREFIX) or len(token) != len(TOKEN_PREFIX) + 87:
            return None
        try:
            random = _unb64(token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 43])
            second = _unb64(token[len(TOKEN_PREFIX) + 44 :])
        except (binascii.Error, ValueError):
            return None
        if len(random) != _RANDOM_BYTES or len(second) != 32 or token[len(TOKEN_PREFIX) + 43] != ".":
            return None
        # Only the canonical spelling: base64's unused trailing bits must not make a second valid token.
        if f"{TOKEN_PREFIX}{_b64(random)}.{_b64(second)}" != token:
            return None
        sealed = _xor(second[_TAG_BYTES:], self._mask(random))
        (expires_at,) = struct.unpack(">q", sealed[:8])
        client_id = self._clients_by_tag.get(sealed[8:])
        if client_id is None:
            return None
        if not hmac.compare_digest(second[:_TAG_BYTES], self._tag(random, expires_at, client_id)):
            return None
        return IssuedToken(token, client_id, expires_at)

    def validate(self, token: str, now: float) -> IssuedToken:
        """The token's claims if it was issued here, has not expired at ``now`` and is not revoked.

        Otherwise :class:`TokenRejected`, saying which (the API's 401 repeats it).
        """
        issued = self.decode(token)
        if issued is None:
            raise TokenRejected("The access token is malformed or was not issued by this server")
        if now >= issued.expires_at:
            raise TokenRejected("The access token expired")
        if self._revoked(issued):
            raise TokenRejected("The access token was revoked")
        return issued

    def _digest(self, token: str) -> int:
        # Keyed, so nobody can make two tokens share one; 64 bits keeps a false match out of reach.
        digest = hashlib.blake2b(token.encode(), digest_size=8, key=self._key[:32]).digest()
        return int.from_bytes(digest, "big")

    def _find(self, digest: int) -> int:
        index = bisect_left(self._digests, digest)
        return index if index < len(self._digests) and self._digests[index] == digest else -1

    def is_revoked(self, token: str) -> bool:
        """Whether ``token`` was revoked (and has not expired since)."""
        issued = self.decode(token)
        return issued is not None and self._revoked(issued)

    def _revoked(self, issued: IssuedToken) -> bool:
        # Decoded once by the caller: for a JWT, decoding is an RSA signature check.
        with self._lock:
            index = self._find(self._digest(issued.jti or issued.token))
            return index >= 0 and self._expiries[index] == issued.expires_at

    def revoke(self, token: str, client_id: str, now: float) -> bool:
        """Revoke ``token`` if it belongs to ``client_id``; like Hydra, anything else is silently ignored."""
        issued = self.decode(token)
        if issued is None or issued.client_id != client_id or now >= issued.expires_at:
            return False
        digest = self._digest(issued.jti or token)
        with self._lock:
            if now >= self._earliest_expiry and self._added_since_sweep >= len(self._digests) // 16:
                self._prune(now)
            if self._find(digest) < 0:
                index = bisect_left(self._digests, digest)
                self._digests.insert(index, digest)
                self._expiries.insert(index, issued.expires_at)
                self._earliest_expiry = min(self._earliest_expiry, issued.expires_at)
                self._added_since_sweep += 1
        return True

    def _prune(self, now: float) -> None:
        keep = [i for i, expiry in enumerate(self._expiries) if expiry > now]
        self._digests = array("Q", (self._digests[i] for i in keep))
        self._expiries = array("q", (self._expiries[i] for i in keep))
        self._earliest_expiry = min(self._expiries, default=math.inf)
        self._added_since_sweep = 0

    def clear_revocations(self) -> None:
        """Forget every revocation (the plugin's per-test reset)."""
        with self._lock:
            self._digests, self._expiries = array("Q"), array("q")
            self._earliest_expiry = math.inf
            self._added_since_sweep = 0

    @property
    def revoked_count(self) -> int:
        """How many revocations are held."""
        return len(self._digests)
