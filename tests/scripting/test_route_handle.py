"""One route handle per route of the table; one query on the journal; faults and counts read a request alike."""

from __future__ import annotations

import dataclasses
import json
from typing import get_type_hints

import httpx
import pytest

import labelf_testkit
from labelf_testkit import LabelfMock, PlannedFault, Route, RouteFaults, TokenFaults, TokenRoute
from labelf_testkit.mock_server import FAULT_ROUTES

GRANT = {"grant_type": "client_credentials"}


def test_every_route_of_the_table_is_a_route_attribute(labelf_mock: LabelfMock) -> None:
    hints = get_type_hints(LabelfMock)
    for name in FAULT_ROUTES:
        handle = getattr(labelf_mock, name)
        assert isinstance(handle, Route) and handle.route == name
        assert labelf_mock.route(name) is handle
        assert isinstance(handle, hints[name])  # the declared type is the generated one
    declared = {name for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, Route)}
    assert declared == set(FAULT_ROUTES)
    assert isinstance(labelf_mock.route("/v2/models/7/inference"), Route)
    with pytest.raises(ValueError, match=r"Unknown route 'inferense'.*discovery, jwks"):
        labelf_mock.route("inferense")


def test_discovery_and_jwks_take_faults_and_count_calls(labelf_mock: LabelfMock) -> None:
    labelf_mock.discovery.fail(status=503)
    labelf_mock.jwks.drop()
    with httpx.Client(base_url=labelf_mock.base_url, verify=labelf_mock.ca_bundle or True) as http:
        assert http.get("/.well-known/openid-configuration").status_code == 503
        assert http.get("/.well-known/openid-configuration").status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/.well-known/jwks.json")
        served = http.get("/.well-known/jwks.json").json()
    assert labelf_mock.discovery.call_count == 2 and labelf_mock.jwks.call_count == 2
    assert [entry.status for entry in labelf_mock.jwks.calls] == [None, 200]
    # labelf_mock.jwks is still the key set, as documented before it became a route
    assert labelf_mock.jwks == served and labelf_mock.jwks["keys"][0]["kty"] == "RSA"
    assert json.loads(json.dumps(labelf_mock.jwks)) == served


