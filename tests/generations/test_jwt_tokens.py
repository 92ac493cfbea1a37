"""JWT access tokens as Hydra issues them: verified by a real JOSE client against the served JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import requests

from labelf_testkit.mock_server import ClientConfig, InProcessTransport, MockApp, MockConfig, create_app
from tests.conftest import ServedMock, start_served_mock

GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")
INFERENCE = {"texts": ["this is positive"]}


@pytest.fixture(scope="module")
def jwt_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    served = start_served_mock(tmp_path_factory.mktemp("jwt"), "--token-format", "jwt")
    yield served
    assert served.stop() == 0


def test_a_jose_client_verifies_the_token_against_the_jwks_url(jwt_mock: ServedMock) -> None:
    token = requests.post(f"{jwt_mock.base_url}/oauth2/token", data=GRANT, auth=AUTH, timeout=10).json()
    discovery = requests.get(f"{jwt_mock.base_url}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["jwks_uri"] == f"{jwt_mock.base_url}/.well-known/jwks.json"
    # PyJWKClient fetches the key set over its own HTTP client (urllib) and picks the key by the token's kid.
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token["access_token"])
    claims = jwt.decode(token["access_token"], key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["iss"] == discovery["issuer"]
    assert (claims["sub"], claims["client_id"], claims["scp"], claims["aud"]) == ("CLIENT_ID", "CLIENT_ID", [], [])
    assert claims["exp"] - claims["iat"] == token["expires_in"]
    assert token["token_type"] == "bearer"


def test_the_api_accepts_it_until_it_is_revoked(jwt_mock: ServedMock) -> None:
    token = requests.post(f"{jwt_mock.base_url}/oauth2/token", data=GRANT, auth=AUTH, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{jwt_mock.base_url}/v2/models/1/inference"
    assert requests.post(url, json=INFERENCE, headers=headers, timeout=10).status_code == 200
    revoked = requests.post(f"{jwt_mock.base_url}/oauth2/revoke", data={"token": token}, auth=AUTH, timeout=10)
    assert revoked.status_code == 200
    refused = requests.post(url, json=INFERENCE, headers=headers, timeout=10)
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]


@pytest.fixture
def app() -> MockApp:
    clients = (
        ClientConfig("CLIENT_ID", "CLIENT_SECRET"),
        ClientConfig("opaque-app", "s3cret-opaque", token_format="opaque"),
    )
    return create_app(MockConfig(clients=clients, token_format="jwt", expires_in=60))


@pytest.fixture
def http(app: MockApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as client:
        yield client


def test_expiry_follows_the_mock_clock(app: MockApp, http: httpx.Client) -> None:
    app.mock.clock.freeze()  # type: ignore[attr-defined]
    token = http.post("/oauth2/token", data=GRANT, auth=AUTH).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    app.mock.clock.advance(59)  # type: ignore[attr-defined]
    assert http.post("/v2/models/1/inference", json=INFERENCE, headers=headers).status_code == 200
    app.mock.clock.advance(1)  # type: ignore[attr-defined]
    expired = http.post("/v2/models/1/inference", json=INFERENCE, headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["message"]


def test_the_format_is_per_client_as_hydra_allows(http: httpx.Client) -> None:
    default = http.post("/oauth2/token", data=GRANT, auth=AUTH).json()["access_token"]
    opaque = http.post("/oauth2/token", data=GRANT, auth=("opaque-app", "s3cret-opaque")).json()["access_token"]
    assert default.count(".") == 2 and default.startswith("eyJ")
    assert opaque.startswith("ory_at_")


def test_a_token_signed_by_another_key_is_refused(http: httpx.Client) -> None:
    foreign = create_app(MockConfig(token_format="jwt"))
    with httpx.Client(transport=InProcessTransport(foreign), base_url="http://other.test") as other:
        token = other.post("/oauth2/token", data=GRANT, auth=AUTH).json()["access_token"]
    refused = http.post("/v2/models/1/inference", json=INFERENCE, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "not issued by this server" in refused.json()["message"]


def test_the_handle_decodes_claims_for_assertions(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from labelf_testkit.mock_server import MockConfig

        @pytest.fixture(scope="session")
        def labelf_config():
            return MockConfig(token_format="jwt")
        """
    )
    pytester.makepyfile(
        """
        import jwt
        import requests

        def test_claims(labelf_intercept):
            token = requests.post(
                "https://auth.app.labelf.ai/oauth2/token",
                data={"grant_type": "client_credentials", "scope": ""},
                auth=("CLIENT_ID", "CLIENT_SECRET"),
            ).json()["access_token"]
            claims = labelf_intercept.token_claims(token)
            assert claims["client_id"] == "CLIENT_ID" and claims["iss"] == "https://auth.app.labelf.ai/"
            key = jwt.PyJWK(labelf_intercept.jwks["keys"][0])
            assert jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})["sub"] == "CLIENT_ID"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_opaque_tokens_decode_to_client_and_expiry(tmp_path: Path) -> None:
    from labelf_testkit import LabelfMock

    handle = LabelfMock(create_app(), "http://mock.test")
    claims = handle.token_claims(handle.issue_token())
    assert set(claims) == {"client_id", "exp"} and claims["client_id"] == "CLIENT_ID"
    with pytest.raises(ValueError, match="not issued by this mock"):
        handle.token_claims("ory_at_" + "A" * 43 + "." + "B" * 43)
