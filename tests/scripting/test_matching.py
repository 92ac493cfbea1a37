"""Faults that match on what a request carries: JSON body (partly or whole), headers, query, model id; the body
is read only when a fault needs it, never past max_body_bytes, and the app still sees it whole."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelf_testkit import LabelfMock, UnusedFaultsError
from labelf_testkit.mock_server import (
    Fault,
    FaultPlan,
    InProcessTransport,
    MockConfig,
    RequestFacts,
    RequestMatch,
    create_app,
)
from labelf_testkit.mock_server.middleware.faults import FaultMiddleware


def infer(api: httpx.Client, texts: list[str], model: str = "2", **extra: object) -> httpx.Response:
    return api.post(f"/models/{model}/inference", json={"texts": texts, **extra})


def test_a_fault_hits_only_the_call_whose_body_matches(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=503, match_json={"texts": ["boom"]})
    assert infer(api, ["fine"]).status_code == 200
    assert infer(api, ["boom"], max_predictions=1).status_code == 503  # other keys do not matter
    assert infer(api, ["boom"]).status_code == 200  # used up
    labelf_mock.assert_all_faults_used()


def test_one_of_two_interleaved_calls_is_hit(labelf_mock: LabelfMock) -> None:
    """Two inference calls in flight at once on two connections: the fault hits exactly the one carrying
    ``boom``, and the other gets its own text back (the body read for matching was handed on intact)."""
    labelf_mock.inference.fail(status=503, match_json={"texts": ["boom"]})
    token = labelf_mock.issue_token()
    both_sent = threading.Barrier(2)
    results: dict[str, httpx.Response] = {}

    def body_in_two_parts(text: str) -> Iterator[bytes]:
        encoded = json.dumps({"texts": [text]}).encode()
        yield encoded[:5]
        both_sent.wait(timeout=10)  # each request is half sent when the other starts: they interleave
        yield encoded[5:]

    def call(text: str) -> None:
        with httpx.Client(verify=labelf_mock.ca_bundle or True) as http:
            results[text] = http.post(
                f"{labelf_mock.api_url}/models/2/inference",
                content=body_in_two_parts(text),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )

    threads = [threading.Thread(target=call, args=(text,)) for text in ("fine", "boom")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results["boom"].status_code == 503
    assert results["fine"].status_code == 200
    assert results["fine"].json()[0]["text"] == "fine"
    assert [entry.fault is not None for entry in labelf_mock.inference.calls_where(match_json={"texts": ["boom"]})] == [
        True
    ]


def test_whole_body_and_predicates(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=500, match_json_exact={"texts": ["a"]})
    labelf_mock.inference.fail(status=502, match_json=lambda body: "boom" in body["texts"])
    assert infer(api, ["a"], max_predictions=1).status_code == 200  # not the whole body
    assert infer(api, ["x", "boom"]).status_code == 502
    assert infer(api, ["a"]).status_code == 500


def test_headers_query_and_model_id(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=500, match_headers={"X-Tenant": "acme"})
    labelf_mock.models.fail(status=500, match_query={"page": "2"})
    labelf_mock.inference.fail(status=503, model_id=3)
    assert api.post("/models/2/inference", json={"texts": ["a"]}, headers={"x-tenant": "other"}).status_code == 200
    assert api.post("/models/2/inference", json={"texts": ["a"]}, headers={"x-tenant": "acme"}).status_code == 500
    assert api.get("/models", params={"page": "1"}).status_code == 200
    assert api.get("/models", params={"page": "2"}).status_code == 500
    assert infer(api, ["a"], model="2").status_code == 200
    multi = {"texts": ["a"], "model_settings": [{"model_id": 1}, {"model_id": 3}]}
    assert api.post("/models/inference", json=multi).status_code == 503  # model 3 named in the body
    labelf_mock.assert_all_faults_used()


def test_model_id_and_max_predictions_together(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=503, times=None, model_id=1, match_json={"max_predictions": 1})
    assert infer(api, ["a"], model="1").status_code == 200
    assert infer(api, ["a"], model="2", max_predictions=1).status_code == 200
    assert infer(api, ["a"], model="1", max_predictions=1).status_code == 503


def test_a_body_longer_than_the_limit_matches_nothing_and_still_reaches_the_app() -> None:
    app = create_app(MockConfig(max_body_bytes=64))
    handle = LabelfMock(app, "http://mock.test")
    handle.inference.fail(status=503, times=None, match_json=lambda body: True)
    with httpx.Client(transport=InProcessTransport(app), base_url="https://api.app.labelf.ai/v2") as api:
        api.headers["Authorization"] = f"Bearer {handle.issue_token()}"
        assert infer(api, ["x" * 100]).status_code == 413  # read whole by the app, which refuses it
        assert infer(api, ["x"]).status_code == 503


def test_the_body_is_not_read_when_no_fault_needs_it() -> None:
    app = create_app()
    plan = app.mock.faults
    plan_needs = plan.needs
    asked: list[tuple[bool, bool]] = []

    def spy(path: str) -> tuple[bool, bool]:
        asked.append(plan_needs(path))
        return asked[-1]

    plan.needs = spy  # type: ignore[method-assign]
    handle = LabelfMock(app, "http://mock.test")
    handle.inference.fail(status=500, match_headers={"x-a": "1"})
    handle.inference.fail(status=500, match_json={"texts": ["a"]})
    with httpx.Client(transport=InProcessTransport(app), base_url="https://api.app.labelf.ai/v2") as api:
        api.get("/models")
        infer(api, ["b"])
    assert asked == [(False, False), (True, True)]


def test_strict_runs_list_what_was_received_instead(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=503, match_json={"texts": ["boom"]})
    infer(api, ["fine"])
    infer(api, ["also fine"], model="1")
    api.get("/models")
    with pytest.raises(UnusedFaultsError) as failure:
        labelf_mock.assert_all_faults_used()
    message = str(failure.value)
    assert 'inference where json ⊇ {"texts": ["boom"]}: status 503 (0/1 used)' in message
    assert 'POST /v2/models/2/inference -> 200 — differs: body {"texts": ["fine"]}' in message
    assert 'POST /v2/models/1/inference -> 200 — differs: body {"texts": ["also fine"]}' in message
    assert "GET /v2/models" not in message  # not the fault's route


def test_strict_run_says_when_the_route_was_never_reached(labelf_mock: LabelfMock) -> None:
    labelf_mock.similarity.fail(model_id=2)
    with pytest.raises(UnusedFaultsError, match=r"\(no request reached 'similarity'\)"):
        labelf_mock.assert_all_faults_used()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"match_json": {1, 2}}, "match_json takes a JSON value"),
        ({"match_json_exact": len}, "match_json_exact takes a JSON value, not a callable"),
        ({"match_headers": {"x": 1}}, "match_headers values must be strings"),
        ({"model_id": 1.5}, "model_id takes a model id"),
        ({"match_body": "x"}, r"Unknown match argument\(s\) \['match_body'\]"),
    ],
)
def test_bad_criteria_are_refused_when_planned(labelf_mock: LabelfMock, kwargs: dict[str, object], error: str) -> None:
    with pytest.raises(TypeError, match=error):
        labelf_mock.inference.fail(**kwargs)  # type: ignore[arg-type]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


def facts(body: object) -> RequestFacts:
    return RequestFacts("POST", "/v2/similarity", {}, {}, body)


@given(JSON)
def test_a_body_contains_itself_and_equals_itself(body: object) -> None:
    assert RequestMatch(json=body).matches(facts(body))
    assert RequestMatch(json_exact=body).matches(facts(body))


@given(st.dictionaries(st.text(max_size=3), JSON, min_size=1, max_size=4), st.data())
def test_any_part_of_an_object_matches_partially_but_not_exactly(body: dict[str, object], data: st.DataObject) -> None:
    keys = data.draw(st.lists(st.sampled_from(sorted(body)), unique=True, max_size=len(body) - 1))
    part = {key: body[key] for key in keys}
    assert RequestMatch(json=part).matches(facts(body))
    assert not RequestMatch(json_exact=part).matches(facts(body))


def test_json_types_are_not_confused() -> None:
    assert not RequestMatch(json={"a": 1}).matches(facts({"a": True}))
    assert not RequestMatch(json={"a": [1]}).matches(facts({"a": [1, 2]}))
    assert not RequestMatch(json={"a": 1}).matches(RequestFacts("POST", "/v2/similarity", {}, {}))  # body not read


def test_the_middleware_reads_no_further_than_the_limit_and_replays_everything() -> None:
    """Driven as ASGI directly, so what the middleware pulled from the connection can be counted."""
    chunks = [b'{"texts": ["' + b"x" * 20] + [b"x" * 20] * 50 + [b'"]}']
    pulled = 0

    async def receive() -> dict[str, object]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}

    seen: dict[str, object] = {}

    async def app(scope: dict[str, object], app_receive: Callable[[], Awaitable[dict[str, Any]]], send: object) -> None:
        seen["pulled before the app ran"] = pulled
        body = b""
        while True:
            message = await app_receive()
            body += message["body"]
            if not message["more_body"]:
                break
        seen["body"] = body

    plan = FaultPlan(max_body_bytes=50)
    plan.add(Fault("inference", match=RequestMatch(json={"texts": ["x"]})))
    scope = {"type": "http", "method": "POST", "path": "/v2/models/2/inference", "headers": [], "query_string": b""}
    anyio.run(FaultMiddleware(app, plan), scope, receive, None)  # type: ignore[arg-type]
    assert seen == {"pulled before the app ran": 2, "body": b"".join(chunks)}  # 32 + 20 bytes: past 50
    assert plan.unused()  # a body past the limit matched nothing
