"""Replay: the recordings a mock answers from, and what it does with a text none of them holds.

Rules, written once here and in docs/guide/recordings.md:

- A recorded (model, text) is answered with the recorded predictions, in the order recorded, in whichever API
  generation the request asks for; ``max_predictions`` and ``label_filter`` apply to them as to any answer.
  A recorded (compare, base) pair scores its recorded similarity, ranked among the other pairs; ``top_n``
  applies.  Everything before the answer (faults, authentication, the model lookup, validation, limits,
  quota) runs as for any request, and scripts a test planned take precedence (:mod:`.scripts`).
- Recordings loaded for the mock's lifetime (config ``recordings``, ``labelf-mock serve --recording``) are
  joined by those a test adds (marker or ``use_recording``), which ``reset()`` removes.  The most recently
  added recording holding a text wins.
- A text no recording holds gets the deterministic answer, or with ``strict`` a 400 ``TEXT_NOT_RECORDED``
  (the mock's own error code) naming the nearest recorded texts of that model.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from .api_errors import ApiError
from .config import MockConfig, ModelConfig
from .recordings import Recording, RecordingError, TextKey, load_recording

__all__ = ["NOT_RECORDED", "Replay", "load_recordings", "serve_recorded_models"]

#: The error code of a strict replay's miss (the mock's own; Labelf has no such error).
NOT_RECORDED = "TEXT_NOT_RECORDED"
_NEAREST = 3
_SHOWN = 80


def load_recordings(paths: Iterable[str | Path], key: TextKey | None = None) -> list[Recording]:
    """Each file loaded (TOML or JSON); the first problem is a :class:`~.recordings.RecordingError`."""
    return [load_recording(path, key) for path in paths]


def _label_mismatch(model: ModelConfig, recording: Recording) -> str | None:
    recorded = recording.model(model.model_id)
    if recorded is None or set(recorded.labels) == set(model.labels):
        return None
    return (
        f"Recording {recording.source} says model {model.model_id!r} has the labels {list(recorded.labels)}, but "
        f"the mock's config gives it {list(model.labels)}. Record again (labelf-mock record --update), or make "
        "the config agree (labelf-mock snapshot)."
    )


def serve_recorded_models(config: MockConfig, recordings: Sequence[Recording]) -> MockConfig:
    """``config`` with every recorded model it lacks added (as recorded); a configured model whose labels
    differ from a recording's is a :class:`~.recordings.RecordingError`."""
    models = list(config.models)
    for recording in recordings:
        for recorded in recording.models:
            known = next((m for m in models if m.model_id == recorded.model_id), None)
            if known is None:
                models.append(ModelConfig(recorded.model_id, recorded.name, recorded.labels, recorded.model_type))
            elif problem := _label_mismatch(known, recording):
                raise RecordingError(problem)
    return config if len(models) == len(config.models) else replace(config, models=tuple(models))


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


class Replay:
    """The recordings one mock answers from.  Thread-safe: tests add recordings while the server answers."""

    def __init__(self, recordings: Sequence[Recording] = (), strict: bool = False) -> None:
        self._lasting = tuple(recordings)
        self._strict = strict
        self._added: list[Recording] = []
        self._strict_now: bool | None = None
        self._models: list[ModelConfig] = []
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._lasting or self._added or self.strict)

    @property
    def strict(self) -> bool:
        """Whether a text no recording holds is an error (else it gets the deterministic answer)."""
        return self._strict if self._strict_now is None else self._strict_now

    @property
    def recordings(self) -> list[Recording]:
        """Every recording in use, the most recently added last."""
        with self._lock:
            return [*self._lasting, *self._added]

    @property
    def lasting(self) -> tuple[Recording, ...]:
        """The recordings loaded for the mock's lifetime (config, ``--recording``), which :meth:`clear` keeps."""
        return self._lasting

    @property
    def added_models(self) -> list[ModelConfig]:
        """Models the mock serves only because a recording :meth:`use` added holds them (until :meth:`clear`)."""
        return self._models

    def use(self, recording: Recording, config: MockConfig, strict: bool | None = None) -> None:
        """Answer from ``recording`` too until :meth:`clear`, serving the models it holds that ``config`` lacks
        until then; a configured model with other labels is a :class:`~.recordings.RecordingError`.
        ``strict`` (when given) applies to every recording until :meth:`clear`."""
        with self._lock:
            serving = [*config.models, *self._models]
            added = []
            for recorded in recording.models:
                model = next((m for m in serving if m.model_id == recorded.model_id), None)
                if model is None:
                    added.append(ModelConfig(recorded.model_id, recorded.name, recorded.labels, recorded.model_type))
                elif problem := _label_mismatch(model, recording):
                    raise RecordingError(problem)
            self._models = [*self._models, *added]  # a new list: readers iterate without the lock
            self._added.append(recording)
            if strict is not None:
                self._strict_now = strict

    def clear(self) -> None:
        """Forget the recordings :meth:`use` added and its ``strict``; those loaded for the mock's lifetime stay."""
        with self._lock:
            self._added.clear()
            self._models = []
            self._strict_now = None

    def predictions(self, model_id: str, text: str) -> list[dict[str, object]] | None:
        """The recorded predictions of ``text`` on ``model_id``, fresh dicts in recorded order; ``None`` when not
        recorded (strict: a 400 naming the nearest recorded texts)."""
        recordings = self.recordings
        for recording in reversed(recordings):
            found = recording.predictions(model_id, text)
            if found is not None:
                return [{"label": label, "score": score} for label, score in found]
        if self.strict:
            raise ApiError(400, NOT_RECORDED, self._miss(model_id, text, recordings))
        return None

    def similarity(self, compare: str, base: str) -> float | None:
        """The recorded similarity of (compare, base); ``None`` when not recorded (strict: a 400)."""
        recordings = self.recordings
        for recording in reversed(recordings):
            found = recording.similarity(compare, base)
            if found is not None:
                return found
        if self.strict:
            raise ApiError(
                400,
                NOT_RECORDED,
                f"The similarity of {_shorten(compare)!r} to {_shorten(base)!r} is not recorded and replay is "
                "strict. Record the pair (labelf-mock record --base-texts/--compare-texts), script it, or turn "
                "strict replay off.",
            )
        return None

    @staticmethod
    def _miss(model_id: str, text: str, recordings: list[Recording]) -> str:
        said = f"The text {_shorten(text)!r} is not recorded for model {model_id!r} and replay is strict."
        known = [t for r in recordings for t in r.texts_of(model_id)]
        hashed = any(r.keying.secret is not None and r.model(model_id) for r in recordings)
        if known:
            nearest = difflib.get_close_matches(text, list(dict.fromkeys(known)), n=_NEAREST, cutoff=0.0)
            said += f" Nearest recorded texts: {', '.join(repr(_shorten(t)) for t in nearest)}."
        elif hashed:
            said += " Its recordings store texts as keyed hashes, so no nearest text can be shown."
        else:
            recorded = sorted({m.model_id for r in recordings for m in r.models})
            said += f" No recording holds model {model_id!r} (recorded models: {recorded or 'none'})."
        return said + " Record it (labelf-mock record --update), script it, or turn strict replay off."
