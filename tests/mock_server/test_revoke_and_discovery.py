"""``/oauth2/revoke`` (RFC 7009 as fosite does it), discovery and the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import ClientConfig, InProcessTransport, MockConfig, create_app
from tests.helpers import DEFAULT_HINT, FORM, GRANT, INVALID_CLIENT, IR, assert_oauth_error, basic

GOOD = basic("CLIENT_ID", "CLIENT_SECRET")


@pytest.fixture
def mock_config() -> MockConfig:
    """The default client and a second one."""
    return MockConfig(clients=(ClientConfig("CLIENT_ID", "CLIENT_SECRET"), ClientConfig("other", "other-secret")))


def token(client: httpx.Client, authorization: str = GOOD) -> str:
    response = client.post("/oauth2/token", content=GRANT, headers={**FORM, "authorization": authorization})
    assert response.status_code == 200
    value: str = response.json()["access_token"]
    return value


def revoke(client: httpx.Client, body: str, authorization: str | None = GOOD) -> httpx.Response:
    headers = dict(FORM)
    if authorization:
        headers["authorization"] = authorization
    return client.post("/oauth2/revoke", content=body, headers=headers)


def api_status(client: httpx.Client, access_token: str) -> int:
    return client.get("/v2/models", headers={"authorization": f"Bearer {access_token}"}).status_code


def assert_revoke_ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert "content-type" not in response.headers


def test_revoked_token_fails_validation_immediately(client: httpx.Client) -> None:
    access_token = token(client)
    assert api_status(client, access_token) == 200
    assert_revoke_ok(revoke(client, f"token={access_token}"))
    assert api_status(client, access_token) == 401


def test_revoking_twice_and_unknown_tokens_is_200(client: httpx.Client) -> None:
    access_token = token(client)
    assert_revoke_ok(revoke(client, f"token={access_token}"))
    assert_revoke_ok(revoke(client, f"token={access_token}"))
    assert_revoke_ok(revoke(client, "token=garbage"))
    assert_revoke_ok(revoke(client, "token="))


def test_hint_is_ignored(client: httpx.Client) -> None:
    access_token = token(client)
    assert_revoke_ok(revoke(client, f"token={access_token}&token_type_hint=refresh_token"))
    assert api_status(client, access_token) == 401


def test_another_clients_token_is_left_alone_with_200(client: httpx.Client) -> None:
    access_token = token(client)
    assert_revoke_ok(revoke(client, f"token={access_token}", basic("other", "other-secret")))
    assert api_status(client, access_token) == 200


def test_other_tokens_stay_valid(client: httpx.Client) -> None:
    first, second = token(client), token(client)
    assert_revoke_ok(revoke(client, f"token={first}"))
    assert api_status(client, second) == 200


@pytest.mark.parametrize(
    ("body", "authorization", "status", "error"),
    [
        ("", GOOD, 400, "invalid_request"),
        ("token=x", None, 400, "invalid_request"),
        ("token=x", basic("CLIENT_%zz", "x", encode=False), 400, "invalid_request"),
        ("token=x", basic("CLIENT_ID", "wrong"), 401, "invalid_client"),
        ("token=x", basic("nobody", "x"), 401, "invalid_client"),
    ],
    ids=["empty-body", "no-credentials", "bad-escape", "wrong-secret", "unknown-client"],
)
def test_errors_carry_fosites_generic_bodies(
    client: httpx.Client, body: str, authorization: str | None, status: int, error: str
) -> None:
    description = INVALID_CLIENT if error == "invalid_client" else f"{IR} {DEFAULT_HINT}"
    assert_oauth_error(revoke(client, body, authorization), status, error, description)


def test_revoke_with_a_wrong_secret_does_not_revoke(client: httpx.Client) -> None:
    access_token = token(client)
    revoke(client, f"token={access_token}", basic("CLIENT_ID", "wrong"))
    assert api_status(client, access_token) == 200


def test_get_on_revoke_is_405(client: httpx.Client) -> None:
    response = client.get("/oauth2/revoke")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"


def test_discovery_lists_the_served_endpoints(client: httpx.Client) -> None:
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    # In-process nothing is served at a URL: the issuer is Labelf's auth host, which interception routes here.
    assert document["issuer"] == "https://auth.app.labelf.ai/"
    assert document["token_endpoint"] == "https://auth.app.labelf.ai/oauth2/token"
    assert document["revocation_endpoint"] == "https://auth.app.labelf.ai/oauth2/revoke"
    assert document["grant_types_supported"] == ["client_credentials"]
    assert "scopes_supported" not in document  # RFC 8414 §3.2: no empty claims
    for key in ("token_endpoint", "revocation_endpoint"):
        path = httpx.URL(document[key]).path
        assert client.post(path, content=GRANT, headers={**FORM, "authorization": GOOD}).status_code == 200


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/.well-known/jwks.json"])
def test_discovery_and_jwks_are_written_as_herodot_writes_them(client: httpx.Client, path: str) -> None:
    # herodot json.go WriteCode: Content-Type "application/json; charset=utf-8", a json.Encoder's compact
    # output with one trailing newline.
    response = client.get(path)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.text.endswith("}\n") and ": " not in response.text and ", " not in response.text
    assert isinstance(response.json(), dict)


def test_openapi_describes_token_revoke_and_their_errors(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    token_responses = document["paths"]["/oauth2/token"]["post"]["responses"]
    assert {"200", "400", "401", "405", "413", "500"} <= set(token_responses)
    assert set(document["paths"]["/oauth2/revoke"]["post"]["responses"]) >= {"200", "400", "401"}
    hint = document["paths"]["/oauth2/revoke"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"][
        "schema"
    ]["properties"]["token_type_hint"]
    assert "enum" not in hint  # RFC 7009 §2.2: unknown hints are ignored, not rejected


def test_unknown_auth_host_path_is_go_404(client: httpx.Client) -> None:
    response = client.get("/oauth2/invalidate_token")
    assert response.status_code == 404
    assert response.text == "404 page not found\n"


def test_discovery_ignores_the_host_header_and_uses_the_configured_issuer() -> None:
    app = create_app(MockConfig(issuer="https://auth.example"))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://attacker.example") as http:
        document = http.get("/.well-known/openid-configuration", headers={"host": "attacker.example"}).json()
    assert document["issuer"] == "https://auth.example/"
    assert document["token_endpoint"] == "https://auth.example/oauth2/token"


def test_discovery_over_a_socket_names_the_served_url(labelf_mock: LabelfMock) -> None:
    with httpx.Client() as http:
        document = http.get(
            f"{labelf_mock.base_url}/.well-known/openid-configuration", headers={"host": "attacker.example"}
        ).json()
    assert document["issuer"] == f"{labelf_mock.base_url}/"
    assert document["token_endpoint"] == labelf_mock.token_url


def test_one_app_on_two_servers_names_each_servers_url() -> None:
    # The plugin serves one app over http and https; each answer names the server it was served on.
    import ssl

    from labelf_testkit.servers import MockServers

    servers = MockServers(create_app())
    try:
        plain, secure = servers.plain(), servers.secure()
        assert secure.tls is not None
        trust = ssl.create_default_context(cafile=str(secure.tls.ca_bundle))
        for server, verify in ((plain, True), (secure, trust), (plain, True)):
            with httpx.Client(verify=verify) as http:
                document = http.get(f"{server.base_url}/.well-known/openid-configuration").json()
            assert document["issuer"] == f"{server.base_url}/"
    finally:
        servers.stop()
