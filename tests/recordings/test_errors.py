"""What ``record`` and ``drift --recording`` say when the input or the live service is not what they expect."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import RecordedModel, Recording, RecordingError, TextKey
from labelf_testkit.mock_server.cli import main
from labelf_testkit.mock_server.drift.live import DriftError
from labelf_testkit.mock_server.drift.record import read_texts
from labelf_testkit.mock_server.drift.recording_runs import write_recording
from labelf_testkit.mock_server.drift.staleness import Unit
from labelf_testkit.mock_server.recordings import recording_from_mapping
from tests.recordings.standin import CLIENT_ID, CLIENT_SECRET, stand_in


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("LABELF_MODEL_ID", raising=False)
    monkeypatch.delenv("LABELF_RECORDING_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "texts.txt").write_text("one\ntwo\n", encoding="utf-8")


class Odd(BaseHTTPRequestHandler):
    """A "live" service whose inference and similarity answer ``answers[path]`` (status, headers, body)."""

    protocol_version = "HTTP/1.1"
    answers: ClassVar[dict[str, tuple[int, dict[str, str], Any]]] = {}

    def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {}, {"id": 1, "name": "M", "labels": ["a", "b"]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/oauth2/token":
            self._send(200, {}, {"access_token": "ory_at_" + "t" * 40, "token_type": "bearer"})
        elif self.path in self.answers:
            self._send(*self.answers[self.path])
        else:
            self._send(200, {}, b"")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def odd() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Odd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        Odd.answers = {}


INFERENCE = "/v2/models/1/inference"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((200, {}, b"not json"), "(2 texts) answered 200 with a body that is not JSON: not json"),
        ((200, {}, {"x": 1}), 'answered a shape of neither API generation: {"x": 1}'),
        ((200, {}, [{"predictions": [{"label": "a", "score": 1}]}]), "answered 1 results for 2 texts"),
        ((200, {}, [{"predictions": []}] * 2), "expected a non-empty list of predictions, got []"),
        (
            (200, {}, [{"predictions": [{"label": "a"}]}] * 2),
            'a prediction without a label and a score: {"label": "a"}',
        ),
        ((200, {}, b'[{"predictions": [{"label": "a", "score": NaN}]}, {}]'), "a score that is not a finite number"),
        ((429, {"Retry-After": "3600"}, {}), "answered 429 with Retry-After 3600; not waiting that long"),
    ],
)
def test_odd_inference_answers_are_one_line(
    odd: str, capsys: pytest.CaptureFixture[str], answer: tuple[int, dict[str, str], Any], message: str
) -> None:
    Odd.answers = {INFERENCE: answer}
    args = ["record", "--live-auth-url", odd, "--live-api-url", odd, "--texts", "texts.txt", "--model", "1"]
    assert main([*args, "--out", "x.toml"]) == 2
    assert message in capsys.readouterr().err
    assert not Path("x.toml").exists()


def test_an_odd_similarity_answer_is_one_line(odd: str, capsys: pytest.CaptureFixture[str]) -> None:
    Odd.answers = {"/v2/similarity": (200, {}, [1])}
    args = ["record", "--live-auth-url", odd, "--live-api-url", odd, "--base-texts", "texts.txt"]
    assert main([*args, "--compare-texts", "texts.txt", "--out", "x.toml"]) == 2
    assert "expected an object of compare ids, got [1]" in capsys.readouterr().err


def test_a_newer_answer_without_a_generation_field_is_read(odd: str) -> None:
    Odd.answers = {INFERENCE: (200, {}, {"predictions": [[{"label": "a", "score": 0.5}]] * 2})}
    assert (
        main(
            [
                "record",
                "--live-auth-url",
                odd,
                "--live-api-url",
                odd,
                "--texts",
                "texts.txt",
                "--model",
                "1",
                "--out",
                "x.toml",
            ]
        )
        == 0
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\xff\xfe", "t.txt", "cannot be read: not UTF-8"),
        (b"\n \n", "t.txt", "holds no text"),
        (b"{", "t.json", "is not JSON"),
        (b'{"texts": [1]}', "t.json", 'expected a JSON list of strings, or {"texts": [...]}'),
    ],
)
def test_text_files_that_cannot_be_used(tmp_path: Path, content: bytes, name: str, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DriftError, match=re.escape(message)):
        read_texts(tmp_path / name)
    with pytest.raises(DriftError, match="cannot be read: No such file"):
        read_texts(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"models": [{"model_id": True, "labels": ["a"]}]}, "models[0].model_id is True. Expected a model id"),
        ({"models": ["m"]}, "models[0] is 'm'. Expected a table"),
        ({"models": [{"model_id": 1, "labels": ["a"]}] * 2}, "models[1] is '1'. Each model is listed once."),
        ({"inference": [{"model_id": 1, "text": 5}]}, "inference[0].text is 5. Expected a string."),
        ({"inference": [{"model_id": 1, "text": "t", "predictions": []}]}, "inference[0].predictions is []"),
        ({"inference": {}}, "inference is {}. Expected a list"),
        ({"inference": [3]}, "inference[0] is 3. Expected a table"),
        ({"similarity": {}}, "similarity is {}. Expected a list"),
        ({"similarity": [3]}, "similarity[0] is 3. Expected a table"),
        ({"taken_at": ""}, "taken_at is ''. Expected a non-empty string."),
    ],
)
def test_recording_fields_are_named(document: dict[str, Any], message: str) -> None:
    base = {"format": "labelf-recording/1", "host": "h", "taken_at": "t", "models": [{"model_id": 1, "labels": ["a"]}]}
    with pytest.raises(RecordingError) as raised:
        recording_from_mapping({**base, **document}, "r.toml")
    assert message in str(raised.value)


def test_a_short_key_in_the_environment_is_named_with_the_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELF_RECORDING_KEY", "short")
    document = {"format": "labelf-recording/1", "host": "h", "taken_at": "t", "texts": "hmac-sha256"}
    with pytest.raises(RecordingError, match=r"^Recording r\.toml: LABELF_RECORDING_KEY holds 5 characters"):
        recording_from_mapping(document, "r.toml")


def test_a_recording_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    recording = Recording("h", "t", None, (RecordedModel("1", "m", ("a",)),), {})
    with pytest.raises(DriftError, match="cannot be written"):
        write_recording(recording, tmp_path / "file" / "rec.toml")


def test_long_texts_are_shortened_with_a_digest() -> None:
    unit = Unit("1", "x" * 100, "x" * 100)
    shown = unit.shown(hashed=False)
    assert len(shown) == 60 and shown.startswith("x" * 50 + "…#")
    assert Unit("1", "x" * 100, "x" * 99 + "y").shown(hashed=False) != shown
    assert Unit(None, ("c", "b"), "c", "b").shown(hashed=True).startswith("hmac:")
    assert TextKey().key_id is None


def test_pairs_changed_gone_failing_and_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "base.txt").write_text("the cat sat on the mat\nquarterly revenue grew\n", encoding="utf-8")
    (tmp_path / "compare.txt").write_text("a cat sat on a mat\n", encoding="utf-8")
    (tmp_path / "more.txt").write_text("a dog barked\n", encoding="utf-8")
    with stand_in() as live:
        url = ["--live-auth-url", live.url, "--live-api-url", live.url]
        pairs = ["--base-texts", "base.txt", "--compare-texts", "compare.txt"]
        assert main(["record", *url, *pairs, "--out", "rec.toml"]) == 0
        LabelfMock(live.app, live.url).similarity_score(base="quarterly revenue grew", score=0.99)
        assert (
            main(["record", *url, "--update", "rec.toml", "--base-texts", "more.txt", "--compare-texts", "compare.txt"])
            == 0
        )
        assert "1 changed, 1 unchanged, 1 added; rewrote" in capsys.readouterr().out
        assert main(["record", *url, "--update", "rec.toml", "--max-requests", "2"]) == 2
        assert "refreshing rec.toml needs 3 live requests" in capsys.readouterr().err
        LabelfMock(live.app, live.url).similarity.fail(status=503, times=None)
        assert main(["drift", *url, "--recording", "rec.toml", "--report", "r"]) == 1
    found = json.loads(Path("r.json").read_text(encoding="utf-8"))["findings"]
    assert {(f["kind"], f["live"]) for f in found} == {("status", "503")}
    assert len(found) == 3