def test_fault_options_after_the_first_are_keyword_only(labelf_mock: LabelfMock) -> None:
    with pytest.raises(TypeError):
        labelf_mock.inference.fail(1, 503)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        labelf_mock.inference.delay(0.1, 2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        labelf_mock.inference.rate_limit(1, 7)  # type: ignore[call-arg]
    assert labelf_mock.app.mock.faults.faults() == []


def test_planning_a_fault_returns_an_immutable_description(labelf_mock: LabelfMock) -> None:
    planned = labelf_mock.token.fail(times=2, status=503, headers={"x-a": "1"}, match_headers={"x-b": "2"})
    assert isinstance(planned, PlannedFault)
    assert (planned.route, planned.kind, planned.status, planned.times) == ("token", "status", 503, 2)
    assert planned.criteria == "header x-b='2'" and planned.hits == 0 and planned.pending
    with pytest.raises(dataclasses.FrozenInstanceError):
        planned.times = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        planned.headers["x-a"] = "2"  # type: ignore[index]
    httpx.post(labelf_mock.token_url, data=GRANT, headers={"x-b": "2"}, verify=labelf_mock.ca_bundle or True)
    assert planned.hits == 1 and "1/2 used" in str(planned)


def test_calls_call_count_and_called_are_properties_on_routes_and_the_journal(
    labelf_mock: LabelfMock, api: httpx.Client
) -> None:
    assert not labelf_mock.inference.called and not labelf_mock.journal.called
    api.post("/models/1/inference", json={"texts": ["a"]})
    api.get("/models")
    assert labelf_mock.inference.called and labelf_mock.inference.call_count == 1
    journal = labelf_mock.journal
    assert journal.called and journal.call_count == 2 and len(journal.calls) == 2
    # the forms before 0.3 stay: call_count and calls called with a route and criteria
    assert journal.call_count("inference", model_id=1) == 1 and journal.call_count("models") == 1
    assert [e.path for e in journal.calls("api")] == ["/v2/models/1/inference", "/v2/models"]
    assert journal.calls_where("inference", model_id=1) == labelf_mock.inference.calls
    assert journal.calls_where() == list(journal)


def test_the_old_names_are_aliases() -> None:
    assert RouteFaults is Route and TokenFaults is TokenRoute
    assert labelf_testkit.RouteFaults is Route
    assert {"Route", "RouteFaults", "TokenRoute", "TokenFaults", "PlannedFault"} <= set(labelf_testkit.__all__)


# --- faults and counts read one request alike (issue 20) ---------------------------------------------------------


def test_a_repeated_header_matches_faults_and_counts_alike(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=503, match_headers={"x-tenant": "b"})
    headers = [("x-tenant", "a"), ("x-tenant", "b")]
    response = api.post("/models/1/inference", json={"texts": ["a"]}, headers=headers)
    assert response.status_code == 503  # the fault matched the second value
    for value in ("a", "b", "a, b"):  # one of its values, or all of them joined (RFC 9110 §5.3)
        labelf_mock.inference.assert_called(times=1, match_headers={"x-tenant": value})
    labelf_mock.inference.assert_not_called(match_headers={"x-tenant": "c"})


def test_a_secret_query_parameter_is_matched_on_what_was_sent_and_never_shown(
    labelf_mock: LabelfMock, api: httpx.Client
) -> None:
    labelf_mock.models.fail(status=500, match_query={"token": "s3cr3t-value"})
    assert api.get("/models", params={"token": "s3cr3t-value"}).status_code == 500
    labelf_mock.models.assert_called(times=1, match_query={"token": "s3cr3t-value"})
    assert "s3cr3t" not in labelf_mock.models.calls[0].query  # the journal's view stays redacted
    with pytest.raises(AssertionError) as failure:
        labelf_mock.models.assert_called(times=1, match_query={"token": "other"})
    assert "s3cr3t" not in str(failure.value)


def test_a_body_longer_than_the_journal_keeps_says_why_it_cannot_be_counted(
    labelf_mock: LabelfMock, api: httpx.Client
) -> None:
    texts = ["x" * 9_000, "y" * 9_000]  # 18 KB of JSON: the journal keeps 16 KiB
    labelf_mock.inference.fail(status=503, match_json={"texts": texts})
    assert api.post("/models/1/inference", json={"texts": texts}).status_code == 503  # the fault saw it all
    assert labelf_mock.inference.calls[0].truncated
    labelf_mock.inference.assert_called(times=1, model_id=1)  # a criterion the kept part decides
    with pytest.raises(AssertionError) as failure:
        labelf_mock.inference.assert_called(times=1, match_json={"texts": texts})
    message = str(failure.value)
    assert "1 call(s) could not be judged on these criteria" in message
    assert "the journal keeps the first 16 KiB" in message and "its body was cut" in message


def test_an_unread_body_is_not_judged_as_empty(labelf_mock: LabelfMock) -> None:
    # A 401 answered before the body was read: the journal has no body, but one was sent.
    with httpx.Client(base_url=labelf_mock.api_url, verify=labelf_mock.ca_bundle or True) as http:
        http.post("/models/1/inference", content=b'{"texts": ["' + b"z" * 20_000 + b'"]}')
    (entry,) = labelf_mock.inference.calls
    assert entry.status == 401 and entry.facts.cut == {"body"}
    with pytest.raises(AssertionError, match="could not be judged"):
        labelf_mock.inference.assert_called(times=1, match_json={"texts": ["z"]})


def test_an_unused_fault_shows_credentials_redacted(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=503, match_headers={"authorization": "Bearer other"})
    api.post("/models/1/inference", json={"texts": ["a"]})
    token = api.headers["authorization"].split()[1]
    with pytest.raises(AssertionError) as failure:
        labelf_mock.assert_all_faults_used()
    assert "differs: header authorization: 'Bearer [REDACTED]'" in str(failure.value)
    assert token not in str(failure.value)
