"""Sessions: one mock, many isolated users, each with its own credentials, faults, scripts, clock and journal."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelf_testkit.mock_server import InProcessTransport, MockApp, MockConfig, SocketServer, create_app
from labelf_testkit.mock_server.control import ControlledApp, SessionLimits

from .conftest import BASE, DEFAULT, classify, token_of


def open_session(http: httpx.Client) -> dict[str, Any]:
    response = http.post("/__labelf/sessions")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_session_has_its_own_credentials_and_state(http: httpx.Client, controlled: ControlledApp) -> None:
    session = open_session(http)
    control = f"/__labelf/sessions/{session['id']}"
    assert session["control_url"] == f"{BASE}{control}"
    http.post(f"{control}/faults", json={"kind": "fail", "route": "token", "status": 503})
    assert (
        http.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(session["client_id"], session["client_secret"]),
        ).status_code
        == 503
    )
    default_token = token_of(http)  # the built-in client: the default session, no fault there
    session_token = token_of(http, (session["client_id"], session["client_secret"]))
    assert classify(http, session_token, ["a"]).status_code == 200
    assert classify(http, default_token, ["a"]).status_code == 200
    mine = http.get(f"{control}/journal").json()["entries"]
    theirs = http.get(f"{DEFAULT}/journal").json()["entries"]
    assert [(e["path"], e["status"]) for e in mine] == [
        ("/oauth2/token", 503),
        ("/oauth2/token", 200),
        ("/v2/models/1/inference", 200),
    ]
    assert [e["client_id"] for e in theirs if e["client_id"]] == ["CLIENT_ID"]
    assert len(controlled.mock.journal) == 2


def test_a_sessions_secret_is_shown_once(http: httpx.Client) -> None:
    session = open_session(http)
    listing = http.get("/__labelf/sessions").text + http.get(f"/__labelf/sessions/{session['id']}").text
    assert session["client_secret"] not in listing and session["api_key"] not in listing
    assert session["client_id"] in listing
    assert session["api_key"].startswith("lbl_sk_")


def test_the_api_key_selects_the_session(http: httpx.Client) -> None:
    session = open_session(http)
    control = f"/__labelf/sessions/{session['id']}"
    http.post(f"{control}/models/1/answer", json={"texts": "hi", "scores": {"positive": 1.0}})
    scored = classify(http, session["api_key"], ["hi"]).json()[0]["predictions"][0]
    assert scored == {"label": "positive", "score": 1.0}
    default = classify(http, token_of(http), ["hi"]).json()[0]["predictions"][0]
    assert default != scored
    assert http.post(f"{control}/verify/called", json={"route": "inference", "times": 1}).status_code == 200


def test_clock_and_model_states_are_per_session(http: httpx.Client) -> None:
    one, two = open_session(http), open_session(http)
    http.post(f"/__labelf/sessions/{one['id']}/clock/freeze", json={"at": 1000})
    http.post(f"/__labelf/sessions/{one['id']}/models/1/archive")
    assert http.get(f"/__labelf/sessions/{two['id']}/clock").json()["frozen"] is False
    assert http.get(f"{DEFAULT}/clock").json()["frozen"] is False
    token_two = token_of(http, (two["client_id"], two["client_secret"]))
    assert classify(http, token_two, ["a"]).status_code == 200
    token_one = token_of(http, (one["client_id"], one["client_secret"]))
    assert classify(http, token_one, ["a"]).status_code == 400


def test_revocation_and_reset_stay_in_the_session(http: httpx.Client) -> None:
    one, two = open_session(http), open_session(http)
    token_one = token_of(http, (one["client_id"], one["client_secret"]))
    token_two = token_of(http, (two["client_id"], two["client_secret"]))
    http.post(f"/__labelf/sessions/{one['id']}/tokens/revoke", json={"token": token_one})
    http.post(f"/__labelf/sessions/{two['id']}/reset")
    assert classify(http, token_one, ["a"]).status_code == 401
    assert classify(http, token_two, ["a"]).status_code == 200
    # a token is its own session's: another session cannot revoke it
    refused = http.post(f"/__labelf/sessions/{two['id']}/tokens/revoke", json={"token": token_one})
    assert refused.status_code == 400


def test_jwt_sessions_are_told_apart_by_their_claims() -> None:
    app = ControlledApp(create_app(MockConfig(token_format="jwt")))
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE) as http:
        session = open_session(http)
        http.post(
            f"/__labelf/sessions/{session['id']}/faults", json={"kind": "fail", "route": "inference", "status": 502}
        )
        token = token_of(http, (session["client_id"], session["client_secret"]))
        assert token.startswith("eyJ")
        assert classify(http, token, ["a"]).status_code == 502
        assert classify(http, token_of(http), ["a"]).status_code == 200
        assert http.get(f"/__labelf/sessions/{session['id']}/jwks").json() == http.get("/.well-known/jwks.json").json()


def test_closing_a_session_ends_its_credentials(http: httpx.Client) -> None:
    session = open_session(http)
    token = token_of(http, (session["client_id"], session["client_secret"]))
    assert http.delete(f"/__labelf/sessions/{session['id']}").json() == {"closed": session["id"]}
    assert classify(http, token, ["a"]).status_code == 401
    refused = http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(session["client_id"], session["client_secret"]),
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert http.get(f"/__labelf/sessions/{session['id']}/faults").status_code == 404
    assert http.delete("/__labelf/sessions/default").status_code == 400


def test_sessions_are_bounded_in_number(http: httpx.Client) -> None:
    for _ in range(5):
        open_session(http)
    refused = http.post("/__labelf/sessions")
    assert (refused.status_code, refused.json()["error"]) == (429, "too_many_sessions")
    assert http.get("/__labelf/sessions").json()["open"] == 5


def test_idle_sessions_expire() -> None:
    now = [0.0]
    app = ControlledApp(create_app(), limits=SessionLimits(idle_timeout=60), now=lambda: now[0])
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE) as http:
        kept, dropped = open_session(http), open_session(http)
        token = token_of(http, (dropped["client_id"], dropped["client_secret"]))
        now[0] = 50.0
        http.get(f"/__labelf/sessions/{kept['id']}")  # a control call keeps it alive
        now[0] = 100.0
        assert classify(http, token, ["a"]).status_code == 401  # expired: its token means nothing now
        ids = [s["id"] for s in http.get("/__labelf/sessions").json()["sessions"]]
        assert ids == ["default", kept["id"]]
        now[0] = 200.0
        assert http.get(f"/__labelf/sessions/{kept['id']}").status_code == 404


def test_each_session_journal_is_bounded(http: httpx.Client) -> None:
    session = open_session(http)
    token = token_of(http, (session["client_id"], session["client_secret"]))
    for _ in range(60):
        classify(http, token, ["a"])
    assert http.get(f"/__labelf/sessions/{session['id']}/journal").json()["total"] == 50  # the fixture's journal_size


@pytest.fixture
def served() -> Iterator[tuple[ControlledApp, str]]:
    controlled = ControlledApp(create_app(), limits=SessionLimits(max_sessions=10))
    server = SocketServer(cast(MockApp, controlled))
    server.start()
    try:
        yield controlled, server.base_url
    finally:
        server.stop()


def test_two_parallel_users_planning_opposite_faults_never_see_each_others(served: tuple[ControlledApp, str]) -> None:
    _, base = served
    results: dict[str, Counter[int]] = {}
    journals: dict[str, list[dict[str, Any]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def user(name: str, fault: dict[str, Any], forbidden: int) -> None:
        try:
            with httpx.Client(base_url=base) as http:
                session = open_session(http)
                control = f"/__labelf/sessions/{session['id']}"
                assert http.post(f"{control}/faults", json={**fault, "times": None}).status_code == 201
                start.wait(10)
                seen: Counter[int] = Counter()
                for _ in range(40):
                    token = http.post(
                        "/oauth2/token",
                        data={"grant_type": "client_credentials"},
                        auth=(session["client_id"], session["client_secret"]),
                    )
                    seen[token.status_code] += 1
                    if token.status_code == 200:
                        seen[classify(http, token.json()["access_token"], ["x"]).status_code] += 1
                results[name], journals[name] = seen, http.get(f"{control}/journal").json()["entries"]
                assert forbidden not in seen
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=user, args=("a", {"kind": "fail", "route": "inference", "status": 503}, 429)),
        threading.Thread(target=user, args=("b", {"kind": "rate_limit", "route": "token"}, 503)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert results["a"] == Counter({200: 40, 503: 40})
    assert results["b"] == Counter({429: 40})
    assert {e["status"] for e in journals["a"] if e["path"] != "/oauth2/token"} == {503}
    assert {e["path"] for e in journals["b"]} == {"/oauth2/token"}
    assert len(journals["a"]) == 80 and len(journals["b"]) == 40


AUTHORIZATION = st.one_of(
    st.text(max_size=80),
    st.builds(lambda s: "Basic " + s, st.text(max_size=60)),
    st.builds(lambda s: "Bearer " + s, st.text(max_size=120)),
    st.builds(lambda s: "Bearer ory_at_" + s, st.text(alphabet="abcXYZ09-_.", min_size=80, max_size=90)),
    st.builds(lambda s: "Bearer eyJ" + s, st.text(alphabet="abcXYZ09-_.=", max_size=90)),
    st.builds(lambda s: "Bearer lbl_sk_" + s, st.text(max_size=40)),
)


@given(header=AUTHORIZATION)
@settings(max_examples=300)
def test_any_authorization_header_picks_a_session_or_the_default(header: str) -> None:
    app = _ROUTED
    scope = {"type": "http", "path": "/v2/models", "headers": [(b"authorization", header.encode("utf-8", "replace"))]}
    assert app.store.app_for(scope) in {app.app, *(s.app for s in app.store.sessions())}


_ROUTED = ControlledApp(create_app())
_ROUTED.store.open()
