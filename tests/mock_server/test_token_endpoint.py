"""``POST /oauth2/token``: the success shape and every token endpoint case of docs/fidelity.md, in-process."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from labelf_testkit.mock_server import ClientConfig, InProcessTransport, MockApp, MockConfig, create_app
from tests.helpers import (
    DEFAULT_HINT,
    FORM,
    GRANT,
    INVALID_CLIENT,
    IR,
    assert_oauth_error,
    assert_token_success,
    basic,
)

GOOD = basic("CLIENT_ID", "CLIENT_SECRET")
MISSING_CREDENTIALS = (
    f"{IR} Client credentials missing or malformed in both HTTP Authorization header and HTTP POST body."
)


@pytest.fixture
def mock_config() -> MockConfig:
    """The default client, plus clients for the auth-method, scope, audience and grant rows."""
    return MockConfig(
        clients=(
            ClientConfig("CLIENT_ID", "CLIENT_SECRET"),
            ClientConfig("post-client", "post-secret", token_endpoint_auth_method="client_secret_post"),
            ClientConfig(
                "scoped", "s3cret", scopes=("inference", "similarity"), audience=("https://api.app.labelf.ai",)
            ),
            ClientConfig("code-only", "c0de", grant_types=("authorization_code",)),
            ClientConfig("short", "lived", expires_in=60),
        )
    )


def post(
    client: httpx.Client, body: str | bytes = GRANT, authorization: str | None = GOOD, **headers: str
) -> httpx.Response:
    all_headers = {**FORM, **headers}
    if authorization is not None:
        all_headers["authorization"] = authorization
    return client.post("/oauth2/token", content=body, headers=all_headers)


def test_documented_request_gets_documented_shape(client: httpx.Client) -> None:
    body = assert_token_success(post(client))
    assert body["access_token"].startswith("ory_at_")


def test_per_client_lifetime_is_reported(client: httpx.Client) -> None:
    assert_token_success(post(client, authorization=basic("short", "lived")), expires_in=60)


def test_allowed_scopes_are_granted_space_joined(client: httpx.Client) -> None:
    response = post(client, f"{GRANT}&scope=inference+similarity", basic("scoped", "s3cret"))
    assert_token_success(response, scope="inference similarity")


# Row 1: no client authentication at all.
def test_no_credentials_is_400_invalid_request(client: httpx.Client) -> None:
    assert_oauth_error(post(client, authorization=None), 400, "invalid_request", MISSING_CREDENTIALS)


# Rows 2 and 3: unknown client and wrong secret are indistinguishable.
def test_unknown_client_and_wrong_secret_share_one_401_body(client: httpx.Client) -> None:
    unknown = post(client, authorization=basic("nobody", "CLIENT_SECRET"))
    wrong = post(client, authorization=basic("CLIENT_ID", "not-the-secret"))
    assert_oauth_error(unknown, 401, "invalid_client", INVALID_CLIENT)
    assert_oauth_error(wrong, 401, "invalid_client", INVALID_CLIENT)
    assert unknown.content == wrong.content


def test_secret_that_is_a_prefix_of_the_real_one_is_refused(client: httpx.Client) -> None:
    assert_oauth_error(post(client, authorization=basic("CLIENT_ID", "CLIENT_SECRE")), 401, "invalid_client")


# Row 4: malformed Basic headers fall back to the body, i.e. row 1.
@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode(),
        "Basic " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode().rstrip("="),  # padding required
        "Basic " + base64.b64encode(b"CLIENT_IDCLIENT_SECRET").decode(),  # no colon
        "Basic !!!not-base64!!!",
        "Basic",
        "Basic  " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode(),  # two spaces: Go fails to decode
    ],
    ids=["bearer-scheme", "unpadded", "no-colon", "not-base64", "scheme-only", "two-spaces"],
)
def test_malformed_basic_header_is_treated_as_missing(client: httpx.Client, authorization: str) -> None:
    assert_oauth_error(post(client, authorization=authorization), 400, "invalid_request", MISSING_CREDENTIALS)


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
def test_basic_scheme_is_case_insensitive(client: httpx.Client, scheme: str) -> None:
    assert_token_success(post(client, authorization=GOOD.replace("Basic", scheme)))


def test_bad_percent_escape_in_client_id(client: httpx.Client) -> None:
    response = post(client, authorization=basic("CLIENT_%zz", "CLIENT_SECRET", encode=False))
    hint = (
        "The client id in the HTTP authorization header could not be decoded from 'application/x-www-form-urlencoded'."
    )
    assert_oauth_error(response, 400, "invalid_request", f"{IR} {hint}")


def test_bad_percent_escape_in_client_secret(client: httpx.Client) -> None:
    response = post(client, authorization=basic("CLIENT_ID", "100%", encode=False))
    hint = (
        "The client secret in the HTTP authorization header could not be decoded from "
        "'application/x-www-form-urlencoded'."
    )
    assert_oauth_error(response, 400, "invalid_request", f"{IR} {hint}")


def test_basic_credentials_are_form_url_decoded() -> None:
    config = MockConfig(clients=(ClientConfig("id:with colon", "p+w%d:x"),))
    with httpx.Client(transport=InProcessTransport(create_app(config)), base_url="http://t") as http:
        assert_token_success(post(http, authorization=basic("id:with colon", "p+w%d:x")))
        # Sent unencoded (as requests' auth= does), '+' arrives as a space and '%d:' is a bad escape.
        assert_oauth_error(
            post(http, authorization=basic("id%3Awith+colon", "p+w%d:x", encode=False)), 400, "invalid_request"
        )
        assert_oauth_error(
            post(http, authorization=basic("id%3Awith+colon", "p+w%25d:x", encode=False)), 401, "invalid_client"
        )


# Row 5: missing grant_type, and the empty body; both before client authentication.
@pytest.mark.parametrize("authorization", [GOOD, basic("CLIENT_ID", "wrong"), None])
def test_missing_grant_type_is_400_before_client_auth(client: httpx.Client, authorization: str | None) -> None:
    response = post(client, "scope=", authorization)
    assert_oauth_error(response, 400, "invalid_request", f"{IR} Request parameter 'grant_type' is missing")


@pytest.mark.parametrize("body", ["grant_type=", "grant_type=+++", "grant_type"])
def test_empty_grant_type_counts_as_missing(client: httpx.Client, body: str) -> None:
    assert_oauth_error(post(client, body), 400, "invalid_request", f"{IR} Request parameter 'grant_type' is missing")


@pytest.mark.parametrize("authorization", [GOOD, basic("CLIENT_ID", "wrong")])
def test_empty_body_is_400_before_client_auth(client: httpx.Client, authorization: str) -> None:
    assert_oauth_error(post(client, "", authorization), 400, "invalid_request", f"{IR} The POST body can not be empty.")


# Row 6: unsupported grant types are invalid_request with the default hint, whatever the credentials.
@pytest.mark.parametrize(
    "grant", ["foo", "Client_Credentials", "CLIENT_CREDENTIALS", "client_credentials+client_credentials", "password"]
)
@pytest.mark.parametrize("authorization", [GOOD, basic("CLIENT_ID", "wrong"), None])
def test_unsupported_grant_type_is_invalid_request(client: httpx.Client, grant: str, authorization: str | None) -> None:
    response = post(client, f"grant_type={grant}", authorization)
    assert_oauth_error(response, 400, "invalid_request", f"{IR} {DEFAULT_HINT}")


def test_trailing_space_in_grant_type_is_trimmed_like_fosite(client: httpx.Client) -> None:
    assert_token_success(post(client, "grant_type=client_credentials+"))


# Row 7: other methods never reach fosite.
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_with_allow(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/oauth2/token", headers={"authorization": GOOD})
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Method Not Allowed\n"
    assert "access_token" not in response.text


def test_options_lists_allowed_methods(client: httpx.Client) -> None:
    response = client.options("/oauth2/token")
    assert response.status_code == 200
    assert response.headers["allow"] == "OPTIONS, POST"
    assert response.content == b""


# Row 8: bodies Go does not parse as a form.
@pytest.mark.parametrize(
    "headers",
    [{"content-type": "application/json"}, {"content-type": "text/plain"}, {}],
    ids=["json", "text", "no-content-type"],
)
def test_non_form_bodies_count_as_empty(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.post(
        "/oauth2/token",
        content=json.dumps({"grant_type": "client_credentials"}),
        headers={"authorization": GOOD, **headers},
    )
    if not headers:
        assert "content-type" not in response.request.headers
    assert_oauth_error(response, 400, "invalid_request", f"{IR} The POST body can not be empty.")


def test_form_media_type_is_case_insensitive_and_charset_is_allowed(client: httpx.Client) -> None:
    headers = {"content-type": "Application/X-WWW-Form-URLEncoded; charset=UTF-8"}
    assert_token_success(post(client, **headers))


def test_multipart_form_is_accepted(client: httpx.Client) -> None:
    response = client.post(
        "/oauth2/token", files={"grant_type": (None, "client_credentials")}, headers={"authorization": GOOD}
    )
    assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert_token_success(response)


def test_multipart_without_boundary_cannot_be_parsed(client: httpx.Client) -> None:
    response = post(client, "x", **{"content-type": "multipart/form-data"})
    hint = "Unable to parse HTTP body, make sure to send a properly formatted form request body."
    assert_oauth_error(response, 400, "invalid_request", f"{IR} {hint}")


def test_malformed_pairs_are_dropped_silently(client: httpx.Client) -> None:
    assert_token_success(post(client, f"%zz=1&a;b=2&&{GRANT}"))


def test_query_string_is_never_read(client: httpx.Client) -> None:
    response = client.post(
        "/oauth2/token?grant_type=client_credentials", content="x=y", headers={**FORM, "authorization": GOOD}
    )
    assert_oauth_error(response, 400, "invalid_request", f"{IR} Request parameter 'grant_type' is missing")


# Row 9: client_secret_post on a client_secret_basic client, and the mirror case.
def test_body_credentials_on_basic_client_are_refused(client: httpx.Client) -> None:
    response = post(client, f"{GRANT}&client_id=CLIENT_ID&client_secret=CLIENT_SECRET", authorization=None)
    hint = (
        "The OAuth 2.0 Client supports client authentication method 'client_secret_basic', but method "
        "'client_secret_post' was requested. You must configure the OAuth 2.0 client's "
        "'token_endpoint_auth_method' value to accept 'client_secret_post'."
    )
    assert_oauth_error(response, 401, "invalid_client", f"{INVALID_CLIENT} {hint}")


def test_body_credentials_count_even_beside_a_basic_header(client: httpx.Client) -> None:
    response = post(client, f"{GRANT}&client_id=CLIENT_ID&client_secret=CLIENT_SECRET", authorization=GOOD)
    assert_oauth_error(response, 401, "invalid_client")


def test_post_client_authenticates_in_the_body(client: httpx.Client) -> None:
    assert_token_success(post(client, f"{GRANT}&client_id=post-client&client_secret=post-secret", authorization=None))


def test_basic_on_post_client_is_refused_before_the_secret_check(client: httpx.Client) -> None:
    response = post(client, authorization=basic("post-client", "WRONG"))
    hint = (
        "The OAuth 2.0 Client supports client authentication method 'client_secret_post', but method "
        "'client_secret_basic' was requested. You must configure the OAuth 2.0 client's "
        "'token_endpoint_auth_method' value to accept 'client_secret_basic'."
    )
    assert_oauth_error(response, 401, "invalid_client", f"{INVALID_CLIENT} {hint}")


def test_body_client_id_without_secret_reaches_the_secret_check(client: httpx.Client) -> None:
    assert_oauth_error(
        post(client, f"{GRANT}&client_id=CLIENT_ID", authorization=None), 401, "invalid_client", INVALID_CLIENT
    )


# Row 10: a scope the client may not request.
def test_disallowed_scope_is_invalid_scope_naming_the_first(client: httpx.Client) -> None:
    response = post(client, f"{GRANT}&scope=inference+admin+root", basic("scoped", "s3cret"))
    description = (
        "The requested scope is invalid, unknown, or malformed. "
        "The OAuth 2.0 Client is not allowed to request scope 'admin'."
    )
    assert_oauth_error(response, 400, "invalid_scope", description)


def test_any_scope_on_the_default_client_is_invalid(client: httpx.Client) -> None:
    assert_oauth_error(post(client, f"{GRANT}&scope=read"), 400, "invalid_scope")


# Row 11: a client without the client_credentials grant.
def test_client_without_the_grant_is_unauthorized_client(client: httpx.Client) -> None:
    response = post(client, authorization=basic("code-only", "c0de"))
    description = (
        "The client is not authorized to request a token using this method. The OAuth 2.0 Client is "
        "not allowed to use authorization grant 'client_credentials'."
    )
    assert_oauth_error(response, 400, "unauthorized_client", description)


def test_scope_check_comes_before_the_grant_check(client: httpx.Client) -> None:
    assert_oauth_error(post(client, f"{GRANT}&scope=x", basic("code-only", "c0de")), 400, "invalid_scope")


def test_hydra_grant_the_client_lacks_is_unauthorized_client(client: httpx.Client) -> None:
    assert_oauth_error(post(client, "grant_type=refresh_token&refresh_token=x"), 400, "unauthorized_client")


def test_hydra_grant_with_nothing_to_redeem_is_invalid_grant(client: httpx.Client) -> None:
    response = post(client, "grant_type=authorization_code&code=x", basic("code-only", "c0de"))
    assert_oauth_error(response, 400, "invalid_grant")


def test_known_grant_reports_client_errors(client: httpx.Client) -> None:
    # A handler claims authorization_code, so the client error surfaces (fosite >= 0.37).
    assert_oauth_error(post(client, "grant_type=authorization_code", basic("x", "y")), 401, "invalid_client")


# Row 12: audience.
def test_whitelisted_audience_is_accepted(client: httpx.Client) -> None:
    assert_token_success(post(client, f"{GRANT}&audience=https://api.app.labelf.ai", basic("scoped", "s3cret")))


def test_audience_not_whitelisted_is_invalid_request(client: httpx.Client) -> None:
    response = post(client, f"{GRANT}&audience=https://evil.example", basic("scoped", "s3cret"))
    hint = "Requested audience 'https://evil.example' has not been whitelisted by the OAuth 2.0 Client."
    assert_oauth_error(response, 400, "invalid_request", f"{IR} {hint}")


# Row 13: duplicated parameters: the first value wins.
def test_duplicate_grant_type_uses_the_first_value(client: httpx.Client) -> None:
    assert_token_success(post(client, f"{GRANT}&grant_type=foo"))
    assert_oauth_error(post(client, f"grant_type=foo&{GRANT}"), 400, "invalid_request", f"{IR} {DEFAULT_HINT}")


def test_unknown_parameters_are_ignored(client: httpx.Client) -> None:
    assert_token_success(post(client, f"{GRANT}&foo=bar&foo=baz&%C3%BC=%E2%82%AC"))


# Beyond Hydra: the body limit and unexpected exceptions.
def test_body_over_one_mebibyte_is_413(client: httpx.Client) -> None:
    response = post(client, GRANT + "&pad=" + "a" * (1 << 20))
    assert_oauth_error(response, 413, "invalid_request")
    assert "1048576" in response.json()["error_description"]


def test_body_of_exactly_the_limit_is_read(client: httpx.Client) -> None:
    body = GRANT + "&pad="
    assert_token_success(post(client, body + "a" * ((1 << 20) - len(body))))


def test_unexpected_exception_is_server_error_json(
    app: MockApp, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.mock.tokens, "issue", explode)
    response = post(client)
    assert_oauth_error(response, 500, "server_error")
    assert "boom" not in response.text and "Traceback" not in response.text


def test_tokens_are_unique_and_hydra_shaped(client: httpx.Client) -> None:
    tokens = {assert_token_success(post(client))["access_token"] for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == 94
        random_part, _, signature = token.removeprefix("ory_at_").partition(".")
        assert len(random_part) == 43 and len(signature) == 43
        assert set(random_part + signature) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("field", ["scope", "audience"])
def test_request_bytes_that_are_not_utf8_come_back_as_go_writes_them(client: httpx.Client, field: str) -> None:
    # The error's hint names the refused scope or audience.  Go's json.Marshal writes each byte that is not
    # UTF-8 as U+FFFD (encode.go appendString); a surrogate escape such as "\udce9" would be refused by strict
    # JSON parsers.
    response = post(client, f"grant_type=client_credentials&{field}=x%E9y")
    assert response.status_code == 400
    assert "'x\ufffdy'" in response.json()["error_description"]
    assert b"\\ud" not in response.content.lower()
