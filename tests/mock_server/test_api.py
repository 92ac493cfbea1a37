"""The model API under ``/v2``: bearer auth, shapes, limits and every documented error status."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelf_testkit.mock_server import MockApp, MockConfig, ModelConfig
from labelf_testkit.mock_server.clock import ManualClock
from tests.helpers import FORM, GRANT, basic

API_ERROR_KEYS = {"status", "message", "error_code", "request_id"}


@pytest.fixture
def mock_config() -> MockConfig:
    """Default models plus an archived one, and a static API key."""
    models = (*MockConfig().models, ModelConfig("99", "Old", ("a", "b"), status="archived"))
    return MockConfig(models=models, api_keys=("lbl_sk_testkey123",), expires_in=3600)


@pytest.fixture
def token(client: httpx.Client) -> str:
    """A fresh access token for the default client."""
    response = client.post(
        "/oauth2/token", content=GRANT, headers={**FORM, "authorization": basic("CLIENT_ID", "CLIENT_SECRET")}
    )
    value: str = response.json()["access_token"]
    return value


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_api_error(response: httpx.Response, status: int, error_code: str) -> dict[str, Any]:
    detail = f"{response.status_code} {response.text}"
    assert response.status_code == status, detail
    assert response.headers["content-type"] == "application/json", detail
    body: dict[str, Any] = response.json()
    assert set(body) == API_ERROR_KEYS, detail
    assert body["status"] == status and body["error_code"] == error_code, detail
    assert body["request_id"].startswith("req_") and response.headers["x-request-id"] == body["request_id"]
    return body


# Inference
def test_inference_shape_and_order(client: httpx.Client, token: str) -> None:
    response = client.post(
        "/v2/models/1/inference", json={"texts": ["this is positive", "so negative"]}, headers=bearer(token)
    )
    assert response.status_code == 200
    results = response.json()
    assert [r["text"] for r in results] == ["this is positive", "so negative"]
    for result, expected_top in zip(results, ["positive", "negative"], strict=True):
        scores = [p["score"] for p in result["predictions"]]
        assert scores == sorted(scores, reverse=True)
        assert {p["label"] for p in result["predictions"]} == {"positive", "neutral", "negative"}
        assert result["predictions"][0]["label"] == expected_top
        assert sum(scores) == pytest.approx(1.0)


def test_inference_is_deterministic(client: httpx.Client, token: str) -> None:
    body = {"texts": ["same text"]}
    first = client.post("/v2/models/2/inference", json=body, headers=bearer(token)).json()
    assert client.post("/v2/models/2/inference", json=body, headers=bearer(token)).json() == first


def test_max_predictions_and_partial_label_filter(client: httpx.Client, token: str) -> None:
    body = {"texts": ["x"], "max_predictions": 1, "label_filter": ["po", "neu"]}
    (result,) = client.post("/v2/models/1/inference", json=body, headers=bearer(token)).json()
    assert len(result["predictions"]) == 1
    assert result["predictions"][0]["label"] in {"positive", "neutral"}
    (result,) = client.post(
        "/v2/models/1/inference", json={"texts": ["x"], "label_filter": ["po"]}, headers=bearer(token)
    ).json()
    assert [p["label"] for p in result["predictions"]] == ["positive"]


@pytest.mark.parametrize(
    ("body", "error_code"),
    [
        ({}, "MISSING_REQUIRED_FIELD"),
        ({"texts": "one"}, "INVALID_FIELD_TYPE"),
        ({"texts": [1]}, "INVALID_FIELD_TYPE"),
        ({"texts": []}, "INVALID_FIELD_VALUE"),
        ({"texts": ["t"] * 9}, "TOO_MANY_TEXTS"),
        ({"texts": ["a" * 10_001]}, "TEXT_TOO_LONG"),
        ({"texts": ["t"], "max_predictions": 0}, "INVALID_FIELD_VALUE"),
        ({"texts": ["t"], "max_predictions": True}, "INVALID_FIELD_TYPE"),
        ({"texts": ["t"], "label_filter": "po"}, "INVALID_FIELD_TYPE"),
        ([1, 2], "INVALID_FIELD_TYPE"),
    ],
)
def test_inference_validation_is_400(client: httpx.Client, token: str, body: object, error_code: str) -> None:
    assert_api_error(client.post("/v2/models/1/inference", json=body, headers=bearer(token)), 400, error_code)


def test_documented_missing_texts_message(client: httpx.Client, token: str) -> None:
    body = assert_api_error(
        client.post("/v2/models/1/inference", json={}, headers=bearer(token)), 400, "MISSING_REQUIRED_FIELD"
    )
    assert body["message"] == "texts field is required"


def test_limits_are_inclusive(client: httpx.Client, token: str) -> None:
    response = client.post("/v2/models/1/inference", json={"texts": ["a" * 10_000] * 8}, headers=bearer(token))
    assert response.status_code == 200 and len(response.json()) == 8


def test_malformed_json_is_400(client: httpx.Client, token: str) -> None:
    response = client.post(
        "/v2/models/1/inference", content=b'{"texts": [', headers={**bearer(token), "content-type": "application/json"}
    )
    assert_api_error(response, 400, "MALFORMED_JSON")


def test_non_json_body_is_415(client: httpx.Client, token: str) -> None:
    response = client.post("/v2/models/1/inference", content=b"texts=a", headers={**bearer(token), **FORM})
    assert_api_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_oversized_body_is_413(client: httpx.Client, token: str) -> None:
    response = client.post("/v2/models/1/inference", json={"texts": ["a" * (1 << 20)]}, headers=bearer(token))
    assert_api_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_unknown_model_is_404_and_archived_is_400(client: httpx.Client, token: str) -> None:
    assert_api_error(
        client.post("/v2/models/404/inference", json={"texts": ["t"]}, headers=bearer(token)), 404, "MODEL_NOT_FOUND"
    )
    body = assert_api_error(
        client.post("/v2/models/99/inference", json={"texts": ["t"]}, headers=bearer(token)), 400, "MODEL_ARCHIVED"
    )
    assert body["message"] == "Model is archived"


def test_wrong_method_is_405_with_allow(client: httpx.Client, token: str) -> None:
    response = client.get("/v2/models/1/inference", headers=bearer(token))
    assert_api_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"


def test_unknown_api_path_is_404(client: httpx.Client, token: str) -> None:
    assert_api_error(client.get("/v2/nothing", headers=bearer(token)), 404, "NOT_FOUND")


# Multi-model inference
def test_multi_model_inference(client: httpx.Client, token: str) -> None:
    body = {
        "texts": ["billing is positive"],
        "model_settings": [{"model_id": 1, "max_predictions": 1}, {"model_id": "2", "label_filter": ["bill"]}],
    }
    (result,) = client.post("/v2/models/inference", json=body, headers=bearer(token)).json()
    assert result["text"] == "billing is positive"
    assert [m["model_id"] for m in result["models"]] == ["1", "2"]
    assert result["models"][0]["predictions"][0]["label"] == "positive"
    assert [p["label"] for p in result["models"][1]["predictions"]] == ["billing"]


def test_read_full_text_sees_past_512_tokens(client: httpx.Client, token: str) -> None:
    text = "word " * 600 + "negative"
    settings_ = [{"model_id": "1", "read_full_text": False}, {"model_id": "1", "read_full_text": True}]
    (result,) = client.post(
        "/v2/models/inference", json={"texts": [text], "model_settings": settings_}, headers=bearer(token)
    ).json()
    truncated, full = result["models"]
    assert full["predictions"][0]["label"] == "negative"
    assert truncated["predictions"] != full["predictions"]


@pytest.mark.parametrize(
    ("body", "status", "error_code"),
    [
        ({"texts": ["t"]}, 400, "MISSING_REQUIRED_FIELD"),
        ({"texts": ["t"], "model_settings": []}, 400, "INVALID_FIELD_TYPE"),
        ({"texts": ["t"], "model_settings": [{}]}, 400, "MISSING_REQUIRED_FIELD"),
        ({"texts": ["t"], "model_settings": [{"model_id": "1", "read_full_text": "yes"}]}, 400, "INVALID_FIELD_TYPE"),
        ({"texts": ["t"], "model_settings": [{"model_id": "404"}]}, 404, "MODEL_NOT_FOUND"),
        ({"texts": ["t"] * 9, "model_settings": [{"model_id": "1"}]}, 400, "TOO_MANY_TEXTS"),
    ],
)
def test_multi_model_validation(client: httpx.Client, token: str, body: object, status: int, error_code: str) -> None:
    assert_api_error(client.post("/v2/models/inference", json=body, headers=bearer(token)), status, error_code)


# Similarity
def test_similarity_ranks_identical_text_first(client: httpx.Client, token: str) -> None:
    body = {
        "top_n": 2,
        "base_texts": {"a": "the cat sat on the mat", "b": "quarterly revenue grew", "c": "a cat sat"},
        "compare_to_texts": {"q": "the cat sat on the mat"},
    }
    result = client.post("/v2/similarity", json=body, headers=bearer(token)).json()
    assert list(result) == ["q"]
    assert [hit["id"] for hit in result["q"]] == ["a", "c"]
    assert result["q"][0]["similarity"] == 1.0
    assert 0 <= result["q"][1]["similarity"] < 1.0


@pytest.mark.parametrize(
    ("body", "error_code"),
    [
        ({"base_texts": {"a": "x"}, "compare_to_texts": {"b": "y"}}, "MISSING_REQUIRED_FIELD"),
        ({"top_n": 0, "base_texts": {"a": "x"}, "compare_to_texts": {"b": "y"}}, "INVALID_FIELD_VALUE"),
        ({"top_n": 1, "base_texts": ["x"], "compare_to_texts": {"b": "y"}}, "INVALID_FIELD_TYPE"),
        ({"top_n": 1, "base_texts": {}, "compare_to_texts": {"b": "y"}}, "INVALID_FIELD_VALUE"),
        ({"top_n": 1, "base_texts": {"a": "x"}}, "MISSING_REQUIRED_FIELD"),
        ({"top_n": 1, "base_texts": {"a": "x" * 10_001}, "compare_to_texts": {"b": "y"}}, "TEXT_TOO_LONG"),
        (
            {
                "top_n": 1,
                "base_texts": {str(i): "x" for i in range(150)},
                "compare_to_texts": {str(i): "y" for i in range(51)},
            },
            "TOO_MANY_TEXTS",
        ),
    ],
)
def test_similarity_validation(client: httpx.Client, token: str, body: object, error_code: str) -> None:
    assert_api_error(client.post("/v2/similarity", json=body, headers=bearer(token)), 400, error_code)


def test_similarity_accepts_exactly_200_texts(client: httpx.Client, token: str) -> None:
    body = {"top_n": 3, "base_texts": {str(i): f"text {i}" for i in range(199)}, "compare_to_texts": {"q": "text 5"}}
    result = client.post("/v2/similarity", json=body, headers=bearer(token)).json()
    assert result["q"][0] == {"id": "5", "similarity": 1.0} and len(result["q"]) == 3


# Models
def test_models_list_and_detail(client: httpx.Client, token: str) -> None:
    listed = client.get("/v2/models", headers=bearer(token)).json()["models"]
    assert {"id": "1", "name": "Sentiment", "type": "classification", "status": "ready"} in listed
    detail = client.get("/v2/models/1", headers=bearer(token)).json()
    assert detail["labels"] == ["positive", "neutral", "negative"]
    assert_api_error(client.get("/v2/models/404", headers=bearer(token)), 404, "MODEL_NOT_FOUND")


# Bearer authentication
def challenge(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    value: str = response.headers["www-authenticate"]
    assert value.startswith('Bearer realm="labelf"')  # RFC 6750 §3: at least one auth-param
    assert "\\" not in value
    return value


@pytest.mark.parametrize("authorization", [None, "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=", "Bearer", "Bearer   "])
def test_no_token_gets_a_challenge_without_error(client: httpx.Client, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = client.get("/v2/models", headers=headers)
    assert "error=" not in challenge(response)
    body = assert_api_error(response, 401, "UNAUTHORIZED")
    assert body["message"] == "Missing or invalid API key. Check your Authorization header."


@pytest.mark.parametrize("sent", ["garbage", "ory_at_" + "A" * 43 + "." + "B" * 43, "lbl_sk_wrong"])
def test_foreign_tokens_get_invalid_token(client: httpx.Client, sent: str) -> None:
    response = client.get("/v2/models", headers=bearer(sent))
    assert 'error="invalid_token"' in challenge(response)
    assert_api_error(response, 401, "INVALID_TOKEN")


def test_scheme_is_case_insensitive_and_static_keys_work(client: httpx.Client, token: str) -> None:
    assert client.get("/v2/models", headers={"authorization": f"bearer  {token}"}).status_code == 200
    assert client.get("/v2/models", headers=bearer("lbl_sk_testkey123")).status_code == 200


def test_token_expires_by_the_mock_clock(app: MockApp, client: httpx.Client, token: str) -> None:
    clock = app.mock.clock
    assert isinstance(clock, ManualClock)
    clock.freeze()
    clock.advance(3598)
    assert client.get("/v2/models", headers=bearer(token)).status_code == 200
    clock.advance(2)
    response = client.get("/v2/models", headers=bearer(token))
    assert 'error_description="The access token expired"' in challenge(response)


def test_token_from_another_mock_instance_is_refused(client: httpx.Client) -> None:
    from labelf_testkit.mock_server import InProcessTransport, create_app

    with httpx.Client(transport=InProcessTransport(create_app()), base_url="http://other") as other:
        foreign = other.post(
            "/oauth2/token", content=GRANT, headers={**FORM, "authorization": basic("CLIENT_ID", "CLIENT_SECRET")}
        ).json()["access_token"]
    assert "not issued by this server" in challenge(client.get("/v2/models", headers=bearer(foreign)))


def test_auth_comes_before_validation_and_404(client: httpx.Client) -> None:
    assert client.post("/v2/models/404/inference", json={}).status_code == 401


# Properties: any JSON gets a documented status and body, never a 5xx.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=10) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
request_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"texts": json_values},
        optional={"max_predictions": json_values, "label_filter": json_values, "model_settings": json_values},
    ),
    st.fixed_dictionaries({"top_n": json_values, "base_texts": json_values, "compare_to_texts": json_values}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=request_bodies,
    path=st.sampled_from(
        ["/v2/models/1/inference", "/v2/models/inference", "/v2/similarity", "/v2/models/x/inference"]
    ),
)
def test_any_json_body_gets_a_documented_answer(client: httpx.Client, token: str, body: object, path: str) -> None:
    response = client.post(
        path, content=json.dumps(body).encode(), headers={**bearer(token), "content-type": "application/json"}
    )
    assert response.status_code in {200, 400, 404}, response.text
    if response.status_code != 200:
        assert set(response.json()) == API_ERROR_KEYS


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_any_bytes_never_5xx(client: httpx.Client, token: str, raw: bytes) -> None:
    response = client.post("/v2/similarity", content=raw, headers={**bearer(token), "content-type": "application/json"})
    assert response.status_code in {200, 400}
