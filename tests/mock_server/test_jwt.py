"""JWT access tokens: signed by the mock's own key, verifiable by any JOSE library against its JWKS."""

from __future__ import annotations

import jwt
import pytest

from labelf_testkit.mock_server._jwt import JwtSigner, looks_like_jwt


@pytest.fixture(scope="module")
def signer() -> JwtSigner:
    return JwtSigner()


def _token(signer: JwtSigner, **overrides: object) -> str:
    fields: dict[str, object] = {
        "issuer": "http://mock.test/",
        "client_id": "CLIENT_ID",
        "scopes": ["read"],
        "audience": [],
        "now": 1_000,
        "expires_at": 4_600,
    }
    fields.update(overrides)
    return signer.issue(**fields)  # type: ignore[arg-type]


def test_claims_are_hydras(signer: JwtSigner) -> None:
    token = _token(signer)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": signer.kid, "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"aud", "client_id", "exp", "ext", "iat", "iss", "jti", "nbf", "scp", "sub"}
    assert (claims["sub"], claims["client_id"]) == ("CLIENT_ID", "CLIENT_ID")
    assert (claims["scp"], claims["aud"]) == (["read"], [])
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (1_000, 1_000, 4_600)


def test_a_jose_library_verifies_it_with_the_jwks(signer: JwtSigner) -> None:
    (jwk,) = signer.jwks()["keys"]
    assert "d" not in jwk and jwk["kid"] == signer.kid and jwk["alg"] == "RS256"
    key = jwt.PyJWK(jwk)
    claims = jwt.decode(_token(signer), key, algorithms=["RS256"], options={"verify_exp": False})
    assert claims["client_id"] == "CLIENT_ID"


def test_every_token_has_its_own_jti(signer: JwtSigner) -> None:
    first, second = signer.verify(_token(signer)), signer.verify(_token(signer))
    assert first is not None and second is not None and first.jti != second.jti


def test_tokens_from_another_key_or_tampered_are_refused(signer: JwtSigner) -> None:
    assert signer.verify(_token(JwtSigner())) is None
    header, payload, signature = _token(signer).split(".")
    forged = jwt.encode({"client_id": "x", "jti": "j", "exp": 9}, "k" * 32, algorithm="HS256")
    assert signer.verify(forged) is None
    assert signer.verify(f"{header}.{payload}.{signature[:-2]}AA") is None
    assert signer.verify("ory_at_abc.def") is None and not looks_like_jwt("ory_at_abc.def")
