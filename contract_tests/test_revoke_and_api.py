"""Revocation and model API checks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from labelf_testkit.contract_tests.service import ContractTarget
from labelf_testkit.contract_tests.verify import CheckResults, describe, error_code

checks = pytest.mark.labelf_checks
API_ERROR_KEYS = {"status", "message", "error_code", "request_id"}


def _api_error_body(check: CheckResults, response_json: object, where: str) -> None:
    ok = isinstance(response_json, dict) and set(response_json) >= API_ERROR_KEYS
    check("API-ERR-002", ok, f"{where}: body {str(response_json)[:200]}")


def _json(response: object) -> object:
    try:
        return response.json()  # type: ignore[attr-defined]
    except ValueError:
        return None


@pytest.mark.contract_revoke
@checks("REVOKE-001", "REVOKE-004")
def test_revoked_token_is_refused(contract_target: ContractTarget, check: CheckResults) -> None:
    model_id = contract_target.require_model()
    token = contract_target.fresh_token()
    path = f"/v2/models/{model_id}/inference"
    before = contract_target.api("POST", path, token, {"texts": ["hello"]})
    revoked = contract_target.revoke(f"token={token}")
    after = contract_target.api("POST", path, token, {"texts": ["hello"]})
    check("REVOKE-001", before.status_code == 200, f"token refused before revocation: {describe(before)}")
    check("REVOKE-001", revoked.status_code == 200, describe(revoked))
    check("REVOKE-001", after.status_code == 401, f"revoked token still works: {describe(after)}")
    check("REVOKE-004", revoked.content == b"", f"revocation body {revoked.text[:100]!r}")


@pytest.mark.contract_revoke
@checks("REVOKE-002")
def test_revoking_an_unknown_token(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.revoke("token=labelf-contract-not-a-token")
    check("REVOKE-002", response.status_code == 200, describe(response))


@pytest.mark.contract_revoke
@checks("REVOKE-003")
def test_revoke_without_client_auth(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.revoke("token=x", authorization=None)
    verdict = (response.status_code, error_code(response))
    check("REVOKE-003", verdict in {(400, "invalid_request"), (401, "invalid_client")}, describe(response))


@pytest.mark.contract_api
@checks("API-AUTH-001", "API-AUTH-002", "API-AUTH-003")
def test_api_refuses_missing_and_foreign_tokens(contract_target: ContractTarget, check: CheckResults) -> None:
    model_id = contract_target.require_model()
    path = f"/v2/models/{model_id}/inference"
    missing = contract_target.api("POST", path, None, {"texts": ["hello"]})
    foreign = contract_target.api("POST", path, "labelf-contract-foreign-token", {"texts": ["hello"]})
    check("API-AUTH-001", missing.status_code == 401, describe(missing))
    check("API-AUTH-002", foreign.status_code == 401, describe(foreign))
    for response in (missing, foreign):
        challenge = response.headers.get("www-authenticate", "")
        scheme, _, params = challenge.partition(" ")
        check("API-AUTH-003", scheme.lower() == "bearer" and "=" in params, f"WWW-Authenticate {challenge!r}")


@pytest.fixture(scope="module")
def api_token(contract_target: ContractTarget) -> str:
    """One token for all API shape and limit checks (saves live requests)."""
    return contract_target.fresh_token()


def _prediction_lists(body: object, texts: list[str]) -> tuple[str | None, list[Any] | None]:
    """The generation ``body`` matches (``older``/``newer``) and its prediction lists, one per text."""
    items = body if isinstance(body, list) and all(isinstance(r, dict) for r in body) else None
    if items is not None and [r.get("text") for r in items] == texts:
        return "older", [r.get("predictions") for r in items]
    if isinstance(body, dict) and isinstance(body.get("predictions"), list) and len(body["predictions"]) == len(texts):
        return "newer", body["predictions"]
    return None, None


def _check_newer_fields(check: CheckResults, body: dict[str, Any], count: int, where: str) -> None:
    model_id, language, elapsed = body.get("model_id"), body.get("text_language"), body.get("processing_time_ms")
    predictions = body.get("predictions")
    ok = (
        isinstance(model_id, int)
        and not isinstance(model_id, bool)
        and isinstance(predictions, list)
        and len(predictions) == count
        # One string for the request: "Detected ISO 639-1 language code of the input text" (newer docs,
        # /classification, typed string), two lower-case letters.
        and isinstance(language, str)
        and re.fullmatch("[a-z]{2}", language) is not None
        and isinstance(elapsed, int)
        and not isinstance(elapsed, bool)
        and elapsed >= 0
    )
    check("API-INFER-003", ok, f"{where}: {str(body)[:200]}")


@pytest.mark.contract_api
@checks("API-INFER-001", "API-INFER-002", "API-GEN-001", "API-INFER-003")
def test_inference_shape_and_filter(contract_target: ContractTarget, api_token: str, check: CheckResults) -> None:
    path = f"/v2/models/{contract_target.require_model()}/inference"
    texts = ["This is positive", "hello"]
    response = contract_target.api("POST", path, api_token, {"texts": texts, "max_predictions": 2})
    body = _json(response)
    generation, lists = _prediction_lists(body, texts)
    check("API-INFER-001", response.status_code == 200 and lists is not None, describe(response))
    check("API-GEN-001", generation is not None, f"matches neither documented generation: {describe(response)}")
    if generation is not None:
        check.note("API-GEN-001", f"the service answered the {generation} generation")
    for predictions in lists or []:
        scores = [p.get("score") for p in predictions] if isinstance(predictions, list) else None
        valid = scores is not None and all(isinstance(s, int | float) and 0 <= s <= 1 for s in scores)
        check(
            "API-INFER-001",
            valid and scores == sorted(scores, reverse=True) and len(scores) <= 2,  # type: ignore[arg-type]
            f"predictions {str(predictions)[:200]}",
        )
    _newer_generation(contract_target, check, path, api_token, body if generation == "newer" else None)
    if not lists:
        return
    first_label = str(lists[0][0]["label"])
    needle = first_label[:2]
    filtered = contract_target.api("POST", path, api_token, {"texts": ["hello"], "label_filter": [needle]})
    _, filtered_lists = _prediction_lists(_json(filtered), ["hello"])
    labels = [p["label"] for p in filtered_lists[0]] if filtered.status_code == 200 and filtered_lists else None
    check(
        "API-INFER-002",
        labels is not None and first_label in labels and all(needle.lower() in str(label).lower() for label in labels),
        f"filter {needle!r} gave {labels}",
    )


def _newer_generation(target: ContractTarget, check: CheckResults, path: str, token: str, newer_body: object) -> None:
    """API-INFER-003 on the newer shape: what the service answered, or for the mock, what it serves on request."""
    if isinstance(newer_body, dict):
        _check_newer_fields(check, newer_body, 2, "inference")
        return
    if target.live:  # one generation per service, and no way to ask for the other
        check.not_run("API-INFER-003", "the service answered the older generation")
        return
    texts = ["This is positive"]
    response = target.api("POST", path, token, {"texts": texts}, {"labelf-api-generation": "newer"})
    generation, _ = _prediction_lists(_json(response), texts)
    body = _json(response)
    if generation != "newer" or not isinstance(body, dict):
        check("API-INFER-003", False, f"asked for the newer generation: {describe(response)}")
        return
    _check_newer_fields(check, body, 1, "inference (Labelf-Api-Generation: newer)")


@pytest.mark.contract_api
@checks("API-SIM-001")
def test_similarity_shape(contract_target: ContractTarget, api_token: str, check: CheckResults) -> None:
    body = {
        "top_n": 2,
        "base_texts": {"a": "the cat sat on the mat", "b": "quarterly revenue", "c": "dogs bark"},
        "compare_to_texts": {"q": "the cat sat on the mat"},
    }
    response = contract_target.api("POST", "/v2/similarity", api_token, body)
    result = _json(response)
    hits = result.get("q") if isinstance(result, dict) else None
    ok = response.status_code == 200 and isinstance(hits, list) and 0 < len(hits) <= 2
    check("API-SIM-001", ok, describe(response))
    if ok:
        scores = [hit.get("similarity") for hit in hits]  # type: ignore[union-attr]
        check("API-SIM-001", hits[0].get("id") == "a" and scores == sorted(scores, reverse=True), f"ranking {hits}")  # type: ignore[index]


@pytest.mark.contract_api
@checks("API-LIMIT-001", "API-LIMIT-002", "API-LIMIT-003", "API-ERR-001", "API-ERR-002", "API-404-001")
def test_limits_and_errors(contract_target: ContractTarget, api_token: str, check: CheckResults) -> None:
    path = f"/v2/models/{contract_target.require_model()}/inference"
    cases = [
        ("API-LIMIT-001", path, {"texts": ["t"] * 9}, 400),
        ("API-LIMIT-002", path, {"texts": ["a" * 10_001]}, 400),
        (
            "API-LIMIT-003",
            "/v2/similarity",
            {
                "top_n": 1,
                "base_texts": {str(i): "x" for i in range(150)},
                "compare_to_texts": {str(i): "y" for i in range(51)},
            },
            400,
        ),
        ("API-ERR-001", path, {}, 400),
        ("API-404-001", "/v2/models/labelf-contract-no-such-model/inference", {"texts": ["t"]}, 404),
    ]
    for check_id, where, body, status in cases:
        response = contract_target.api("POST", where, api_token, body)
        check(check_id, response.status_code == status, f"expected {status}: {describe(response)}")
        _api_error_body(check, _json(response), check_id)
