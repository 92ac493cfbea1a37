"""JWT access tokens as Hydra issues them under ``strategies.access_token: jwt``.

Hydra signs with RS256 and a key it generates; the claims are ``iss``, ``sub`` (the client id for the client
credentials grant), ``aud`` (a list, ``[]`` when none), ``exp``, ``nbf``, ``iat``, ``jti``, ``client_id``,
``scp`` (a list) and ``ext`` (Hydra ``oauth2/session.go`` ``GetJWTClaims``, fosite
``handler/oauth2/strategy_jwt.go``); the public key is served at ``/.well-known/jwks.json``.  Signing and
verification are PyJWT's (with ``cryptography``); nothing here is hand-written JOSE.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["JwtClaims", "JwtSigner", "looks_like_jwt"]

_ALGORITHM = "RS256"


def looks_like_jwt(token: str) -> bool:
    """Whether ``token`` has a JWS compact serialisation's shape (three base64url parts, a JSON header)."""
    return token.startswith("eyJ") and token.count(".") == 2


@dataclass(frozen=True)
class JwtClaims:
    """What a verified access token says."""

    client_id: str
    jti: str
    expires_at: int
    claims: dict[str, Any]


class JwtSigner:
    """One RSA key per mock, made on first use (generating it costs tens of milliseconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None

    @property
    def _private_key(self) -> rsa.RSAPrivateKey:
        with self._lock:  # one key even when the first tokens are issued from several threads at once
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    @cached_property
    def _public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        # RFC 7638 thumbprint: SHA-256 of the required members, sorted, no whitespace.
        required = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        kid = base64.urlsafe_b64encode(hashlib.sha256(required.encode()).digest()).rstrip(b"=").decode()
        return {**jwk, "kid": kid, "use": "sig", "alg": _ALGORITHM}

    @property
    def kid(self) -> str:
        """The key id in every token's header and in the JWKS."""
        return str(self._public_jwk["kid"])

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public key set, as Hydra serves it at ``/.well-known/jwks.json``."""
        return {"keys": [dict(self._public_jwk)]}

    def issue(
        self, *, issuer: str, client_id: str, scopes: Sequence[str], audience: Sequence[str], now: int, expires_at: int
    ) -> str:
        """A signed access token for ``client_id``, valid from ``now`` until ``expires_at``."""
        claims = {
            "aud": list(audience),
            "client_id": client_id,
            "exp": expires_at,
            "ext": {},
            "iat": now,
            "iss": issuer,
            "jti": str(uuid.uuid4()),
            "nbf": now,
            "scp": list(scopes),
            "sub": client_id,
        }
        return jwt.encode(claims, self._private_key, algorithm=_ALGORITHM, headers={"kid": self.kid, "typ": "JWT"})

    def verify(self, token: str) -> JwtClaims | None:
        """The claims if this mock signed ``token``; expiry is the caller's business (the mock's clock)."""
        if not looks_like_jwt(token):
            return None
        try:
            claims = jwt.decode(
                token,
                self._private_key.public_key(),
                algorithms=[_ALGORITHM],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        client_id, jti, expires_at = claims.get("client_id"), claims.get("jti"), claims.get("exp")
        if not isinstance(client_id, str) or not isinstance(jti, str) or not isinstance(expires_at, int):
            return None
        return JwtClaims(client_id, jti, expires_at, claims)
