"""An adversarial "live" service that echoes the secret and the token in bodies and headers: none of it lands in
a recording, the terminal or a report."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from labelf_testkit.mock_server.cli import main

CLIENT_ID = "echo-app"
SECRET = "echo-secret-" + secrets.token_hex(12)
TOKEN = "ory_at_" + secrets.token_urlsafe(32)
REQUEST_ID = "req-" + secrets.token_hex(8)
COOKIE = "sess-" + secrets.token_hex(12)


class Echo(BaseHTTPRequestHandler):
    """Answers every Labelf endpoint, repeating back what a careless server would."""

    protocol_version = "HTTP/1.1"
    failing = False

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        auth = self.headers.get("authorization", "")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-echo-authorization", auth)
        self.send_header("x-request-id", REQUEST_ID)
        self.send_header("set-cookie", f"session={COOKIE}; token={TOKEN}")
        self.end_headers()
        self.wfile.write(data)

    def _echo(self) -> dict[str, str]:
        return {
            "authorization": self.headers.get("authorization", ""),
            "secret": SECRET,
            "token": TOKEN,
            "request_id": REQUEST_ID,
        }

    def do_GET(self) -> None:
        labels = ["positive", "negative", f"label {TOKEN}"]
        self._answer(
            200,
            {"id": 7, "name": f"Model {SECRET} {TOKEN}", "type": "classification", "labels": labels, **self._echo()},
        )

    def do_POST(self) -> None:
        body = (
            json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            if self.path.startswith("/v2")
            else {}
        )
        if self.path != "/v2/similarity" and self.path.startswith("/v2") and Echo.failing:
            self._answer(500, {"message": f"failed for {self.headers.get('authorization')} {SECRET}", **self._echo()})
        elif self.path.startswith("/oauth2/token"):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer(
                200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600, "scope": "", **self._echo()}
            )
        elif self.path.startswith("/oauth2/revoke"):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer(200, self._echo())
        elif self.path == "/v2/similarity":
            rows = {
                c: [{"id": b, "similarity": 0.5, **self._echo()} for b in body["base_texts"]]
                for c in body["compare_to_texts"]
            }
            self._answer(200, {**rows})
        else:
            predictions = [
                {"label": "positive", "score": 0.7, **self._echo()},
                {"label": "negative", "score": 0.2},
                {"label": f"label {TOKEN}", "score": 0.1},
            ]
            self._answer(200, [{"text": t, "predictions": predictions, **self._echo()} for t in body["texts"]])

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Echo.failing = False
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def leaks(text: str) -> list[str]:
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    values = [SECRET, TOKEN, COOKIE, basic, TOKEN[7:19], TOKEN[-10:], SECRET[-10:]]
    return [value for value in values if value in text]


def test_nothing_secret_lands_anywhere(
    echo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", SECRET)
    (tmp_path / "texts.txt").write_text("I love it\nhello\n", encoding="utf-8")
    (tmp_path / "base.txt").write_text("base one\n", encoding="utf-8")
    live = ["--live-auth-url", echo, "--live-api-url", echo]
    rec, report = tmp_path / "rec.toml", tmp_path / "report"
    record = ["record", *live, "--texts", str(tmp_path / "texts.txt"), "--model", "7"]
    record += ["--base-texts", str(tmp_path / "base.txt"), "--compare-texts", str(tmp_path / "texts.txt")]
    assert main([*record, "--out", str(rec)]) == 0
    assert main([*record, "--out", str(tmp_path / "rec.json")]) == 0
    assert main(["drift", *live, "--recording", str(rec), "--report", str(report)]) == 0
    assert main(["record", *live, "--update", str(rec)]) == 0
    Echo.failing = True
    assert main(["drift", *live, "--recording", str(rec), "--report", str(report)]) == 1
    assert main(["record", *live, "--update", str(rec)]) == 2
    assert main([*record, "--out", str(tmp_path / "failed.toml")]) == 2
    said = capsys.readouterr()
    assert (
        "POST /v2/models/7/inference (2 texts) answered 500, expected 200: " in said.err
    )  # the error is shown, redacted
    recording = rec.read_text(encoding="utf-8")
    assert 'predictions = [{ label = "positive", score = 0.7 }' in recording  # what the recording is for is there
    outputs = {
        "terminal": said.out + said.err,
        "recording": recording,
        "json recording": (tmp_path / "rec.json").read_text(encoding="utf-8"),
        "markdown report": (tmp_path / "report.md").read_text(encoding="utf-8"),
        "json report": (tmp_path / "report.json").read_text(encoding="utf-8"),
    }
    assert {name: leaks(text) for name, text in outputs.items()} == {key: [] for key in outputs}
    assert [name for name, text in outputs.items() if REQUEST_ID in text or "x-request-id" in text] == []
    assert not (tmp_path / "failed.toml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "base.txt",
        "rec.json",
        "rec.toml",
        "report.json",
        "report.md",
        "texts.txt",
    ]
