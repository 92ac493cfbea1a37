"""The journal over the control API: redacted exactly as the Python journal, filtered, as HAR 1.2; call
counts and verification with near-miss reports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from labelf_testkit.mock_server.control import ControlledApp

from .conftest import DEFAULT, classify, token_of

_FIELDS = (
    "method",
    "path",
    "query",
    "status",
    "at",
    "fault",
    "truncated",
    "duration",
    "seq",
    "headers",
    "body",
    "form",
    "client_id",
    "token",
    "issued_token",
)


def test_entries_are_the_python_journal_field_for_field(http: httpx.Client, controlled: ControlledApp) -> None:
    token = token_of(http)
    http.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "hush"})
    classify(http, token, ["a"])
    entries = http.get(f"{DEFAULT}/journal").json()["entries"]
    python = controlled.mock.journal.entries()
    assert len(entries) == len(python) == 3
    for shown, entry in zip(entries, python, strict=True):
        assert {name: shown[name] for name in _FIELDS} == {name: getattr(entry, name) for name in _FIELDS}
        assert shown["summary"] == str(entry)
    text = http.get(f"{DEFAULT}/journal").text
    assert "CLIENT_SECRET" not in text and token not in text and "hush" not in text
    assert entries[0]["headers"]["authorization"] == "Basic [REDACTED]"
    assert entries[2]["token"] == entries[0]["issued_token"]


def test_filters_by_route_status_method_criteria_and_limit(http: httpx.Client) -> None:
    token = token_of(http)
    http.post(f"{DEFAULT}/faults", json={"kind": "fail", "route": "inference", "status": 503})
    classify(http, token, ["boom"])
    classify(http, token, ["fine"], model=2)

    def paths(**query: Any) -> list[tuple[str, int]]:
        response = http.get(f"{DEFAULT}/journal", params=query)
        assert response.status_code == 200, response.text
        return [(e["path"], e["status"]) for e in response.json()["entries"]]

    assert paths(route="inference") == [("/v2/models/1/inference", 503), ("/v2/models/2/inference", 200)]
    assert paths(status="503") == [("/v2/models/1/inference", 503)]
    assert paths(status="2xx") == [("/oauth2/token", 200), ("/v2/models/2/inference", 200)]
    assert paths(method="get") == []
    assert paths(route="inference", match_json='{"texts": ["fine"]}') == [("/v2/models/2/inference", 200)]
    assert paths(model_id="1") == [("/v2/models/1/inference", 503)]
    assert paths(limit="1") == [("/v2/models/2/inference", 200)]


def test_har_1_2(http: httpx.Client) -> None:
    token = token_of(http)
    classify(http, token, ["a"])
    har = http.get(f"{DEFAULT}/journal.har").json()["log"]
    assert har["version"] == "1.2" and har["creator"]["name"] == "labelf-mock"
    first, second = har["entries"]
    for entry in har["entries"]:
        assert set(entry) >= {"startedDateTime", "time", "request", "response", "cache", "timings"}
        assert set(entry["request"]) >= {
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        }
        assert set(entry["response"]) >= {
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        }
    assert first["request"]["url"] == "http://127.0.0.1:8080/oauth2/token"
    assert {"name": "authorization", "value": "Basic [REDACTED]"} in first["request"]["headers"]
    assert first["request"]["postData"]["params"] == [{"name": "grant_type", "value": "client_credentials"}]
    assert (second["response"]["status"], second["response"]["statusText"]) == (200, "OK")
    assert token not in http.get(f"{DEFAULT}/journal.har").text


def test_call_counts(http: httpx.Client) -> None:
    token = token_of(http)
    classify(http, token, ["a"])
    classify(http, token, ["b"], model=2)
    counted = http.post(f"{DEFAULT}/calls", json={"route": "inference", "model_id": 2}).json()
    assert (counted["count"], [c["path"] for c in counted["calls"]]) == (1, ["/v2/models/2/inference"])
    journal = http.get(f"{DEFAULT}/journal").json()["entries"]
    # each call is a journal entry, `index` included (its position in the journal, as GET journal shows it)
    assert counted["calls"] == [entry for entry in journal if entry["path"] == "/v2/models/2/inference"]


def test_verify_called_passes_and_fails_with_near_misses(http: httpx.Client) -> None:
    token = token_of(http)
    classify(http, token, ["fine"], model=1)
    classify(http, token, ["boom"], model=2)
    ok = http.post(f"{DEFAULT}/verify/called", json={"route": "inference", "times": 2})
    assert (ok.status_code, ok.json()["ok"], ok.json()["count"]) == (200, True, 2)
    failed = http.post(
        f"{DEFAULT}/verify/called",
        json={"route": "inference", "times": 1, "model_id": 2, "match_json": {"texts": ["fine"]}},
    )
    assert failed.status_code == 409
    body = failed.json()
    assert body["message"].startswith(
        'Expected \'inference\' where model 2, json ⊇ {"texts": ["fine"]} to be called 1 time(s), but it was called 0'
    )
    closest = body["near_misses"]
    assert [m["request"] for m in closest][:2] == [
        "POST /v2/models/2/inference -> 200",
        "POST /v2/models/1/inference -> 200",
    ]
    assert closest[0]["differs"] == ['match_json: body {"texts": ["boom"]}']
    assert closest[1]["differs"] == ["model_id: model ['1']"]
    assert any("route:" in d for m in closest for d in m["differs"])  # the token request is off the route
    assert "differs: match_json" in body["report"]


def test_a_failed_verification_on_an_empty_session_says_where_requests_go(http: httpx.Client) -> None:
    session = http.post("/__labelf/sessions", json={}).json()
    control = f"/__labelf/sessions/{session['id']}"
    token_of(http)  # sent as the built-in client: journaled in the default session, not this one
    failed = http.post(f"{control}/verify/called", json={"route": "token"})
    assert failed.status_code == 409
    assert failed.json()["report"].splitlines()[1].startswith("This session received no request at all.")
    assert "CLIENT_ID" in failed.json()["report"] and "docs/guide/sessions.md" in failed.json()["report"]
    with_requests = http.post(f"{DEFAULT}/verify/called", json={"route": "inference"}).json()["report"]
    assert "received no request" not in with_requests and "Closest requests received:" in with_requests


def test_verify_not_called_and_the_journal_checks(http: httpx.Client) -> None:
    assert http.post(f"{DEFAULT}/verify/no_requests").status_code == 200
    token = token_of(http)
    assert http.post(f"{DEFAULT}/verify/not_called", json={"route": "similarity"}).status_code == 200
    assert http.post(f"{DEFAULT}/verify/token_fetched", json={"times": 1}).status_code == 200
    assert http.post(f"{DEFAULT}/verify/token_fetched", json={"times": 2}).status_code == 409
    classify(http, token, ["a"])
    assert http.post(f"{DEFAULT}/verify/api_calls_used_latest_token").status_code == 200
    token_of(http)
    classify(http, token, ["stale"])
    stale = http.post(f"{DEFAULT}/verify/api_calls_used_latest_token")
    assert stale.status_code == 409 and "did not carry the newest token" in stale.json()["message"]
    assert http.post(f"{DEFAULT}/verify/not_called", json={"route": "inference"}).status_code == 409
    assert http.post(f"{DEFAULT}/verify/no_requests").status_code == 409


def test_unused_faults_say_how_each_request_differs(http: httpx.Client) -> None:
    token = token_of(http)
    http.post(
        f"{DEFAULT}/faults",
        json={"kind": "fail", "route": "inference", "status": 503, "match_json": {"texts": ["boom"]}},
    )
    classify(http, token, ["fine"])
    unused = http.get(f"{DEFAULT}/unused_faults").json()["unused"]
    assert unused == [
        {
            "fault": 'inference where json ⊇ {"texts": ["boom"]}: status 503 (0/1 used)',
            "received": [{"request": "POST /v2/models/1/inference -> 200", "differs": 'body {"texts": ["fine"]}'}],
        }
    ]
    verdict = http.post(f"{DEFAULT}/verify/all_faults_used")
    assert verdict.status_code == 409 and verdict.json()["unused"] == unused
    classify(http, token, ["boom"])
    assert http.post(f"{DEFAULT}/verify/all_faults_used").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"route": "nowhere"}, "route"),
        ({"status": "600"}, "status"),
        ({"limit": "x"}, "limit"),
        ({"color": "red"}, "color"),
    ],
)
def test_bad_journal_filters_name_the_field(http: httpx.Client, query: dict[str, str], field: str) -> None:
    response = http.get(f"{DEFAULT}/journal", params=query)
    assert (response.status_code, response.json()["field"]) == (400, field)


def test_a_secret_header_in_a_faults_criteria_is_never_listed(http: httpx.Client) -> None:
    token = token_of(http)
    body = {"kind": "fail", "route": "inference", "match_headers": {"Authorization": f"Bearer {token}"}}
    planned = http.post(f"{DEFAULT}/faults", json=body)
    assert planned.json()["match"] == "header authorization='Bearer [REDACTED]'"
    shown = planned.text + http.get(f"{DEFAULT}/faults").text + http.get(f"{DEFAULT}/unused_faults").text
    assert token not in shown and "[REDACTED]" in shown
    assert classify(http, token, ["a"]).status_code == 500  # it still matches on the real value
