"""Per-session recordings: ``POST /__labelf/sessions/{id}/recordings`` answers one session from a recording sent as
the body, ``RemoteMock.use_recording()`` sends a file, and ``@pytest.mark.labelf_recording`` works against a remote
mock."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from labelf_testkit import RemoteMock, ScriptError, connect
from labelf_testkit.mock_server import MockApp, MockConfig, RecordingError, SocketServer, create_app, load_recording
from labelf_testkit.mock_server.control import ControlledApp, control_openapi
from tests.recordings.conftest import RECORDING

from .conftest import classify, token_of

TOML = {"content-type": "application/toml"}
LOVE = [
    {"label": "positive", "score": 0.8125},
    {"label": "neutral", "score": 0.125},
    {"label": "negative", "score": 0.0625},
]


def opened(http: httpx.Client) -> dict[str, Any]:
    response = http.post("/__labelf/sessions")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def predictions(response: httpx.Response) -> object:
    assert response.status_code == 200, response.text
    return response.json()[0]["predictions"]


def test_a_recording_answers_only_the_session_that_loaded_it(http: httpx.Client) -> None:
    mine, other = opened(http), opened(http)
    loaded = http.post(f"{mine['control_url']}/recordings?name=sentiment.toml", content=RECORDING, headers=TOML)
    assert loaded.status_code == 201, loaded.text
    view = loaded.json()
    assert (view["source"], view["answers"], view["similarities"], view["lasting"]) == ("sentiment.toml", 2, 2, False)
    assert view["models"] == [{"model_id": "7", "name": "Sentiment", "labels": ["positive", "neutral", "negative"]}]

    my_token = token_of(http, (mine["client_id"], mine["client_secret"]))
    assert predictions(classify(http, my_token, ["I love it"], model=7)) == LOVE
    listed = http.get(f"{mine['control_url']}/models").json()["models"]
    assert [m["model_id"] for m in listed][-1] == "7"  # the recording brought model 7

    their_token = token_of(http, (other["client_id"], other["client_secret"]))
    assert classify(http, their_token, ["I love it"], model=7).status_code == 404  # not theirs
    assert classify(http, token_of(http), ["I love it"], model=7).status_code == 404  # nor the default session's
    assert http.get(f"{other['control_url']}/recordings").json() == {"strict": False, "recordings": []}


def test_json_strict_listing_reset_and_forget(http: httpx.Client) -> None:
    session = opened(http)
    control = session["control_url"]
    token = token_of(http, (session["client_id"], session["client_secret"]))
    as_json = json.dumps(tomllib.loads(RECORDING))  # what `labelf-mock record rec.json` writes
    assert http.post(f"{control}/recordings?strict=true", content=as_json).status_code == 201  # JSON by default
    missed = classify(http, token, ["I hate it"], model=7)
    assert missed.status_code == 400 and missed.json()["error_code"] == "TEXT_NOT_RECORDED"
    assert "Nearest recorded texts" in missed.json()["message"]
    listing = http.get(f"{control}/recordings").json()
    assert listing["strict"] is True and [r["source"] for r in listing["recordings"]] == ["<request body>"]

    http.post(f"{control}/reset")  # gone with the reset, as in process
    assert http.get(f"{control}/recordings").json() == {"strict": False, "recordings": []}
    assert classify(http, token, ["I love it"], model=7).status_code == 404

    http.post(f"{control}/recordings", content=RECORDING, headers=TOML)
    forgot = http.delete(f"{control}/recordings")
    assert forgot.json() == {"forgotten": 1, "strict": False}
    assert classify(http, token, ["I love it"], model=7).status_code == 404


def test_scripts_still_come_first(http: httpx.Client) -> None:
    session = opened(http)
    control = session["control_url"]
    http.post(f"{control}/recordings", content=RECORDING, headers=TOML)
    scripted = {"texts": ["I love it"], "scores": {"negative": 0.99}}
    assert http.post(f"{control}/models/7/answer", json=scripted).status_code == 201
    token = token_of(http, (session["client_id"], session["client_secret"]))
    assert predictions(classify(http, token, ["I love it"], model=7))[0] == {"label": "negative", "score": 0.99}  # type: ignore[index]


def test_the_mocks_own_recordings_show_as_lasting(recording_file: Path) -> None:
    controlled = ControlledApp(create_app(MockConfig(recordings=(str(recording_file),))))
    server = SocketServer(cast(MockApp, controlled))
    server.start()
    try:
        with connect(server.base_url) as remote:
            listing = remote._control.call("GET", f"/sessions/{remote.session_id}/recordings")
            assert [r["lasting"] for r in listing["recordings"]] == [True]
            remote.use_recording(recording_file)
            listing = remote._control.call("GET", f"/sessions/{remote.session_id}/recordings")
            assert [r["lasting"] for r in listing["recordings"]] == [True, False]
            assert remote._control.call("DELETE", f"/sessions/{remote.session_id}/recordings")["forgotten"] == 1
    finally:
        server.stop()


@pytest.fixture
def recording_file(tmp_path: Path) -> Path:
    path = tmp_path / "sentiment.toml"
    path.write_text(RECORDING, encoding="utf-8")
    return path


def _wrong_labels() -> str:
    return RECORDING.replace('model_id = "7"', 'model_id = "2"')  # the mock's model 2 has support topics


@pytest.mark.parametrize(
    ("query", "body", "headers", "field", "says"),
    [
        ("", b"\xff\xfe", {}, "body", "UTF-8"),
        ("", b"  ", {}, "body", "empty"),
        ("", b"[[x", {}, "body", "not JSON"),
        (
            "",
            b"format = 'x' host = 'y'",
            {"content-type": "application/x-www-form-urlencoded"},
            "body",
            "--data-binary",
        ),
        ("", b"[1, 2]", {}, "body", "not list"),
        ("", b"format = 'x'", TOML, "body", "format is 'x'"),
        ("", RECORDING.replace("0.8125", '"high"').encode(), TOML, "body", "score"),
        ("", _wrong_labels().encode(), TOML, "body", "labels"),
        ("", RECORDING.replace('"plain"', '"hmac-sha256"').encode(), TOML, "body", "mock reads LABELF_RECORDING_KEY"),
        ("?strict=maybe", RECORDING.encode(), TOML, "strict", "true or false"),
        ("?name=%0A", RECORDING.encode(), TOML, "name", "printable"),
        ("?colour=red", RECORDING.encode(), TOML, "colour", "Unknown field"),
    ],
)
def test_a_bad_recording_is_a_400_naming_the_field(
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    body: bytes,
    headers: dict[str, str],
    field: str,
    says: str,
) -> None:
    monkeypatch.delenv("LABELF_RECORDING_KEY", raising=False)
    refused = http.post(f"/__labelf/sessions/default/recordings{query}", content=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == field and says in refused.json()["message"], refused.json()
    assert http.get("/__labelf/sessions/default/recordings").json()["recordings"] == []


def test_an_unknown_session_and_a_huge_body_are_refused(http: httpx.Client) -> None:
    assert http.post("/__labelf/sessions/0123456789abcdef/recordings", content=RECORDING).status_code == 404
    huge = http.post("/__labelf/sessions/default/recordings", content=b" " * ((16 << 20) + 1))
    assert huge.status_code == 413 and huge.json()["error"] == "body_too_large"


def test_the_openapi_document_describes_the_upload() -> None:
    upload = control_openapi()["paths"]["/__labelf/sessions/{session_id}/recordings"]["post"]
    assert set(upload["requestBody"]["content"]) == {"application/json", "application/toml"}
    assert {p["name"] for p in upload["parameters"]} == {"strict", "name"}


@pytest.fixture
def remote() -> Iterator[RemoteMock]:
    server = SocketServer(cast(MockApp, ControlledApp(create_app())))
    server.start()
    try:
        with connect(server.base_url) as handle:
            yield handle
    finally:
        server.stop()


def test_the_remote_handle_sends_a_file_or_a_loaded_recording(remote: RemoteMock, recording_file: Path) -> None:
    loaded = remote.use_recording(recording_file, strict=True)
    assert loaded.model("7") is not None and remote.model(7).labels == ("positive", "neutral", "negative")
    with httpx.Client(base_url=remote.api_url) as http:
        headers = {"authorization": f"Bearer {remote.api_key}"}
        answer = http.post("/models/7/inference", json={"texts": ["I love it"]}, headers=headers)
        assert answer.json()[0]["predictions"] == LOVE
        assert http.post("/models/7/inference", json={"texts": ["x"]}, headers=headers).status_code == 400  # strict
        remote.reset()
        assert http.post("/models/7/inference", json={"texts": ["I love it"]}, headers=headers).status_code == 404
        with pytest.raises(
            ScriptError, match=r"configured models are '1' \(Sentiment\), '2' \(Support topic\), '3' \(Language\)\.$"
        ):
            remote.model(7)  # the model went with the recording
        remote.use_recording(load_recording(recording_file))  # a loaded Recording is sent as JSON
        assert http.post("/models/7/inference", json={"texts": ["I love it"]}, headers=headers).status_code == 200


def test_the_remote_handle_raises_what_the_local_one_raises(remote: RemoteMock, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(RECORDING.replace("0.8125", '"high"'), encoding="utf-8")
    with pytest.raises(RecordingError, match=r"bad.toml.*score is 'high'"):
        remote.use_recording(bad)  # checked here, before anything is sent
    clash = tmp_path / "clash.toml"
    clash.write_text(_wrong_labels(), encoding="utf-8")
    with pytest.raises(RecordingError, match=r"clash.toml.*labels"):
        remote.use_recording(clash)  # the mock's models are the mock's: it says so
