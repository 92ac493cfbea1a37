"""Recordings: what a live Labelf workspace answered, as a reviewable file the mock replays.

``labelf-mock record`` writes one (TOML, or JSON for a ``.json`` name); the mock loads it by config
(``recordings = [...]``), by ``labelf-mock serve --recording FILE``, or per test.  A recording holds, and
holds only: the format name, when and against which API host it was taken, the API generation the live
service answered in, each recorded model's id, name, type and labels, each (model, text)'s predictions in the
order the live service ranked them, and each recorded (compare, base) similarity.  Never a token, a secret, a
``request_id`` or a response header.

Texts are the user's own data and are written as given, unless the recording was taken with
``--redact-texts``: then each text is stored as its HMAC-SHA256 under a key read from ``LABELF_RECORDING_KEY``
(RFC 2104), with a key id (the HMAC of a fixed label) so the mock can tell a wrong key from a missing text.
Without that key such a recording cannot match any text, so loading it without the key is an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config import ConfigError

__all__ = [
    "FORMAT",
    "KEY_ENV",
    "MIN_KEY_CHARS",
    "Predictions",
    "RecordedModel",
    "Recording",
    "RecordingError",
    "TextKey",
    "load_recording",
    "recording_from_mapping",
    "render_recording",
    "toml_string",
]

#: The ``format`` every recording names; a file without it is not a recording.
FORMAT = "labelf-recording/1"
#: Where the key of ``--redact-texts`` recordings is read from, when recording and when replaying.
KEY_ENV = "LABELF_RECORDING_KEY"
#: The shortest key accepted: shorter keys make the stored hashes guessable for short texts.
MIN_KEY_CHARS = 16
_KEY_ID_LABEL = b"labelf-recording key id"
TextMode = Literal["plain", "hmac-sha256"]
#: A text's predictions as recorded: (label, score) pairs in the live service's order.
Predictions = tuple[tuple[str, float], ...]


class RecordingError(ConfigError):
    """A recording the mock cannot load or use; the message names the file and the field."""


@dataclass(frozen=True)
class TextKey:
    """How a recording keys its texts: as given (``plain``) or as HMAC-SHA256 under a secret key."""

    mode: TextMode = "plain"
    secret: bytes | None = field(default=None, repr=False)

    @classmethod
    def hashed(cls, key: str) -> TextKey:
        """Keyed hashes under ``key`` (at least :data:`MIN_KEY_CHARS` characters)."""
        if len(key) < MIN_KEY_CHARS:
            raise RecordingError(
                f"{KEY_ENV} holds {len(key)} characters; use a random key of at least {MIN_KEY_CHARS} "
                '(python -c "import secrets; print(secrets.token_urlsafe(32))").'
            )
        return cls("hmac-sha256", key.encode("utf-8"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TextKey | None:
        """Keyed hashes under ``$LABELF_RECORDING_KEY``, or ``None`` when it is not set."""
        key = (os.environ if env is None else env).get(KEY_ENV)
        return cls.hashed(key) if key else None

    def of(self, text: str) -> str:
        """How ``text`` is stored and looked up: itself, or its keyed hash in hex."""
        if self.secret is None:
            return text
        return hmac.new(self.secret, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    @property
    def key_id(self) -> str | None:
        """A short public id of the key (an HMAC of a fixed label): tells a wrong key from a missing text."""
        if self.secret is None:
            return None
        return hmac.new(self.secret, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class RecordedModel:
    """A model as the live service described it (``GET /v2/models/{id}``)."""

    model_id: str
    name: str
    labels: tuple[str, ...]
    model_type: str = "classification"


@dataclass(frozen=True)
class Recording:
    """One recording.  ``answers`` maps (model id, stored text) to predictions; ``pairs`` maps (stored compare
    text, stored base text) to a similarity; a stored text is the text, or its keyed hash (``keying``)."""

    host: str
    taken_at: str
    api_generation: str | None
    models: tuple[RecordedModel, ...]
    answers: Mapping[tuple[str, str], Predictions]
    pairs: Mapping[tuple[str, str], float] = field(default_factory=dict)
    keying: TextKey = TextKey()
    updated_at: str | None = None
    source: str = "<memory>"

    def model(self, model_id: str) -> RecordedModel | None:
        """The recorded model with this id, if any."""
        return next((m for m in self.models if m.model_id == model_id), None)

    def predictions(self, model_id: str, text: str) -> Predictions | None:
        """What the live service answered for ``text`` on ``model_id``, if recorded."""
        return self.answers.get((model_id, self.keying.of(text)))

    def similarity(self, compare: str, base: str) -> float | None:
        """The recorded similarity of the pair, if recorded."""
        return self.pairs.get((self.keying.of(compare), self.keying.of(base)))

    def texts_of(self, model_id: str) -> list[str]:
        """The texts recorded for ``model_id`` (empty for keyed hashes: those texts are not known)."""
        if self.keying.secret is not None:
            return []
        return [text for model, text in self.answers if model == model_id]


def _bad(where: str, field_name: str, value: object, expected: str) -> RecordingError:
    shown = repr(value)
    return RecordingError(f"Recording {where}: {field_name} is {shown[:120]}. {expected}")


def _string(raw: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _bad(where, name, value, "Expected a non-empty string.")
    return value


def _model_id(value: object, where: str, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise _bad(where, name, value, "Expected a model id (a non-empty string or an integer).")
    return str(value)


def _models(raw: object, where: str) -> tuple[RecordedModel, ...]:
    if not isinstance(raw, list):
        raise _bad(where, "models", raw, "Expected a list of tables {model_id, name, labels}.")
    models: dict[str, RecordedModel] = {}
    for index, item in enumerate(raw):
        at = f"models[{index}]"
        if not isinstance(item, Mapping):
            raise _bad(where, at, item, "Expected a table {model_id, name, labels}.")
        model_id = _model_id(item.get("model_id"), where, f"{at}.model_id")
        labels = item.get("labels")
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(label, str) for label in labels)
            or len(set(labels)) != len(labels)
        ):
            raise _bad(where, f"{at}.labels", labels, "Expected a non-empty list of distinct label names.")
        if model_id in models:
            raise _bad(where, at, model_id, "Each model is listed once.")
        name = _string(item, "name", f"{where} {at}", required=False) or f"Model {model_id}"
        kind = _string(item, "model_type", f"{where} {at}", required=False) or "classification"
        models[model_id] = RecordedModel(model_id, name, tuple(labels), kind)
    return tuple(models.values())


def _score(value: object, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(where, name, value, "Expected a finite number.")
    return float(value)


def _stored_text(item: Mapping[str, Any], name: str, keying: TextKey, where: str, at: str) -> str:
    hashed = keying.secret is not None
    wanted, other = (f"{name}_hmac", name) if hashed else (name, f"{name}_hmac")
    if other in item:
        mode = "keyed hashes" if hashed else "plain texts"
        raise _bad(where, f"{at}.{other}", "…", f"This recording stores {mode}: expected {wanted}.")
    value = item.get(wanted)
    if not isinstance(value, str):
        raise _bad(where, f"{at}.{wanted}", value, "Expected a string.")
    return value


def _predictions(raw: object, model: RecordedModel, where: str, at: str) -> Predictions:
    if not isinstance(raw, list) or not raw:
        raise _bad(where, f"{at}.predictions", raw, "Expected a non-empty list of {label, score}.")
    predictions = []
    for index, item in enumerate(raw):
        here = f"{at}.predictions[{index}]"
        if not isinstance(item, Mapping) or item.get("label") not in model.labels:
            raise _bad(where, here, item, f"Expected {{label, score}} with a label of model {model.model_id!r}.")
        predictions.append((str(item["label"]), _score(item.get("score"), where, f"{here}.score")))
    return tuple(predictions)


def _answers(
    raw: object, models: tuple[RecordedModel, ...], keying: TextKey, where: str
) -> dict[tuple[str, str], Predictions]:
    if not isinstance(raw, list):
        raise _bad(where, "inference", raw, "Expected a list of tables {model_id, text, predictions}.")
    by_id = {m.model_id: m for m in models}
    answers: dict[tuple[str, str], Predictions] = {}
    for index, item in enumerate(raw):
        at = f"inference[{index}]"
        if not isinstance(item, Mapping):
            raise _bad(where, at, item, "Expected a table {model_id, text, predictions}.")
        model = by_id.get(_model_id(item.get("model_id"), where, f"{at}.model_id"))
        if model is None:
            raise _bad(where, f"{at}.model_id", item.get("model_id"), f"Expected one of the models: {list(by_id)}.")
        text = _stored_text(item, "text", keying, where, at)
        answers[(model.model_id, text)] = _predictions(item.get("predictions"), model, where, at)
    return answers


def _pairs(raw: object, keying: TextKey, where: str) -> dict[tuple[str, str], float]:
    if not isinstance(raw, list):
        raise _bad(where, "similarity", raw, "Expected a list of tables {compare, base, similarity}.")
    pairs: dict[tuple[str, str], float] = {}
    for index, item in enumerate(raw):
        at = f"similarity[{index}]"
        if not isinstance(item, Mapping):
            raise _bad(where, at, item, "Expected a table {compare, base, similarity}.")
        compare = _stored_text(item, "compare", keying, where, at)
        base = _stored_text(item, "base", keying, where, at)
        pairs[(compare, base)] = _score(item.get("similarity"), where, f"{at}.similarity")
    return pairs


def _keying(raw: Mapping[str, Any], key: TextKey | None, where: str) -> TextKey:
    mode = raw.get("texts", "plain")
    if mode == "plain":
        return TextKey()
    if mode != "hmac-sha256":
        raise _bad(where, "texts", mode, 'Expected "plain" or "hmac-sha256".')
    if key is None or key.secret is None:
        raise RecordingError(
            f'Recording {where} stores its texts as keyed hashes (texts = "hmac-sha256"): set {KEY_ENV} to the '
            "key it was recorded with. Without that key no text can match it."
        )
    if raw.get("key_id") != key.key_id:
        raise RecordingError(
            f"Recording {where} was recorded with another key (key_id {raw.get('key_id')!r}, {KEY_ENV} gives "
            f"{key.key_id!r}): set {KEY_ENV} to the key it was recorded with."
        )
    return key


def recording_from_mapping(raw: Mapping[str, Any], where: str, key: TextKey | None = None) -> Recording:
    """A parsed TOML/JSON document as a :class:`Recording`, every field checked (``where`` names it in errors).

    ``key`` is needed for a recording of keyed hashes; by default it is read from ``$LABELF_RECORDING_KEY``.
    """
    if raw.get("format") != FORMAT:
        raise _bad(where, "format", raw.get("format"), f"Expected {FORMAT!r}: a file `labelf-mock record` wrote.")
    known = {"format", "host", "taken_at", "updated_at", "api_generation", "texts", "key_id", "models"}
    unknown = sorted(set(raw) - known - {"inference", "similarity"})
    if unknown:
        raise _bad(where, "<top level>", unknown, f"Unknown keys; expected some of {sorted(known)}.")
    generation = _string(raw, "api_generation", where, required=False)
    if generation not in {None, "older", "newer"}:
        raise _bad(where, "api_generation", generation, 'Expected "older" or "newer".')
    keying = _keying(raw, key if key is not None else _env_key(where, raw), where)
    models = _models(raw.get("models", []), where)
    return Recording(
        host=_string(raw, "host", where) or "",
        taken_at=_string(raw, "taken_at", where) or "",
        api_generation=generation,
        models=models,
        answers=_answers(raw.get("inference", []), models, keying, where),
        pairs=_pairs(raw.get("similarity", []), keying, where),
        keying=keying,
        updated_at=_string(raw, "updated_at", where, required=False),
        source=where,
    )


def _env_key(where: str, raw: Mapping[str, Any]) -> TextKey | None:
    if raw.get("texts", "plain") == "plain":
        return None
    try:
        return TextKey.from_env()
    except RecordingError as exc:
        raise RecordingError(f"Recording {where}: {exc}") from None


def load_recording(path: str | Path, key: TextKey | None = None) -> Recording:
    """Read a recording file (``.json`` is JSON, anything else TOML); any problem is a :class:`RecordingError`."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"Recording {where!r} cannot be read: {exc.strerror}.") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise RecordingError(f"Recording {where!r} is not valid {kind}: {exc}") from None
    if not isinstance(raw, dict):
        raise RecordingError(f"Recording {where!r} must hold a table/object at the top level.")
    return recording_from_mapping(raw, where, key)


