"""Recordings written by hand, as ``labelf-mock record`` writes them, for the replay tests."""

from __future__ import annotations

from pathlib import Path

import pytest

#: A recording of a "Sentiment" model 7 (not one of the mock's defaults) and two similarity pairs.
RECORDING = """\
# Written by hand for the tests, in the shape `labelf-mock record` writes.
format = "labelf-recording/1"
host = "https://api.app.labelf.ai"
taken_at = "2026-12-01T09:30:00Z"
api_generation = "older"
texts = "plain"

[[models]]
model_id = "7"
name = "Sentiment"
model_type = "classification"
labels = ["positive", "neutral", "negative"]

[[inference]]
model_id = "7"
text = "I love it"
predictions = [
    { label = "positive", score = 0.8125 },
    { label = "neutral", score = 0.125 },
    { label = "negative", score = 0.0625 },
]

[[inference]]
model_id = "7"
text = "positive? not really"
predictions = [
    { label = "negative", score = 0.71 },
    { label = "neutral", score = 0.2 },
    { label = "positive", score = 0.09 },
]

[[similarity]]
compare = "a cat sat on a mat"
base = "quarterly revenue grew"
similarity = 0.93

[[similarity]]
compare = "a cat sat on a mat"
base = "the cat sat on the mat"
similarity = 0.11
"""


@pytest.fixture
def recording_file(tmp_path: Path) -> Path:
    """The recording above, on disk."""
    path = tmp_path / "sentiment.toml"
    path.write_text(RECORDING, encoding="utf-8")
    return path
