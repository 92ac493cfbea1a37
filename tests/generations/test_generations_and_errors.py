"""Both documented API generations, workspace roles and quota (403), 409, and faults for every documented status."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from labelf_testkit.mock_server import (
    ClientConfig,
    ConfigError,
    Fault,
    InProcessTransport,
    MockApp,
    MockConfig,
    ModelConfig,
    create_app,
)

GRANT = {"grant_type": "client_credentials"}
TEXTS = {"texts": ["this is positive", "det är inte bra och jag är arg"]}


def _app(**config: object) -> MockApp:
    return create_app(MockConfig(**config))  # type: ignore[arg-type]


def _client(app: MockApp, base_url: str = "http://mock.test") -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url=base_url)


def _bearer(http: httpx.Client, auth: tuple[str, str] = ("CLIENT_ID", "CLIENT_SECRET")) -> dict[str, str]:
    token = http.post("/oauth2/token", data=GRANT, auth=auth).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _assert_older(body: object) -> None:
    assert isinstance(body, list) and [item["text"] for item in body] == TEXTS["texts"]
    assert all(set(item) == {"text", "predictions"} for item in body)


def _assert_newer(body: object, model_id: int) -> None:
    assert isinstance(body, dict)
    assert set(body) == {"model_id", "predictions", "text_language", "processing_time_ms"}
    assert body["model_id"] == model_id  # an integer, as the newer docs type it
    assert [len(p) for p in body["predictions"]] == [3, 3]
    assert body["predictions"][0][0]["label"] == "positive"
    # One string for the request ("Detected ISO 639-1 language code of the input text", typed string): the
    # batch's Swedish common words (det, är, inte, och, jag, är) outnumber its English ones (is).
    assert body["text_language"] == "sv"
    assert isinstance(body["processing_time_ms"], int) and body["processing_time_ms"] >= 0


def test_the_default_is_the_older_generation_and_a_header_picks_the_newer() -> None:
    with _client(_app()) as http:
        headers = _bearer(http)
        _assert_older(http.post("/v2/models/1/inference", json=TEXTS, headers=headers).json())
        newer = http.post("/v2/models/1/inference", json=TEXTS, headers={**headers, "Labelf-Api-Generation": "newer"})
        _assert_newer(newer.json(), 1)


@pytest.mark.parametrize(
    ("host", "newer"), [("api.labelf.ai", True), ("API.Labelf.AI.", True), ("api.app.labelf.ai", False)]
)
def test_the_host_picks_the_generation(host: str, newer: bool) -> None:
    with _client(_app(), base_url=f"http://{host}") as http:
        body = http.post("/v2/models/1/inference", json=TEXTS, headers=_bearer(http)).json()
    _assert_newer(body, 1) if newer else _assert_older(body)


def test_a_config_key_picks_the_default_generation() -> None:
    with _client(_app(api_generation="newer")) as http:
        headers = _bearer(http)
        _assert_newer(http.post("/v2/models/1/inference", json=TEXTS, headers=headers).json(), 1)
        older = http.post("/v2/models/1/inference", json=TEXTS, headers={**headers, "Labelf-Api-Generation": "older"})
        _assert_older(older.json())
    with pytest.raises(ConfigError, match="'api_generation' has value 'newest'"):
        MockConfig(api_generation="newest")


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (["this is positive"], "en"),
        (["det är inte bra"], "sv"),
        (["das ist nicht gut"], "de"),
        (["xyzzy", "42"], "en"),  # no common word of any language: en
        (["the cat sat on the mat", "det är bra"], "en"),  # 3 English common words against 2 Swedish
        (["the cat", "det är bra och"], "sv"),  # 1 against 3
        (["the cat is", "det är"], "en"),  # a tie goes to en
        (["und die", "och det"], "sv"),  # then to sv
    ],
)
def test_the_newer_generation_names_one_language_for_the_whole_batch(texts: list[str], language: str) -> None:
    with _client(_app(api_generation="newer")) as http:
        body = http.post("/v2/models/1/inference", json={"texts": texts}, headers=_bearer(http)).json()
    assert body["text_language"] == language
    assert len(body["predictions"]) == len(texts)


def test_intercepted_calls_to_the_newer_host_get_the_newer_shape(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_hosts(labelf_intercept):
            token = requests.post(
                "https://auth.app.labelf.ai/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=("CLIENT_ID", "CLIENT_SECRET"),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            body = {"texts": ["this is positive"]}
            newer = requests.post("https://api.labelf.ai/v2/models/1/inference", json=body, headers=headers).json()
            older = requests.post("https://api.app.labelf.ai/v2/models/1/inference", json=body, headers=headers).json()
            assert newer["model_id"] == 1 and newer["predictions"][0][0]["label"] == "positive"
            assert older[0]["predictions"][0]["label"] == "positive"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.fixture
def roles_app() -> MockApp:
    clients = (ClientConfig("CLIENT_ID", "CLIENT_SECRET"), ClientConfig("viewer-app", "viewer-secret", role="viewer"))
    return _app(
        clients=clients,
        api_keys=("lbl_sk_view_only", "lbl_sk_full"),
        api_key_roles=(("lbl_sk_view_only", "viewer"),),
    )


@pytest.mark.parametrize("credential", ["viewer-client", "viewer-key"])
def test_a_viewer_may_list_models_but_not_run_them(roles_app: MockApp, credential: str) -> None:
    with _client(roles_app) as http:
        if credential == "viewer-key":
            headers = {"Authorization": "Bearer lbl_sk_view_only"}
        else:
            headers = _bearer(http, ("viewer-app", "viewer-secret"))
        assert http.get("/v2/models", headers=headers).status_code == 200
        refused = http.post("/v2/models/1/inference", json=TEXTS, headers=headers)
        similarity = {"top_n": 1, "base_texts": {"a": "x"}, "compare_to_texts": {"b": "x"}}
        assert http.post("/v2/similarity", json=similarity, headers=headers).status_code == 403
    assert refused.status_code == 403
    body = refused.json()
    assert set(body) == {"status", "message", "error_code", "request_id"}
    assert (body["status"], body["error_code"]) == (403, "FORBIDDEN") and "'viewer'" in body["message"]


def test_other_roles_and_unlisted_keys_run_models(roles_app: MockApp) -> None:
    with _client(roles_app) as http:
        ran = http.post("/v2/models/1/inference", json=TEXTS, headers={"Authorization": "Bearer lbl_sk_full"})
    assert ran.status_code == 200


def test_a_quota_answers_403_once_used_up_and_resets_per_test() -> None:
    app = _app(quota=5)
    with _client(app) as http:
        headers = _bearer(http)
        multi = {"texts": ["a"], "model_settings": [{"model_id": 1}, {"model_id": 2}]}
        assert http.post("/v2/models/1/inference", json=TEXTS, headers=headers).status_code == 200  # 2 used
        assert http.post("/v2/models/inference", json=multi, headers=headers).status_code == 200  # 2 x 1: 4 used
        refused = http.post("/v2/models/1/inference", json=TEXTS, headers=headers)  # 2 more would make 6
        assert refused.status_code == 403 and refused.json()["error_code"] == "QUOTA_EXCEEDED"
        assert "quota of 5 texts" in refused.json()["message"]
        assert http.post("/v2/models/1/inference", json={"texts": ["one"]}, headers=headers).status_code == 200
        app.mock.reset()
        assert http.post("/v2/models/1/inference", json=TEXTS, headers=_bearer(http)).status_code == 200


def test_a_model_in_training_answers_409() -> None:
    models = (ModelConfig(7, "Topic", ("a", "b"), status="training"),)
    with _client(_app(models=models)) as http:
        conflict = http.post("/v2/models/7/inference", json=TEXTS, headers=_bearer(http))
        listed = http.get("/v2/models/7", headers=_bearer(http)).json()
    assert conflict.status_code == 409 and conflict.json()["error_code"] == "MODEL_TRAINING"
    assert listed["status"] == "training"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500])
def test_faults_answer_every_documented_status_with_the_api_envelope(status: int) -> None:
    app = _app()
    app.mock.faults.add(Fault("inference", status=status))
    with _client(app) as http:
        answer = http.post("/v2/models/1/inference", json=TEXTS, headers=_bearer(http))
    body = answer.json()
    assert answer.status_code == status and body["status"] == status
    assert set(body) == {"status", "message", "error_code", "request_id"}
    assert body["error_code"] != "ERROR"
    if status == 401:
        assert answer.headers["www-authenticate"].startswith("Bearer ")
    if status == 429:
        assert answer.headers["retry-after"].isdigit()


@pytest.fixture
def jwks_http() -> Iterator[httpx.Client]:
    with _client(_app()) as http:
        yield http


def test_the_jwks_is_served_and_in_the_openapi_document(jwks_http: httpx.Client) -> None:
    keys = jwks_http.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]
    paths = jwks_http.get("/openapi.json").json()["paths"]
    assert "/.well-known/jwks.json" in paths
    inference = paths["/v2/models/{model_id}/inference"]["post"]["responses"]
    assert {"403", "409"} <= set(inference) and "oneOf" in inference["200"]["content"]["application/json"]["schema"]
