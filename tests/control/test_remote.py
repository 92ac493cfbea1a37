"""``connect(url)``: the ``labelf_mock`` handle for a mock in another process, in a session of its own."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import cast

import httpx
import pytest

from labelf_testkit import LabelfMock, RemoteMock, RemoteMockError, RouteFaults, ScriptError, UnusedFaultsError, connect
from labelf_testkit.mock_server import MockApp, RecordingError, SocketServer, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp
from labelf_testkit.remote import RemoteClock, RemoteModelScript
from labelf_testkit.remote_faults import RemoteRouteFaults
from labelf_testkit.scripting import ModelScript

_TOKEN = "remote-control-token-0123456789"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    server = SocketServer(cast(MockApp, ControlledApp(create_app(), ControlAccess(_TOKEN))))
    server.start()
    yield server.base_url
    server.stop()


@pytest.fixture
def remote(served: str) -> Iterator[RemoteMock]:
    with connect(served, token=_TOKEN) as handle:
        yield handle


def _token(remote: RemoteMock, http: httpx.Client) -> str:
    response = http.post(remote.token_url, data={"grant_type": "client_credentials"}, auth=remote.credentials.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


@pytest.mark.parametrize(
    ("local", "remote", "missing"),
    [
        (LabelfMock, RemoteMock, set()),
        (RouteFaults, RemoteRouteFaults, set()),
        (ModelScript, RemoteModelScript, set()),
    ],
)
def test_the_remote_handle_has_the_local_api(local: type, remote: type, missing: set[str]) -> None:
    assert _public(local) - _public(remote) == missing
    for name in _public(local) - missing:
        here, there = getattr(local, name), getattr(remote, name)
        if callable(here) and not isinstance(here, property):
            assert list(inspect.signature(here).parameters) == list(inspect.signature(there).parameters), name


def test_the_remote_handle_has_the_same_route_handles(remote: RemoteMock) -> None:
    local = LabelfMock(create_app(), "http://127.0.0.1:1")
    shared = {name for name in vars(local) if not name.startswith("_")} - {"app"}  # no app in this process
    assert shared <= set(vars(remote)), shared - set(vars(remote))


def test_the_clock_has_the_manual_clocks_api() -> None:
    assert {"now", "freeze", "advance", "reset", "frozen"} <= _public(RemoteClock)


def test_faults_scripts_clock_and_verification_work_remotely(remote: RemoteMock) -> None:
    remote.inference.fail(status=503, match_json={"texts": ["boom"]})
    remote.model(2).answer(re.compile("refund", re.I), {"billing": 0.9})
    with httpx.Client(base_url=remote.api_url) as http:
        token = _token(remote, http)
        auth = {"authorization": f"Bearer {token}"}
        assert http.post("/models/1/inference", json={"texts": ["boom"]}, headers=auth).status_code == 503
        scored = http.post("/models/2/inference", json={"texts": ["A Refund"]}, headers=auth).json()
        assert scored[0]["predictions"][0] == {"label": "billing", "score": 0.9}
        remote.clock.freeze()
        remote.token.expires_in(60)
        short = _token(remote, http)
        remote.clock.advance(60)
        assert http.get("/models", headers={"authorization": f"Bearer {short}"}).status_code == 401
    remote.inference.assert_called(times=2)
    remote.inference.assert_called(times=1, model_id=2)
    remote.token.assert_called(times=2)
    assert remote.inference.call_count == 2 and remote.journal.call_count("inference", model_id=1) == 1
    assert len(remote.journal) == 5 and len(remote.journal.token_requests) == 2
    assert remote.journal.issued_tokens[0].startswith("sha256:")
    with pytest.raises(AssertionError, match=r"(?s)called 0 time\(s\).*differs: model_id: model \['1'\]"):
        remote.inference.assert_called(times=1, model_id=3)
    remote.assert_all_faults_used()


def test_mistakes_raise_what_the_local_handle_raises(remote: RemoteMock) -> None:
    with pytest.raises(ScriptError, match="configured models are '1'"):
        remote.model(9)
    with pytest.raises(ScriptError, match="no label 'refunds'") as no_label:
        remote.model(2).answer("x", {"refunds": 0.5})
    # as the local handle's message does, it lists the model's labels (the control API's `allowed`)
    assert "scores takes: 'billing', 'delivery', 'product quality', 'account', 'other'." in str(no_label.value)
    with pytest.raises(ValueError, match="Unknown route"):
        remote.route("nowhere")
    with pytest.raises(ValueError, match="status takes an integer from 100 to 599"):
        remote.inference.fail(status=42)
    with pytest.raises(
        TypeError, match=r"got a callable \(<lambda>\).*match_json=\{\.\.\.\}.*labelf_mock.inference.calls"
    ):
        remote.inference.fail(match_json=lambda body: True)
    with pytest.raises(ScriptError, match=r"texts: a callable \(<lambda>\).*exact text or a compiled pattern"):
        remote.model(1).answer(lambda text: True, {"positive": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ScriptError, match="exact texts and compiled patterns, not 7"):
        remote.model(1).answer(7, {"positive": 1.0})  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=r"cannot tell whose it is.*one listening socket.*drop\(\)"):
        remote.refuse_connections()


def test_unused_faults_and_reset(remote: RemoteMock) -> None:
    remote.similarity.fail(match_json={"top_n": 3})
    assert remote.unused_faults() == ['similarity where json ⊇ {"top_n": 3}: status 500 (0/1 used)']
    with pytest.raises(UnusedFaultsError, match="never triggered"):
        remote.assert_all_faults_used()
    remote.reset()
    assert remote.unused_faults() == []


def test_tokens_minted_claimed_and_revoked(remote: RemoteMock) -> None:
    token = remote.issue_token(expires_in=30)
    assert remote.token_claims(token)["client_id"] == remote.credentials.client_id
    remote.revoke_token(token)
    with httpx.Client(base_url=remote.api_url) as http:
        assert http.get("/models", headers={"authorization": f"Bearer {token}"}).status_code == 401
        assert http.get("/models", headers={"authorization": f"Bearer {remote.api_key}"}).status_code == 200
    assert "keys" in remote.jwks


def test_two_handles_are_two_sessions(served: str) -> None:
    with connect(served, token=_TOKEN) as one, connect(served, token=_TOKEN) as two:
        one.token.fail(status=503, times=None)
        with httpx.Client() as http:
            assert (
                http.post(
                    two.token_url, data={"grant_type": "client_credentials"}, auth=two.credentials.auth
                ).status_code
                == 200
            )
        two.token.assert_called(times=1)
        one.token.assert_not_called()
    assert "session" in repr(one)


def test_closing_ends_the_session_and_a_wrong_token_is_refused(served: str) -> None:
    handle = connect(served, token=_TOKEN)
    handle.close()
    handle.close()
    with httpx.Client() as http:
        refused = http.post(handle.token_url, data={"grant_type": "client_credentials"}, auth=handle.credentials.auth)
    assert refused.status_code == 401
    with pytest.raises(RemoteMockError, match="refused control"):
        connect(served, token="wrong-token-wrong-token")
    with pytest.raises(RemoteMockError, match="Could not reach"):
        connect("http://127.0.0.1:9", token=_TOKEN)


def test_every_fault_kind_and_journal_view_remotely(remote: RemoteMock) -> None:
    planned = [
        remote.inference.delay(0.001),
        remote.inference.malformed_json(),
        remote.inference.empty_body(status=502),
        remote.models.drop(),
        remote.similarity.rate_limit(retry_after=3, model_id=1),
        remote.route("/v2/models/2/inference").fail(body=b"down", headers={"X-Why": "test"}),
    ]
    assert [f.kind for f in planned] == ["delay", "malformed_json", "empty_body", "drop", "fail", "fail"]
    assert str(planned[1]) == "inference: malformed JSON (0/1 used)"
    remote.journal.assert_no_requests()
    with httpx.Client(base_url=remote.base_url) as http:
        token = _token(remote, http)
        auth = {"authorization": f"Bearer {token}"}
        answers = [http.post("/v2/models/1/inference", json={"texts": ["a"]}, headers=auth) for _ in range(3)]
        assert [(a.status_code, a.content[:5]) for a in answers] == [(200, b'[{"te'), (200, b'[{"te'), (502, b"")]
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/v2/models", headers=auth)
        failed = http.post("/v2/models/2/inference", json={"texts": ["a"]}, headers=auth)
        assert (failed.status_code, failed.content, failed.headers["x-why"]) == (500, b"down", "test")
    entries = list(remote.journal)
    assert [e.status for e in entries] == [200, 200, 200, 502, None, 500]
    assert entries[1].json() == {"texts": ["a"]} and entries[0].json() is None
    assert str(entries[0]) == "POST /oauth2/token -> 200"
    posted = [str(e) for e in remote.journal.requests("/v2/", "post")]
    assert posted == [str(e) for e in entries[1:4] + entries[5:]]
    assert len(remote.journal.api_calls) == 5 and remote.inference.calls_where(model_id=2)[0].path.endswith(
        "2/inference"
    )
    remote.journal.assert_api_calls_used_latest_token()
    with pytest.raises(AssertionError, match="Expected no requests"):
        remote.journal.assert_no_requests()
    with pytest.raises(AssertionError, match="fetched 1 time"):
        remote.journal.assert_token_fetched(times=2)
    with pytest.raises(AssertionError, match="not to be called"):
        remote.models.assert_not_called()
    assert remote.clock.frozen is False and remote.clock.now() > 1e9
    remote.clock.reset()
    with pytest.raises(ValueError, match="non-negative"):
        remote.clock.advance(-1)
    with pytest.raises(ValueError, match="positive whole number"):
        remote.token.expires_in(0)
    with pytest.raises(TypeError, match="UTF-8"):
        remote.inference.fail(body=b"\xff")
    assert "RemoteRouteFaults 'inference'" in repr(remote.inference) and "RemoteJournal" in repr(remote.journal)
    model = remote.model(3)
    assert (model.model_id, "english" in model.labels) == ("3", True) and "Language" in repr(model)
    for state in (model.archive, model.train, model.remove, model.restore):
        state()
    assert remote.similarity_score(score=0.5, compare=re.compile("x", re.I | re.S))["compare"] == "/x/"
    with pytest.raises(RecordingError, match="cannot be read"):
        remote.use_recording("x.toml")
    with pytest.raises(RuntimeError, match="cannot refuse"):
        assert remote.refused_connections


def test_remote_entries_carry_duration_and_seq(remote: RemoteMock) -> None:
    remote.token.delay(0.03)
    with httpx.Client() as http:
        _token(remote, http)
        _token(remote, http)
    first, second = remote.journal
    assert first.duration is not None and first.duration >= 0.03
    assert second.duration is not None and second.duration >= 0 and second.seq == first.seq + 1
