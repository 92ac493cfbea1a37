"""Resuming a session: ``POST /__labelf/sessions/{id}/resume`` reopens a closed or expired session with its own
id and credentials for whoever sends its secret, and ``RemoteMock`` uses it so an idle worker carries on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest

from labelf_testkit import RemoteMock, SessionClosedError, connect
from labelf_testkit.mock_server import InProcessTransport, MockApp, SocketServer, create_app
from labelf_testkit.mock_server.control import ControlledApp, SessionLimits

from .conftest import BASE, classify, token_of


class Clock:
    """The monotonic clock sessions idle by, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def idle_app(clock: Clock) -> ControlledApp:
    return ControlledApp(create_app(), limits=SessionLimits(max_sessions=2, idle_timeout=60), now=clock)


@pytest.fixture
def http(idle_app: ControlledApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=InProcessTransport(idle_app), base_url=BASE) as client:
        yield client


def opened(http: httpx.Client) -> dict[str, Any]:
    response = http.post("/__labelf/sessions")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def resume(http: httpx.Client, session_id: str, body: object) -> httpx.Response:
    return http.post(f"/__labelf/sessions/{session_id}/resume", json=body)


def test_an_expired_session_resumes_with_its_credentials_and_a_clean_slate(http: httpx.Client, clock: Clock) -> None:
    session = opened(http)
    auth = (session["client_id"], session["client_secret"])
    token = token_of(http, auth)
    http.post(f"/__labelf/sessions/{session['id']}/faults", json={"kind": "fail", "route": "inference"})
    clock.now = 61.0
    assert classify(http, token, ["a"]).status_code == 401  # expired: its token means nothing now
    assert http.get(f"/__labelf/sessions/{session['id']}").status_code == 404

    again = resume(http, session["id"], {"client_secret": session["client_secret"]})
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["resumed"] is True
    assert [body[k] for k in ("id", "client_id", "client_secret", "api_key")] == [
        session[k] for k in ("id", "client_id", "client_secret", "api_key")
    ]
    assert classify(http, token, ["a"]).status_code == 200  # the old token works again; the fault is gone
    key = {"authorization": f"Bearer {session['api_key']}"}
    assert http.get("/v2/models", headers=key).status_code == 200
    journal = http.get(f"/__labelf/sessions/{session['id']}/journal").json()["entries"]
    assert [e["status"] for e in journal] == [200, 200]  # its own journal, not the default session's


def test_resuming_an_open_session_changes_nothing(http: httpx.Client) -> None:
    session = opened(http)
    faults = f"/__labelf/sessions/{session['id']}/faults"
    http.post(faults, json={"kind": "fail", "route": "inference"})
    again = resume(http, session["id"], {"client_secret": session["client_secret"]})
    assert again.status_code == 200 and again.json()["resumed"] is False
    assert len(http.get(faults).json()["faults"]) == 1
    assert http.get("/__labelf/sessions").json()["open"] == 1


def test_only_the_sessions_secret_resumes_it(http: httpx.Client, clock: Clock) -> None:
    mine, other = opened(http), opened(http)
    http.delete(f"/__labelf/sessions/{mine['id']}")
    refused = resume(http, mine["id"], {"client_secret": other["client_secret"]})
    assert refused.status_code == 403
    assert refused.json()["field"] == "client_secret" and "restarted" in refused.json()["message"]
    assert other["client_secret"] not in refused.text
    assert http.get("/__labelf/sessions").json()["open"] == 1


@pytest.mark.parametrize(
    ("session_id", "body", "field"),
    [
        ("default", {"client_secret": "x"}, "session_id"),
        ("not-a-session", {"client_secret": "x"}, "session_id"),
        ("0123456789abcdef", {}, "client_secret"),
        ("0123456789abcdef", {"client_secret": 7}, "client_secret"),
        ("0123456789abcdef", {"secret": "x"}, "secret"),
    ],
)
def test_a_bad_resume_request_names_its_field(http: httpx.Client, session_id: str, body: object, field: str) -> None:
    refused = resume(http, session_id, body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == field


def test_resuming_counts_against_the_session_limit(http: httpx.Client) -> None:
    first = opened(http)
    http.delete(f"/__labelf/sessions/{first['id']}")
    opened(http), opened(http)  # the limit is 2
    full = resume(http, first["id"], {"client_secret": first["client_secret"]})
    assert full.status_code == 429 and full.json()["error"] == "too_many_sessions"


def test_another_mock_cannot_resume_a_session(http: httpx.Client) -> None:
    session = opened(http)
    restarted = ControlledApp(create_app())
    with httpx.Client(transport=InProcessTransport(restarted), base_url=BASE) as other:
        assert resume(other, session["id"], {"client_secret": session["client_secret"]}).status_code == 403


@pytest.fixture
def served(idle_app: ControlledApp) -> Iterator[str]:
    server = SocketServer(cast(MockApp, idle_app))
    server.start()
    yield server.base_url
    server.stop()


def test_the_remote_handle_resumes_on_reset_and_before_use(served: str, clock: Clock) -> None:
    with connect(served) as labelf, httpx.Client(base_url=served) as http:
        assert labelf.idle_timeout == 60
        token = token_of(http, labelf.credentials.auth)
        labelf.inference.fail(status=503)
        clock.now = 61.0
        with pytest.raises(SessionClosedError, match="expired after 60 s idle"):
            labelf.inference.fail(status=503)
        labelf.reset()  # reopens it, a clean slate
        assert classify(http, token, ["a"]).status_code == 200
        labelf.inference.assert_called(times=1)

        clock.now = 122.0
        labelf._control.last_call -= 31  # as if the handle had been idle more than half the timeout
        assert labelf.ensure_open() is True
        assert classify(http, token, ["a"]).status_code == 200
        assert labelf.ensure_open() is False  # a control call just now: no call needed
        assert labelf.resume() is False  # open: nothing to do


def test_a_closed_session_is_a_value_error_too(served: str) -> None:
    labelf: RemoteMock = connect(served)
    with labelf:
        labelf._control.call("DELETE", f"/sessions/{labelf.session_id}")
        with pytest.raises(ValueError, match="No open session"):
            labelf.clock.now()


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"error": "unknown_model", "message": "No model"}'])
def test_only_an_unknown_session_is_a_session_closed_error(body: bytes) -> None:
    from labelf_testkit._control_client import ControlClient

    client = ControlClient("http://127.0.0.1:9", None)
    client._http = httpx.Client(
        base_url=client.base_url, transport=httpx.MockTransport(lambda request: httpx.Response(404, content=body))
    )
    with pytest.raises(ValueError) as raised:
        client.call("GET", "/sessions/x/models/9")
    assert not isinstance(raised.value, SessionClosedError)
    client.close()