def _document(recording: Recording) -> dict[str, Any]:
    hashed = recording.keying.secret is not None
    suffix = "_hmac" if hashed else ""
    header: dict[str, Any] = {"format": FORMAT, "host": recording.host, "taken_at": recording.taken_at}
    if recording.updated_at:
        header["updated_at"] = recording.updated_at
    if recording.api_generation:
        header["api_generation"] = recording.api_generation
    header["texts"] = recording.keying.mode
    if hashed:
        header["key_id"] = recording.keying.key_id
    header["models"] = [
        {"model_id": m.model_id, "name": m.name, "model_type": m.model_type, "labels": list(m.labels)}
        for m in recording.models
    ]
    header["inference"] = [
        {
            "model_id": model_id,
            f"text{suffix}": text,
            "predictions": [{"label": label, "score": score} for label, score in predictions],
        }
        for (model_id, text), predictions in recording.answers.items()
    ]
    header["similarity"] = [
        {f"compare{suffix}": compare, f"base{suffix}": base, "similarity": score}
        for (compare, base), score in recording.pairs.items()
    ]
    return header


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: a JSON string, with DEL escaped as TOML also wants (TOML 1.0, "String")."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + " }"
    return repr(value)  # floats: Python's shortest round-trip form is a TOML float


def render_recording(recording: Recording, json_format: bool = False, note: str = "") -> str:
    """The file text: JSON when ``json_format``, else TOML with ``note`` as its opening comment.

    One line per model, per (model, text) and per pair, so a pull request's diff shows exactly what changed.
    """
    document = _document(recording)
    if json_format:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    lines = [f"# {line}" if line else "#" for line in note.splitlines()] + [""] * bool(note)
    lines += [f"{key} = {_toml_value(value)}" for key, value in document.items() if not isinstance(value, list)]
    for table in ("models", "inference", "similarity"):
        for row in document[table]:
            lines += ["", f"[[{table}]]", *(f"{key} = {_toml_value(value)}" for key, value in row.items())]
    return "\n".join(lines) + "\n"
