"""``labelf-mock record`` against a live stand-in: what it asks, within which limits, and what it writes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import load_recording
from labelf_testkit.mock_server.cli import main
from labelf_testkit.mock_server.endpoints import MAX_TEXT_CHARS, MAX_TEXTS_PER_INFERENCE, MAX_TEXTS_PER_SIMILARITY
from tests.recordings.standin import CLIENT_ID, CLIENT_SECRET, stand_in

LOVE = (("positive", 0.8125), ("neutral", 0.125), ("negative", 0.0625))


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("LABELF_MODEL_ID", raising=False)
    monkeypatch.delenv("LABELF_RECORDING_KEY", raising=False)


def record(url: str, *args: str) -> int:
    return main(["record", "--live-auth-url", url, "--live-api-url", url, *args])


def texts_file(folder: Path, texts: list[str], name: str = "texts.txt") -> Path:
    path = folder / name
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path


def test_it_records_what_live_answers(tmp_path: Path, recording_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = texts_file(tmp_path, ["I love it", "something else", "", "I love it"])
    base = texts_file(tmp_path, ["the cat sat on the mat", "quarterly revenue grew"], "base.txt")
    compare = texts_file(tmp_path, ["a cat sat on a mat"], "compare.txt")
    out = tmp_path / "out" / "rec.toml"
    with stand_in([recording_file]) as live:
        code = record(
            live.url,
            "--texts",
            str(texts),
            "--model",
            "7",
            "--model",
            "1",
            "--base-texts",
            str(base),
            "--compare-texts",
            str(compare),
            "--out",
            str(out),
        )
        paths = [r.path for r in live.received]
        token = LabelfMock(live.app, live.url).issue_token()
        asked = httpx.post(
            f"{live.url}/v2/models/1/inference",
            json={"texts": ["something else"]},
            headers={"authorization": f"Bearer {token}"},
        )
        expected_1 = asked.json()[0]["predictions"]
    assert code == 0
    recording = load_recording(out)
    assert recording.host == live.url and recording.api_generation == "older"
    assert recording.taken_at.endswith("Z")
    assert [m.model_id for m in recording.models] == ["7", "1"]
    assert recording.models[0].labels == ("positive", "neutral", "negative")
    assert recording.predictions("7", "I love it") == LOVE
    assert recording.predictions("1", "something else") == tuple((p["label"], p["score"]) for p in expected_1)
    assert len(recording.answers) == 4  # blank lines skipped, repeats kept once
    assert recording.similarity("a cat sat on a mat", "quarterly revenue grew") == 0.93
    assert recording.similarity("a cat sat on a mat", "the cat sat on the mat") == 0.11
    assert paths == [
        "/oauth2/token",
        "/v2/models/7",
        "/v2/models/1",
        "/v2/models/7/inference",
        "/v2/models/1/inference",
        "/v2/similarity",
        "/oauth2/revoke",
    ]
    said = capsys.readouterr().out
    assert (
        f"wrote 4 answer(s) of 2 model(s) and 2 similarity pair(s), API generation older to {out} (7 live requests"
        in said
    )
    assert "texts are stored as given: review the file before you commit it" in said


def test_a_newer_generation_answer_is_recorded_too(tmp_path: Path, recording_file: Path) -> None:
    out = tmp_path / "rec.json"
    with stand_in([recording_file], api_generation="newer") as live:
        assert (
            record(live.url, "--texts", str(texts_file(tmp_path, ["I love it"])), "--model", "7", "--out", str(out))
            == 0
        )
    recording = load_recording(out)
    assert recording.api_generation == "newer"
    assert recording.predictions("7", "I love it") == LOVE
    assert json.loads(out.read_text())["format"] == "labelf-recording/1"


def test_a_thousand_texts_stay_within_the_cap_and_the_batch_limits(tmp_path: Path) -> None:
    texts = [f"ticket number {i}" for i in range(995)] + [f"{i}" + "x" * (MAX_TEXT_CHARS - 1) for i in range(5)]
    path = tmp_path / "texts.json"
    path.write_text(json.dumps({"texts": texts}), encoding="utf-8")
    needed = 1 + 1 + math.ceil(1000 / MAX_TEXTS_PER_INFERENCE) + 1  # token, model, inference calls, revocation
    out = tmp_path / "rec.toml"
    with stand_in() as live:
        assert (
            record(live.url, "--texts", str(path), "--model", "2", "--out", str(out), "--max-requests", str(needed - 1))
            == 2
        )
        assert live.received == []  # refused before sending anything
        assert (
            record(live.url, "--texts", str(path), "--model", "2", "--out", str(out), "--max-requests", str(needed))
            == 0
        )
    inference = [r for r in live.received if r.path.endswith("/inference")]
    assert len(live.received) == needed
    assert all(len(r.body["texts"]) <= MAX_TEXTS_PER_INFERENCE for r in inference)
    assert all(len(text) <= MAX_TEXT_CHARS for r in inference for text in r.body["texts"])
    assert sorted(t for r in inference for t in r.body["texts"]) == sorted(texts)  # each text asked once
    assert len(load_recording(out).answers) == 1000


def test_similarity_sets_are_split_into_calls_of_at_most_200_texts(tmp_path: Path) -> None:
    base = texts_file(tmp_path, [f"base text {i}" for i in range(150)], "base.txt")
    compare = texts_file(tmp_path, [f"compare text {i}" for i in range(120)], "compare.txt")
    out = tmp_path / "rec.toml"
    with stand_in() as live:
        assert record(live.url, "--base-texts", str(base), "--compare-texts", str(compare), "--out", str(out)) == 0
    calls = [r.body for r in live.received if r.path == "/v2/similarity"]
    assert all(len(c["base_texts"]) + len(c["compare_to_texts"]) <= MAX_TEXTS_PER_SIMILARITY for c in calls)
    assert all(c["top_n"] == len(c["base_texts"]) for c in calls)
    assert len(calls) == 2  # 150 x 120 pairs in the fewest calls the limit allows
    assert len(load_recording(out).pairs) == 150 * 120


def test_retries_are_counted_against_the_cap(tmp_path: Path) -> None:
    texts = texts_file(tmp_path, ["a", "b"])
    out = tmp_path / "rec.toml"
    with stand_in() as live:
        LabelfMock(live.app, live.url).inference.rate_limit(times=2, retry_after=0)
        assert record(live.url, "--texts", str(texts), "--model", "1", "--out", str(out), "--max-requests", "6") == 0
        assert [r.path for r in live.received].count("/v2/models/1/inference") == 3
        LabelfMock(live.app, live.url).inference.rate_limit(times=2, retry_after=0)
        before = len(live.received)
        assert record(live.url, "--texts", str(texts), "--model", "1", "--out", str(out), "--max-requests", "5") == 2
        assert len(live.received) - before == 5  # the cap held, retries included; the last one revoked the token
        assert live.received[-1].path == "/oauth2/revoke"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--texts", "{texts}", "--out", "x.toml"],
            "--texts needs the models to ask: --model ID (repeatable), or LABELF_MODEL_ID",
        ),
        (["--model", "1", "--out", "x.toml"], "--model needs the texts to classify: --texts FILE"),
        (["--base-texts", "{texts}", "--out", "x.toml"], "--base-texts and --compare-texts go together"),
        (
            ["--texts", "{long}", "--model", "1", "--out", "x.toml"],
            "long.txt' line 2 has 10001 characters; Labelf takes at most 10000 per text",
        ),
        (
            ["--texts", "{texts}", "--model", "1", "--out", "x.toml", "--redact-texts"],
            "--redact-texts stores texts as keyed hashes: set LABELF_RECORDING_KEY",
        ),
        (["--update", "{texts}", "--redact-texts"], "--update keeps the recording's own way of storing texts"),
        (["--update", "missing.toml"], "Recording 'missing.toml' cannot be read"),
        (
            ["--texts", "{texts}", "--model", "1", "--out", "x.toml", "--tolerance", "2"],
            "--tolerance takes a number from 0 to 1, got 2.0",
        ),
        (["--out", "x.toml"], "nothing to record: give --texts with --model, or --base-texts with --compare-texts"),
    ],
)
def test_usage_problems_are_one_line_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    texts_file(tmp_path, ["hello"])
    (tmp_path / "long.txt").write_text("ok\n" + "x" * (MAX_TEXT_CHARS + 1) + "\n", encoding="utf-8")
    with stand_in() as live:
        filled = [a.format(texts=tmp_path / "texts.txt", long=tmp_path / "long.txt") for a in args]
        assert record(live.url, *filled) == 2
        assert live.received == []
    err = capsys.readouterr().err
    assert err.startswith("labelf-mock record: ") and err.count("\n") == 1
    assert message in err


def test_live_mode_rules_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = str(texts_file(tmp_path, ["hello"]))
    assert (
        main(
            [
                "record",
                "--texts",
                texts,
                "--model",
                "1",
                "--out",
                "x.toml",
                "--live-auth-url",
                "http://example.com",
                "--live-api-url",
                "https://example.com",
            ]
        )
        == 2
    )
    assert "plain http to a non-loopback host" in capsys.readouterr().err
    monkeypatch.delenv("LABELF_CLIENT_SECRET")
    assert main(["record", "--texts", texts, "--model", "1", "--out", "x.toml"]) == 2
    assert "set LABELF_CLIENT_ID and LABELF_CLIENT_SECRET in the environment" in capsys.readouterr().err
