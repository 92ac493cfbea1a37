"""A mistake in a control request is a 4xx naming the field and what it takes, never a 500: schemathesis over
the control API's own OpenAPI document, and hypothesis over arbitrary JSON bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from starlette.types import Receive, Scope, Send

from labelf_testkit.mock_server import InProcessTransport, create_app
from labelf_testkit.mock_server.control import ControlledApp

from .conftest import BASE, DEFAULT

_APP = ControlledApp(create_app())


async def _from_loopback(scope: Scope, receive: Receive, send: Send) -> None:
    # Starlette's test client reports its peer as "testclient": here it is the loopback client it stands for.
    await _APP({**scope, "client": ("127.0.0.1", 50000)}, receive, send)


@schemathesis.serializer("application/toml")
def _toml_text(context: schemathesis.SerializationContext, value: object) -> bytes:
    # A recording upload's TOML body is text: send what was generated as it is (anything else: its str()).
    return (value if isinstance(value, str) else str(value)).encode("utf-8", "surrogatepass")


schema = schemathesis.openapi.from_asgi(
    "/__labelf/openapi.json",
    _from_loopback,
    config=schemathesis.Config.from_dict({"generation": {"mode": "all"}}),
    headers={"host": "127.0.0.1:8080"},
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_control_operation_never_5xx_and_conforms(case: Any) -> None:
    if "session_id" in case.path_parameters and case.path_parameters["session_id"] != "":
        case.path_parameters["session_id"] = "default"
    response = case.call(headers={"host": "127.0.0.1:8080"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and response.status_code not in (404, 409):
        assert set(response.json()) == {"error", "message", "field", "allowed"}, response.text
    try:
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance])
    except FailureGroup as failure:
        pytest.fail(str(failure))
    _APP.mock.reset()


_LEAF = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
)
JSON = st.one_of(
    _LEAF,
    st.lists(_LEAF, max_size=3),
    st.dictionaries(st.text(max_size=8), _LEAF | st.lists(_LEAF, max_size=3), max_size=3),
)
FIELDS = st.sampled_from(
    [
        "kind",
        "route",
        "times",
        "status",
        "body",
        "headers",
        "delay",
        "seconds",
        "retry_after",
        "texts",
        "scores",
        "match_json",
        "match_json_exact",
        "match_headers",
        "match_query",
        "model_id",
        "score",
        "compare",
        "at",
        "token",
    ]
)
KINDS = st.sampled_from(["fail", "rate_limit", "delay", "malformed_json", "empty_body", "drop", "nope", 3])
PATHS = st.sampled_from(
    [
        "/faults",
        "/models/2/answer",
        "/similarity_score",
        "/clock/freeze",
        "/clock/advance",
        "/tokens",
        "/tokens/revoke",
        "/calls",
        "/verify/called",
        "/verify/token_fetched",
    ]
)


@given(path=PATHS, body=st.dictionaries(FIELDS, JSON, max_size=5), kind=KINDS)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_json_body_is_answered_or_refused_by_name(path: str, body: dict[str, Any], kind: object) -> None:
    if path == "/faults":
        body = {"route": "inference", **body, "kind": kind}
    with httpx.Client(transport=InProcessTransport(_APP), base_url=BASE) as http:
        response = http.post(f"{DEFAULT}{path}", json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and not (response.status_code == 409 and path.startswith("/verify")):
        refusal = response.json()
        assert set(refusal) == {"error", "message", "field", "allowed"}
        if refusal["error"] == "invalid_field":
            assert refusal["field"] and refusal["field"] in refusal["message"]
    _APP.mock.reset()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field", "allowed"),
    [
        ("POST", "/faults", {"kind": "fail", "route": "inference", "status": 99}, 400, "status", None),
        (
            "POST",
            "/faults",
            {"kind": "explode", "route": "inference"},
            400,
            "kind",
            ["fail", "rate_limit", "delay", "malformed_json", "empty_body", "drop"],
        ),
        (
            "POST",
            "/faults",
            {"kind": "drop", "route": "inference", "status": 500},
            400,
            "status",
            ["kind", "route", "times", "match_json", "match_json_exact", "match_headers", "match_query", "model_id"],
        ),
        (
            "POST",
            "/faults",
            {"kind": "fail", "route": "inference", "match_headers": {"a": 1}},
            400,
            "match_headers",
            None,
        ),
        ("POST", "/faults", {"kind": "fail", "route": "inference", "match_query": {"a": 1}}, 400, "match_query", None),
        ("POST", "/faults", {"kind": "fail", "route": "inference", "model_id": True}, 400, "model_id", None),
        ("POST", "/faults", {"kind": "delay", "route": "inference"}, 400, "seconds", None),
        (
            "POST",
            "/models/2/answer",
            {"texts": "x", "scores": {"refunds": 0.5}},
            400,
            "scores",
            ["billing", "delivery", "product quality", "account", "other"],
        ),
        (
            "POST",
            "/models/2/answer",
            {"texts": "x", "scores": {"billing": 1.5}},
            400,
            "scores",
            ["billing", "delivery", "product quality", "account", "other"],
        ),
        ("POST", "/models/2/answer", {"texts": {"pattern": "("}, "scores": {"billing": 0.5}}, 400, "texts", None),
        ("POST", "/models/9/answer", {"texts": "x", "scores": {"a": 0.5}}, 404, "model_id", ["1", "2", "3"]),
        ("POST", "/models/1/explode", None, 404, "action", ["archive", "train", "remove", "restore", "answer"]),
        ("POST", "/clock/rewind", None, 404, "action", ["freeze", "advance", "reset"]),
        ("POST", "/clock/advance", {"seconds": -1}, 400, "seconds", None),
        (
            "POST",
            "/verify/everything",
            None,
            404,
            "check",
            ["called", "not_called", "token_fetched", "api_calls_used_latest_token", "no_requests", "all_faults_used"],
        ),
        ("POST", "/tokens", {"client_id": "someone"}, 400, "client_id", ["CLIENT_ID"]),
        ("POST", "/tokens/revoke", {"token": "ory_at_nope"}, 400, "token", None),
        ("PUT", "/token/expires_in", {}, 400, "seconds", None),
        ("DELETE", "/clock", None, 405, "method", ["GET"]),
        ("GET", "/nowhere", None, 404, "path", None),
    ],
)
def test_mistakes_name_the_field_and_allowed_values(
    http: httpx.Client, method: str, path: str, body: Any, status: int, field: str, allowed: list[str] | None
) -> None:
    response = http.request(method, f"{DEFAULT}{path}", json=body)
    assert response.status_code == status, response.text
    refusal = response.json()
    assert (refusal["field"], refusal["allowed"]) == (field, allowed), refusal


def test_not_json_and_unknown_session(http: httpx.Client) -> None:
    broken = http.post(f"{DEFAULT}/faults", content=b"{nope")
    assert (broken.status_code, broken.json()["error"]) == (400, "invalid_json")
    listed = http.post(f"{DEFAULT}/faults", json=[1])
    assert (listed.status_code, listed.json()["error"]) == (400, "invalid_json")
    missing = http.get("/__labelf/sessions/abc/faults")
    assert (missing.status_code, missing.json()["field"]) == (404, "session_id")
    assert "GET /__labelf/sessions" in missing.json()["message"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/journal", {"limit": "9" * 5000}, "limit"),
        ("/journal", {"limit": "²"}, "limit"),
        ("/journal", {"limit": "0"}, "limit"),
        ("/journal", {"status": "9" * 5000}, "status"),
        ("/journal", {"status": "٥٠٣"}, "status"),
    ],
)
def test_numbers_in_queries_are_checked_not_crashed_on(
    http: httpx.Client, path: str, query: dict[str, str], field: str
) -> None:
    response = http.get(f"{DEFAULT}{path}", params=query)
    assert (response.status_code, response.json()["field"]) == (400, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "fail", "route": "token", "headers": {"X-A": "a\r\nSet-Cookie: x=1"}}, "headers"),
        ({"kind": "fail", "route": "token", "headers": {"Bad Name": "x"}}, "headers"),
        ({"kind": "fail", "route": "token", "headers": {"X-A": "☃"}}, "headers"),
        ({"kind": "rate_limit", "route": "token", "retry_after": "1\n2"}, "retry_after"),
        ({"kind": "rate_limit", "route": "token", "retry_after": -3}, "retry_after"),
        ({"kind": "rate_limit", "route": "token", "retry_after": "soon"}, "retry_after"),
        ({"kind": "delay", "route": "token", "seconds": 10**400}, "seconds"),
    ],
)
def test_what_an_answer_cannot_carry_is_refused(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = http.post(f"{DEFAULT}/faults", content=json.dumps(body))
    assert (response.status_code, response.json()["field"]) == (400, field), response.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/models/2/answer", {"texts": "x", "scores": {"": 0.5}}, "scores"),
        ("/models/2/answer", {"texts": "x", "scores": {"refunds": 0.5}}, "scores"),
    ],
)
def test_a_refusal_names_its_field_in_the_message(path: str, body: dict[str, Any], field: str) -> None:
    # The property above found this one only on some seeds: a label the model lacks named no field in the message.
    with httpx.Client(transport=InProcessTransport(_APP), base_url=BASE) as http:
        refusal = http.post(f"{DEFAULT}{path}", json=body).json()
    assert refusal["field"] == field
    assert field in refusal["message"], refusal


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"match_json": '{"texts":'}, "match_json"),
        ({"match_json_exact": '["a", '}, "match_json_exact"),
        ({"match_json": '"unterminated'}, "match_json"),
    ],
)
def test_broken_json_in_a_journal_query_is_refused_not_matched_as_text(
    http: httpx.Client, query: dict[str, str], field: str
) -> None:
    response = http.get(f"{DEFAULT}/journal", params=query)
    assert (response.status_code, response.json()["field"]) == (400, field), response.text
    assert "is not JSON text" in response.json()["message"]


def test_a_bare_word_in_a_journal_query_is_still_a_string(http: httpx.Client) -> None:
    assert http.get(f"{DEFAULT}/journal", params={"model_id": "abc"}).status_code == 200
