"""``labelf-mock drift --recording`` and ``record --update``: what changed live, found and refreshed."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import load_recording
from labelf_testkit.mock_server.cli import main
from tests.recordings.standin import CLIENT_ID, CLIENT_SECRET, StandIn, stand_in

KEY = "recording-key-for-the-tests-0123"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("LABELF_MODEL_ID", raising=False)
    monkeypatch.delenv("LABELF_RECORDING_KEY", raising=False)


def run(command: str, url: str, *args: str) -> int:
    return main([command, "--live-auth-url", url, "--live-api-url", url, *args])


TEXTS = ["I love it", "positive? not really", "hello there", "refund please"]


def take(live: StandIn, folder: Path, *extra: str) -> Path:
    (folder / "texts.txt").write_text("\n".join(TEXTS), encoding="utf-8")
    (folder / "base.txt").write_text("the cat sat on the mat\nquarterly revenue grew\n", encoding="utf-8")
    (folder / "compare.txt").write_text("a cat sat on a mat\n", encoding="utf-8")
    out = folder / "rec.toml"
    args = ["--texts", str(folder / "texts.txt"), "--model", "7", "--model", "1", "--out", str(out), *extra]
    args += ["--base-texts", str(folder / "base.txt"), "--compare-texts", str(folder / "compare.txt")]
    assert run("record", live.url, *args) == 0
    return out


def findings(report: Path) -> list[dict[str, object]]:
    document = json.loads(report.with_name(report.name + ".json").read_text(encoding="utf-8"))
    return [f for f in document["findings"] if f["status"] in {"new", "expired"}]


def test_an_unchanged_recording_is_no_drift(
    tmp_path: Path, recording_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path)
        before = len(live.received)
        assert run("drift", live.url, "--recording", str(rec)) == 0
        assert len(live.received) - before == 5  # a token, two inference calls, one similarity call, a revocation
    assert "labelf-mock drift: 0 drift, 0 accepted, 0 noise; 5 live requests (cap 60)" in capsys.readouterr().out


def test_exactly_the_changed_answers_are_drift(
    tmp_path: Path, recording_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path)
        live_mock = LabelfMock(live.app, live.url)
        live_mock.model(7).answer("I love it", {"negative": 0.7, "neutral": 0.2, "positive": 0.1})  # order and scores
        live_mock.model(1).answer("hello there", {"neutral": 0.9})
        live_mock.similarity_score(compare="a cat sat on a mat", base="quarterly revenue grew", score=0.5)
        report = tmp_path / "drift-report"
        assert run("drift", live.url, "--recording", str(rec), "--report", str(report)) == 1
    found = findings(report)
    assert {f["case"] for f in found} == {
        "model 7: I love it",
        "model 1: hello there",
        "similarity: a cat sat on a mat ~ quarterly revenue grew",
    }
    love = {(f["kind"], f["location"]): (f["mock"], f["live"]) for f in found if f["case"] == "model 7: I love it"}
    assert love == {
        ("value", "$.predictions[*].label"): ("positive, neutral, negative", "negative, neutral, positive"),
        ("value", "$.predictions['positive'].score"): ("0.8125", "0.1"),
        ("value", "$.predictions['neutral'].score"): ("0.125", "0.2"),
        ("value", "$.predictions['negative'].score"): ("0.0625", "0.7"),
    }
    out = capsys.readouterr().out
    assert (
        "DRIFT value $.similarity in similarity: a cat sat on a mat ~ quarterly revenue grew: live 0.5, mock 0.93"
        in out
    )
    assert f"refresh what changed: labelf-mock record --update {rec}" in out
    markdown = report.with_name("drift-report.md").read_text(encoding="utf-8")
    assert 'Here "live" is what the live service answers now and "mock" is what the recording holds' in markdown


def test_the_tolerance_decides_what_changed(tmp_path: Path, recording_file: Path) -> None:
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path)
        recorded = dict(load_recording(rec).predictions("1", "refund please") or ())
        top = max(recorded, key=lambda label: recorded[label])
        moved = {label: score - 0.002 if label == top else score + 0.001 for label, score in recorded.items()}
        LabelfMock(live.app, live.url).model(1).answer("refund please", moved)
        assert run("drift", live.url, "--recording", str(rec)) == 0
        report = tmp_path / "r"
        assert run("drift", live.url, "--recording", str(rec), "--tolerance", "0.0015", "--report", str(report)) == 1
    assert {(f["case"], f["location"]) for f in findings(report)} == {
        ("model 1: refund please", f"$.predictions[{top!r}].score")
    }


def test_a_baseline_accepts_findings_until_a_date(tmp_path: Path, recording_file: Path) -> None:
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path)
        LabelfMock(live.app, live.url).model(7).answer("I love it", {"negative": 1.0})
        baseline = tmp_path / "baseline.json"
        assert run("drift", live.url, "--recording", str(rec), "--update-baseline", str(baseline)) == 0
        assert run("drift", live.url, "--recording", str(rec), "--baseline", str(baseline)) == 0
        LabelfMock(live.app, live.url).model(7).answer("positive? not really", {"negative": 1.0})
        assert run("drift", live.url, "--recording", str(rec), "--baseline", str(baseline)) == 1


def test_a_model_gone_is_a_status_finding_per_text(tmp_path: Path, recording_file: Path) -> None:
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path)
        LabelfMock(live.app, live.url).model(7).remove()
        report = tmp_path / "r"
        assert run("drift", live.url, "--recording", str(rec), "--report", str(report)) == 1
    assert {(f["case"], f["kind"], f["live"], f["mock"]) for f in findings(report)} == {
        (f"model 7: {text}", "status", "404", "200") for text in TEXTS
    }


def test_the_cap_picks_a_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    many = [f"ticket {i}" for i in range(40)]
    (tmp_path / "many.txt").write_text("\n".join(many), encoding="utf-8")
    rec = tmp_path / "rec.toml"
    with stand_in() as live:
        assert run("record", live.url, "--texts", str(tmp_path / "many.txt"), "--model", "1", "--out", str(rec)) == 0
        asked: list[list[str]] = []
        for _ in range(2):
            before = len(live.received)
            assert run("drift", live.url, "--recording", str(rec), "--max-requests", "4", "--seed", "7") == 0
            calls = live.received[before:]
            assert len(calls) == 4
            asked.append(sorted(t for c in calls if c.path.endswith("/inference") for t in c.body["texts"]))
        assert asked[0] == asked[1] and len(asked[0]) == 16  # two calls of 8, the same sample for one seed
        before = len(live.received)
        assert run("drift", live.url, "--recording", str(rec), "--sample", "3") == 0
        assert [len(c.body["texts"]) for c in live.received[before:] if c.path.endswith("/inference")] == [3]
        assert run("drift", live.url, "--recording", str(rec), "--max-requests", "2") == 2
    out = capsys.readouterr()
    assert "checked a sample of 16 of 40 recorded answers" not in out.out  # notes go to the report, not the summary
    assert "--max-requests 2 leaves no request to check a recorded answer" in out.err


def test_update_rewrites_only_what_changed(
    tmp_path: Path, recording_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path)
        original = rec.read_text(encoding="utf-8")
        taken_at = load_recording(rec).taken_at
        assert run("record", live.url, "--update", str(rec)) == 0
        assert rec.read_text(encoding="utf-8") == original
        assert "0 changed, 10 unchanged, 0 added; nothing changed; " in capsys.readouterr().out
        LabelfMock(live.app, live.url).model(1).answer("hello there", {"neutral": 0.9})
        (tmp_path / "more.txt").write_text("a new ticket\n", encoding="utf-8")
        assert run("record", live.url, "--update", str(rec), "--texts", str(tmp_path / "more.txt")) == 0
    said = capsys.readouterr().out
    assert "CHANGED model 1: hello there\n" in said
    assert "1 changed, 9 unchanged, 2 added; rewrote" in said
    removed = [
        line[2:] for line in difflib.ndiff(original.splitlines(), rec.read_text().splitlines()) if line[:2] == "- "
    ]
    hello = original.split('text = "hello there"\n', 2)[2].splitlines()[0]  # model 1's answer (model 7's is first)
    # the one answer that changed, and the header's time when the second has turned since the recording
    assert removed in ([hello], [original.splitlines()[0], hello])
    updated = load_recording(rec)
    assert dict(updated.predictions("1", "hello there") or ())["neutral"] == 0.9
    assert updated.predictions("7", "a new ticket") is not None and updated.predictions("1", "a new ticket") is not None
    assert updated.updated_at is not None and updated.taken_at == taken_at


def test_keyed_hash_recordings_are_checked_and_updated_with_their_texts(
    tmp_path: Path, recording_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABELF_RECORDING_KEY", KEY)
    with stand_in([recording_file]) as live:
        rec = take(live, tmp_path, "--redact-texts")
        text = rec.read_text(encoding="utf-8")
        assert all(t not in text for t in TEXTS) and 'texts = "hmac-sha256"' in text
        LabelfMock(live.app, live.url).model(7).answer("I love it", {"negative": 1.0})
        report = tmp_path / "r"
        assert (
            run("drift", live.url, "--recording", str(rec), "--report", str(report)) == 0
        )  # no texts: nothing checked
        assert "18 recorded answer(s) not checked: the recording stores keyed hashes" not in capsys.readouterr().out
        document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert any(
            "not checked: the recording stores keyed hashes; give their texts with --texts" in n
            for n in document["snapshot_skipped"]
        )
        texts = str(tmp_path / "texts.txt")
        assert run("drift", live.url, "--recording", str(rec), "--texts", texts, "--report", str(report)) == 1
        (case,) = {f["case"] for f in findings(report)}
        assert str(case).startswith("model 7: hmac:")
        assert run("record", live.url, "--update", str(rec), "--texts", texts) == 0
    assert dict(load_recording(rec).predictions("7", "I love it") or ())["negative"] == 1.0
    monkeypatch.delenv("LABELF_RECORDING_KEY")
    with pytest.raises(Exception, match="set LABELF_RECORDING_KEY to the key it was recorded with"):
        load_recording(rec)


def test_drift_options_that_do_not_apply_are_refused(
    tmp_path: Path, recording_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("drift", "http://127.0.0.1:9", "--recording", str(recording_file), "--repeat", "2") == 2
    assert "--config and --repeat do not apply to --recording" in capsys.readouterr().err
