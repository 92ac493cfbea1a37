"""Faults, scripts, model states, clock and tokens planned over the control API change what the mock answers,
one-to-one with the Python handle."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from labelf_testkit.mock_server.control import ControlledApp

from .conftest import DEFAULT, classify, token_of


def plan(http: httpx.Client, **fault: Any) -> dict[str, Any]:
    response = http.post(f"{DEFAULT}/faults", json=fault)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_fail_answers_the_status_then_the_route_recovers(http: httpx.Client) -> None:
    token = token_of(http)
    plan(http, kind="fail", route="inference", status=503, times=2)
    assert [classify(http, token, ["a"]).status_code for _ in range(3)] == [503, 503, 200]
    faults = http.get(f"{DEFAULT}/faults").json()["faults"]
    assert faults[0] | {"description": ""} == {
        "id": 0,
        "route": "inference",
        "kind": "fail",
        "status": 503,
        "delay": 0.0,
        "times": 2,
        "hits": 2,
        "remaining": 0,
        "pending": False,
        "match": None,
        "description": "",
    }


def test_remaining_counts_down_and_null_times_is_every_call(http: httpx.Client) -> None:
    token = token_of(http)
    plan(http, kind="fail", route="inference", status=500, times=3)
    plan(http, kind="fail", route="similarity", times=None)
    classify(http, token, ["a"])
    first, second = http.get(f"{DEFAULT}/faults").json()["faults"]
    assert (first["hits"], first["remaining"], first["pending"]) == (1, 2, True)
    assert (second["times"], second["remaining"]) == (None, None)


def test_fail_with_body_headers_and_a_custom_status(http: httpx.Client) -> None:
    token = token_of(http)
    plan(http, kind="fail", route="inference", status=418, body={"oops": True}, headers={"X-Why": "test"})
    response = classify(http, token, ["a"])
    assert (response.status_code, response.json(), response.headers["x-why"]) == (418, {"oops": True}, "test")


def test_rate_limit_sends_retry_after(http: httpx.Client) -> None:
    token = token_of(http)
    plan(http, kind="rate_limit", route="inference", retry_after=7)
    response = classify(http, token, ["a"])
    assert (response.status_code, response.headers["retry-after"]) == (429, "7")


@pytest.mark.parametrize(("kind", "content"), [("malformed_json", b'[{"text": "trunc'), ("empty_body", b"")])
def test_broken_bodies(http: httpx.Client, kind: str, content: bytes) -> None:
    token = token_of(http)
    plan(http, kind=kind, route="inference")
    response = classify(http, token, ["a"])
    assert (response.status_code, response.content) == (200, content)


def test_delay_is_planned_and_answers_normally(http: httpx.Client) -> None:
    token = token_of(http)
    fault = plan(http, kind="delay", route="inference", seconds=0.001)
    assert fault["kind"] == "delay" and fault["delay"] == 0.001
    assert classify(http, token, ["a"]).status_code == 200
    assert http.get(f"{DEFAULT}/faults").json()["faults"][0]["hits"] == 1


def test_drop_closes_without_an_answer_in_process(http: httpx.Client) -> None:
    token = token_of(http)
    plan(http, kind="drop", route="inference")
    with pytest.raises(httpx.RemoteProtocolError):
        classify(http, token, ["a"])


@pytest.mark.parametrize(
    ("criteria", "hit", "miss"),
    [
        ({"match_json": {"texts": ["boom"]}}, {"json": {"texts": ["boom"]}}, {"json": {"texts": ["fine"]}}),
        (
            {"match_json_exact": {"texts": ["boom"]}},
            {"json": {"texts": ["boom"]}},
            {"json": {"texts": ["boom"], "max_predictions": 1}},
        ),
        (
            {"match_headers": {"X-Tenant": "acme"}},
            {"json": {"texts": ["a"]}, "headers": {"x-tenant": "acme"}},
            {"json": {"texts": ["a"]}, "headers": {"x-tenant": "other"}},
        ),
        (
            {"match_query": {"page": "2"}},
            {"json": {"texts": ["a"]}, "params": {"page": "2"}},
            {"json": {"texts": ["a"]}},
        ),
    ],
)
def test_every_criterion_narrows_a_fault(
    http: httpx.Client, criteria: dict[str, Any], hit: dict[str, Any], miss: dict[str, Any]
) -> None:
    token = token_of(http)
    plan(http, kind="fail", route="inference", status=503, times=None, **criteria)
    auth = {"authorization": f"Bearer {token}"}
    miss_headers, hit_headers = {**auth, **miss.pop("headers", {})}, {**auth, **hit.pop("headers", {})}
    assert http.post("/v2/models/1/inference", headers=miss_headers, **miss).status_code == 200
    assert http.post("/v2/models/1/inference", headers=hit_headers, **hit).status_code == 503


def test_model_id_criterion(http: httpx.Client) -> None:
    token = token_of(http)
    plan(http, kind="fail", route="inference", status=503, model_id=2)
    assert classify(http, token, ["a"], model=1).status_code == 200
    assert classify(http, token, ["a"], model=2).status_code == 503


def test_scripted_answer_with_a_pattern_and_times(http: httpx.Client) -> None:
    token = token_of(http)
    body = {"texts": [{"pattern": "refund", "flags": "i"}], "scores": {"billing": 0.9}, "times": 1}
    created = http.post(f"{DEFAULT}/models/2/answer", json=body)
    assert created.status_code == 201, created.text
    first = classify(http, token, ["A REFUND please"], model=2).json()[0]["predictions"][0]
    second = classify(http, token, ["A REFUND please"], model=2).json()[0]["predictions"][0]
    assert first == {"label": "billing", "score": 0.9}
    assert second != first
    assert http.get(f"{DEFAULT}/scripts").json()["scripts"][0]["hits"] == 1


def test_similarity_score(http: httpx.Client) -> None:
    token = token_of(http)
    response = http.post(f"{DEFAULT}/similarity_score", json={"compare": "q", "base": "hello", "score": 0.42})
    assert response.status_code == 201, response.text
    answer = http.post(
        "/v2/similarity",
        json={"top_n": 1, "base_texts": {"a": "hello"}, "compare_to_texts": {"x": "q"}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert answer.json() == {"x": [{"id": "a", "similarity": 0.42}]}


@pytest.mark.parametrize(
    ("action", "status", "listed"),
    [("archive", 400, "archived"), ("train", 409, "training"), ("remove", 404, "removed")],
)
def test_model_states_and_restore(http: httpx.Client, action: str, status: int, listed: str) -> None:
    token = token_of(http)
    changed = http.post(f"{DEFAULT}/models/1/{action}")
    assert changed.json()["status"] == listed
    assert classify(http, token, ["a"]).status_code == status
    assert http.post(f"{DEFAULT}/models/1/restore").json()["status"] == "ready"
    assert classify(http, token, ["a"]).status_code == 200


def test_clock_freeze_advance_expire_and_reset(http: httpx.Client) -> None:
    assert http.post(f"{DEFAULT}/clock/freeze", json={"at": 1_000_000}).json()["frozen"] is True
    assert http.put(f"{DEFAULT}/token/expires_in", json={"seconds": 60}).json() == {"seconds": 60}
    token = token_of(http)
    assert http.post(f"{DEFAULT}/clock/advance", json={"seconds": 59}).json()["now"] == 1_000_059
    assert classify(http, token, ["a"]).status_code == 200
    http.post(f"{DEFAULT}/clock/advance", json={"seconds": 1})
    assert classify(http, token, ["a"]).status_code == 401
    assert http.get(f"{DEFAULT}/clock").json()["now"] == 1_000_060
    assert http.post(f"{DEFAULT}/clock/reset").json()["frozen"] is False


def test_issue_revoke_and_claims(http: httpx.Client) -> None:
    issued = http.post(f"{DEFAULT}/tokens", json={"expires_in": 30})
    assert issued.status_code == 201
    token = issued.json()["access_token"]
    assert issued.json()["expires_in"] == 30
    assert http.post(f"{DEFAULT}/tokens/claims", json={"token": token}).json()["client_id"] == "CLIENT_ID"
    assert classify(http, token, ["a"]).status_code == 200
    revoked = http.post(f"{DEFAULT}/tokens/revoke", json={"token": token})
    assert revoked.json()["revoked"].startswith("sha256:") and token not in revoked.text
    assert classify(http, token, ["a"]).status_code == 401
    assert "keys" in http.get(f"{DEFAULT}/jwks").json()


def test_reset_is_a_clean_slate(http: httpx.Client, controlled: ControlledApp) -> None:
    token = token_of(http)
    plan(http, kind="fail", route="token")
    http.post(f"{DEFAULT}/clock/freeze")
    http.post(f"{DEFAULT}/models/1/archive")
    classify(http, token, ["a"])
    assert http.post(f"{DEFAULT}/reset").status_code == 200
    state = controlled.mock
    assert (len(state.faults), len(state.journal), state.scripts.model("1") is not None) == (0, 0, True)
    assert http.get(f"{DEFAULT}/clock").json()["frozen"] is False


def test_control_requests_are_never_journaled(http: httpx.Client, controlled: ControlledApp) -> None:
    http.get("/__labelf")
    http.get(f"{DEFAULT}/journal")
    plan(http, kind="fail", route="token")
    assert len(controlled.mock.journal) == 0
    assert json.loads(http.get(f"{DEFAULT}/journal").text)["total"] == 0


def test_range_refusals_read_as_a_person_writes_them(http: httpx.Client) -> None:
    times = http.post(f"{DEFAULT}/faults", json={"kind": "fail", "route": "token", "status": 503, "times": 0})
    assert times.status_code == 400
    assert times.json()["message"] == "times takes an integer of at least 1, or null, got 0."
    at = http.post(f"{DEFAULT}/clock/freeze", json={"at": 1e12})
    assert at.status_code == 400
    assert at.json()["message"] == "at takes a number from 0 to 253402300799, got 1000000000000."
