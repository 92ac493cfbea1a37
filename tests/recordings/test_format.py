"""The recording file: what it holds, that what is written loads back unchanged, and errors that name the field."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelf_testkit.mock_server import (
    RecordedModel,
    Recording,
    RecordingError,
    TextKey,
    load_recording,
    render_recording,
)

KEY = "a-test-key-of-32-characters-long"


def test_the_hand_written_recording_loads(recording_file: Path) -> None:
    recording = load_recording(recording_file)
    assert recording.host == "https://api.app.labelf.ai"
    assert recording.api_generation == "older"
    assert recording.models == (RecordedModel("7", "Sentiment", ("positive", "neutral", "negative")),)
    assert recording.predictions("7", "I love it") == (("positive", 0.8125), ("neutral", 0.125), ("negative", 0.0625))
    assert recording.predictions("7", "i love it") is None
    assert recording.similarity("a cat sat on a mat", "quarterly revenue grew") == 0.93
    assert recording.texts_of("7") == ["I love it", "positive? not really"]


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_score = st.floats(min_value=0, max_value=1, allow_nan=False) | st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def recordings(draw: st.DrawFn) -> Recording:
    labels = draw(st.lists(_text.filter(bool), min_size=1, max_size=4, unique=True))
    model = RecordedModel(draw(_text.filter(bool)), draw(_text.filter(bool)), tuple(labels))
    answers = {
        (model.model_id, text): tuple((label, draw(_score)) for label in draw(st.permutations(labels)))
        for text in draw(st.lists(_text, max_size=5, unique=True))
    }
    pairs = {pair: draw(_score) for pair in draw(st.lists(st.tuples(_text, _text), max_size=3, unique=True))}
    return Recording(
        draw(_text.filter(bool)),
        draw(_text.filter(bool)),
        draw(st.sampled_from([None, "older", "newer"])),
        (model,),
        answers,
        pairs,
    )


@settings(max_examples=60, deadline=None)
@given(recording=recordings(), as_json=st.booleans())
def test_what_is_written_loads_back_unchanged(
    tmp_path_factory: pytest.TempPathFactory, recording: Recording, as_json: bool
) -> None:
    path = tmp_path_factory.mktemp("rec") / ("r.json" if as_json else "r.toml")
    path.write_text(render_recording(recording, as_json, note="a note\nover two lines"), encoding="utf-8")
    loaded = load_recording(path)
    assert (loaded.host, loaded.taken_at, loaded.api_generation) == (
        recording.host,
        recording.taken_at,
        recording.api_generation,
    )
    assert loaded.models == recording.models
    assert loaded.answers == recording.answers
    assert list(loaded.answers) == list(recording.answers)  # the file keeps the order it was given
    assert loaded.pairs == recording.pairs


def test_the_toml_is_one_line_per_answer_so_a_diff_shows_what_changed(recording_file: Path) -> None:
    recording = load_recording(recording_file)
    text = render_recording(recording, note="Written by a test.")
    assert text.startswith('# Written by a test.\n\nformat = "labelf-recording/1"\n')
    lines = text.splitlines()
    assert lines.count("[[inference]]") == 2
    assert (
        'predictions = [{ label = "positive", score = 0.8125 }, { label = "neutral", score = 0.125 }, '
        '{ label = "negative", score = 0.0625 }]'
    ) in lines


def test_keyed_hashes_store_no_text_and_match_only_with_the_key(tmp_path: Path, recording_file: Path) -> None:
    plain = load_recording(recording_file)
    key = TextKey.hashed(KEY)
    hashed = Recording(
        plain.host,
        plain.taken_at,
        plain.api_generation,
        plain.models,
        {(m, key.of(t)): p for (m, t), p in plain.answers.items()},
        {(key.of(c), key.of(b)): s for (c, b), s in plain.pairs.items()},
        keying=key,
    )
    path = tmp_path / "hashed.toml"
    path.write_text(render_recording(hashed), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "I love it" not in text and "on a mat" not in text and "revenue" not in text
    assert 'texts = "hmac-sha256"' in text and f'key_id = "{key.key_id}"' in text
    loaded = load_recording(path, key)
    assert loaded.predictions("7", "I love it") == plain.predictions("7", "I love it")
    assert loaded.similarity("a cat sat on a mat", "quarterly revenue grew") == 0.93
    assert loaded.texts_of("7") == []
    with pytest.raises(RecordingError, match=r"set LABELF_RECORDING_KEY to the key it was recorded with\. Without"):
        load_recording(path)
    with pytest.raises(RecordingError, match="recorded with another key"):
        load_recording(path, TextKey.hashed("another-key-of-enough-length"))


def test_the_key_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, recording_file: Path
) -> None:
    monkeypatch.setenv("LABELF_RECORDING_KEY", "short")
    with pytest.raises(RecordingError, match="holds 5 characters; use a random key of at least 16"):
        TextKey.from_env()
    monkeypatch.setenv("LABELF_RECORDING_KEY", KEY)
    assert TextKey.from_env() == TextKey.hashed(KEY)
    monkeypatch.delenv("LABELF_RECORDING_KEY")
    assert TextKey.from_env() is None
    assert repr(TextKey.hashed(KEY)).count(KEY) == 0  # a key is never shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('format = "labelf-recording/1"', 'format = "v2"'), "format is 'v2'. Expected 'labelf-recording/1'"),
        (('texts = "plain"', 'texts = "rot13"'), 'texts is \'rot13\'. Expected "plain" or "hmac-sha256"'),
        (('api_generation = "older"', 'api_generation = "oldest"'), "api_generation is 'oldest'"),
        (('host = "https://api.app.labelf.ai"\n', ""), "host is None. Expected a non-empty string"),
        (('labels = ["positive", "neutral", "negative"]', 'labels = ["a", "a"]'), "models[0].labels is ['a', 'a']"),
        (('label = "positive", score = 0.8125', 'label = "joy", score = 0.8125'), "inference[0].predictions[0]"),
        (("score = 0.8125", 'score = "high"'), "inference[0].predictions[0].score is 'high'"),
        (("score = 0.8125", "score = nan"), "predictions[0].score is nan. Expected a finite numbe"),
        (('text = "I love it"', 'text_hmac = "ab"'), "inference[0].text_hmac is '…'. This recording stores plain"),
        (
            ('model_id = "7"\ntext = "I love it"', 'model_id = "8"\ntext = "I love it"'),
            "inference[0].model_id is '8'",
        ),
        (("similarity = 0.93", "similarity = true"), "similarity[0].similarity is True"),
        (('taken_at = "2026-12-01T09:30:00Z"', 'taken_at = "x"\ncomment = 1'), "<top level> is ['comment']"),
    ],
)
def test_a_bad_field_is_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    from tests.recordings.conftest import RECORDING

    assert change[0] in RECORDING
    path = tmp_path / "bad.toml"
    path.write_text(RECORDING.replace(*change, 1), encoding="utf-8")
    with pytest.raises(RecordingError, match=re.escape(message)) as raised:
        load_recording(path)
    assert str(path) in str(raised.value)


def test_unreadable_and_unparsable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot be read: No such file"):
        load_recording(tmp_path / "missing.toml")
    (tmp_path / "r.json").write_text("[1]", encoding="utf-8")
    with pytest.raises(RecordingError, match="must hold a table/object"):
        load_recording(tmp_path / "r.json")
    (tmp_path / "r.toml").write_text("format = ", encoding="utf-8")
    with pytest.raises(RecordingError, match="is not valid TOML"):
        load_recording(tmp_path / "r.toml")
    (tmp_path / "r2.json").write_text(
        json.dumps({"format": "labelf-recording/1", "host": "h", "taken_at": "t", "models": {}}), encoding="utf-8"
    )
    with pytest.raises(RecordingError, match=re.escape("models is {}")):
        load_recording(tmp_path / "r2.json")


def test_floats_survive_as_written() -> None:
    model = RecordedModel("1", "m", ("a",))
    for score in (1e-05, 5e-324, 0.1 + 0.2, 1e16, -0.0, 1.0):
        recording = Recording("h", "t", None, (model,), {("1", "x"): (("a", score),)})
        text = render_recording(recording)
        import tomllib

        loaded = tomllib.loads(text)["inference"][0]["predictions"][0]["score"]
        assert loaded == score and math.copysign(1, loaded) == math.copysign(1, score)


def test_a_hand_written_recording_needs_only_the_required_keys(tmp_path: Path) -> None:
    path = tmp_path / "hand.toml"
    path.write_text(
        'format = "labelf-recording/1"\nhost = "https://x"\ntaken_at = "today"\n'
        '[[models]]\nmodel_id = 42\nlabels = ["urgent", "low"]\n'
        '[[inference]]\nmodel_id = 42\ntext = "down!"\npredictions = [{label = "urgent", score = 1}]\n',
        encoding="utf-8",
    )
    recording = load_recording(path)
    assert recording.models == (RecordedModel("42", "Model 42", ("urgent", "low")),)
    assert recording.predictions("42", "down!") == (("urgent", 1.0),)
    assert recording.api_generation is None and recording.keying == TextKey()


def test_only_format_host_and_taken_at_are_required() -> None:
    from labelf_testkit.mock_server.recordings import recording_from_mapping

    empty = recording_from_mapping({"format": "labelf-recording/1", "host": "h", "taken_at": "t"}, "r.toml")
    assert (empty.models, dict(empty.answers), dict(empty.pairs)) == ((), {}, {})
