"""Answers a test scripts on top of the deterministic models: chosen scores for chosen texts, chosen
similarities for chosen pairs, and models made archived, training or missing for one test.

Scripts change only what an endpoint computes; everything before it (faults, bearer authentication, the
model lookup, body validation and limits) runs as for any request, so a scripted 200 never bypasses a
planned 429 or a 401.  Anything no script matches keeps the deterministic answer of :mod:`._models`.

Rules, written once here and in the docs (docs/guide/scripting.md):

- A text matches a script when it equals a given string, when a given compiled pattern ``search``\\ es it,
  or when a given callable returns true for it.  The most recently added matching script wins, so a test can
  override a broad script with a narrower one.
- Scores name labels of the model, each in [0, 1], together at most 1.  Labels not named share what is left
  equally (so a text's scores still sum to 1, as the model's do), worked out in decimal so that a share a test
  writes as a decimal compares equal (:func:`_share`); when every label is named, the scores are returned as
  given.  ``max_predictions`` and ``label_filter`` apply to scripted answers as to any other.
- A scripted similarity replaces the score of one (compare, base) pair, which is then ranked among the
  others; ``top_n`` applies as usual.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, Literal, TypeAlias

from ._models import classify, similarity
from .config import MockConfig, ModelConfig
from .matching import RequestFacts, RequestMatch
from .replay import Replay

__all__ = ["InferenceScript", "ModelStatus", "ScriptError", "Scripts", "SimilarityScript", "TextMatcher"]

#: What picks texts: the exact text, a compiled pattern (``re.search``), or a predicate.
TextMatcher: TypeAlias = "str | re.Pattern[str] | Callable[[str], bool]"
#: A model's state for one test: as configured, archived (inference answers 400), training (409) or missing (404).
ModelStatus = Literal["configured", "archived", "training", "missing"]
_MODEL_STATUSES: tuple[ModelStatus, ...] = ("configured", "archived", "training", "missing")
Predictions = list[dict[str, object]]


class ScriptError(ValueError):
    """A script the mock cannot follow: an unknown model or label, a score outside [0, 1]."""


def _describe_model(model: ModelConfig) -> str:
    return f"Model {model.model_id!r} ({model.name}) has the labels: {', '.join(map(repr, model.labels))}"


def _check_texts(texts: TextMatcher | Sequence[TextMatcher], what: str) -> tuple[TextMatcher, ...]:
    if isinstance(texts, str | re.Pattern) or callable(texts):
        items: tuple[object, ...] = (texts,)
    else:
        items = tuple(texts) if isinstance(texts, list | tuple) else (texts,)
    if not items:
        raise ScriptError(f"{what}: give at least one text, pattern or predicate.")
    for item in items:
        if not (isinstance(item, str | re.Pattern) or callable(item)):
            raise ScriptError(
                f"{what}: {item!r} is not a text, a compiled pattern (re.compile) or a predicate (a callable)."
            )
    return items  # type: ignore[return-value]  # each item was checked above


def _text_matches(matcher: TextMatcher, text: str) -> bool:
    if isinstance(matcher, str):
        return matcher == text
    if isinstance(matcher, re.Pattern):
        return matcher.search(text) is not None
    return bool(matcher(text))


def _check_score(score: object, where: str) -> float:
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
        raise ScriptError(f"{where}: the score {score!r} is not a number from 0 to 1.")
    return float(score)


@dataclass
class InferenceScript:
    """Scores one model gives the texts a test chose."""

    model_id: str
    texts: tuple[TextMatcher, ...]
    predictions: tuple[tuple[str, float], ...]
    match: RequestMatch | None = None
    times: int | None = None
    hits: int = 0

    def accepts(self, text: str, facts: RequestFacts | None) -> bool:
        """Whether this script answers ``text`` in a request with ``facts``."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.match is not None and (facts is None or not self.match.matches(facts)):
            return False
        return any(_text_matches(matcher, text) for matcher in self.texts)

    def answer(self) -> Predictions:
        """The predictions, highest score first (ties by label, as the deterministic models sort)."""
        return [{"label": label, "score": score} for label, score in self.predictions]


@dataclass
class SimilarityScript:
    """A similarity a test chose for (compare, base) pairs, picked by text or by id (``None``: any)."""

    score: float
    compare: TextMatcher | None = None
    base: TextMatcher | None = None
    compare_id: str | None = None
    base_id: str | None = None
    match: RequestMatch | None = None
    times: int | None = None
    hits: int = 0

    def accepts(self, compare: tuple[str, str], base: tuple[str, str], facts: RequestFacts | None) -> bool:
        """Whether this script scores the pair ``(compare_id, compare_text)``, ``(base_id, base_text)``."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.match is not None and (facts is None or not self.match.matches(facts)):
            return False
        return (
            (self.compare_id is None or self.compare_id == compare[0])
            and (self.base_id is None or self.base_id == base[0])
            and (self.compare is None or _text_matches(self.compare, compare[1]))
            and (self.base is None or _text_matches(self.base, base[1]))
        )


class Scripts:
    """The scripted answers and model states of one mock; thread-safe, emptied by ``MockState.reset()``."""

    def __init__(self, config: MockConfig, replay: Replay | None = None) -> None:
        self.config = config
        #: Recorded live answers, used where no script matches (:mod:`.replay`).
        self.replay = replay if replay is not None else Replay()
        self._inference: list[InferenceScript] = []
        self._similarity: list[SimilarityScript] = []
        self._status: dict[str, ModelStatus] = {}
        self._lock = threading.Lock()

    # --- making scripts --------------------------------------------------------------------------------------

    def configured_model(self, model_id: str | int) -> ModelConfig:
        """The configured model ``model_id``; a :class:`ScriptError` listing the models when there is none."""
        model = self._model(str(model_id))
        if model is None:
            known = ", ".join(f"{m.model_id!r} ({m.name})" for m in self._configured())
            raise ScriptError(f"No model {str(model_id)!r} is configured; the configured models are {known}.")
        return model

    def answer(
        self,
        model_id: str | int,
        texts: TextMatcher | Sequence[TextMatcher],
        scores: Mapping[str, float],
        *,
        match: RequestMatch | None = None,
        times: int | None = None,
    ) -> InferenceScript:
        """Script ``scores`` for ``texts`` on model ``model_id`` (see the module docstring for the rules)."""
        model = self.configured_model(model_id)
        script = InferenceScript(
            model.model_id,
            _check_texts(texts, f"Scripted answer of model {model.model_id!r}"),
            _full_predictions(model, scores),
            match,
            _check_times(times),
        )
        with self._lock:
            self._inference.append(script)
        return script

    def similarity_score(
        self,
        score: float,
        *,
        compare: TextMatcher | None = None,
        base: TextMatcher | None = None,
        compare_id: str | int | None = None,
        base_id: str | int | None = None,
        match: RequestMatch | None = None,
        times: int | None = None,
    ) -> SimilarityScript:
        """Script ``score`` for the pairs picked by text (``compare``, ``base``) or id (``compare_id``, ``base_id``)."""
        where = "Scripted similarity"
        if compare is None and base is None and compare_id is None and base_id is None:
            raise ScriptError(f"{where}: name the pair with compare=/base= (texts) or compare_id=/base_id= (ids).")
        script = SimilarityScript(
            _check_score(score, where),
            None if compare is None else _check_texts(compare, f"{where} (compare=)")[0],
            None if base is None else _check_texts(base, f"{where} (base=)")[0],
            None if compare_id is None else str(compare_id),
            None if base_id is None else str(base_id),
            match,
            _check_times(times),
        )
        with self._lock:
            self._similarity.append(script)
        return script

    def set_status(self, model_id: str | int, status: ModelStatus) -> None:
        """Make a configured model archived, training or missing for this test, or back as configured."""
        if status not in _MODEL_STATUSES:
            raise ScriptError(f"Unknown model status {status!r}: use one of {', '.join(_MODEL_STATUSES)}.")
        model = self.configured_model(model_id)
        with self._lock:
            if status == "configured":
                self._status.pop(model.model_id, None)
            else:
                self._status[model.model_id] = status

    def clear(self) -> None:
        """Forget every script and model state."""
        with self._lock:
            self._inference.clear()
            self._similarity.clear()
            self._status.clear()

    def scripts(self) -> list[InferenceScript | SimilarityScript]:
        """Every script, in the order they were made."""
        with self._lock:
            return [*self._inference, *self._similarity]

    # --- what the endpoints ask ------------------------------------------------------------------------------

    def model(self, model_id: str) -> ModelConfig | None:
        """The model as this test sees it: ``None`` when missing, else with the status the test gave it."""
        model = self._model(model_id)
        status = self._status.get(model.model_id) if model is not None else None
        if model is None or status == "missing":
            return None
        return model if status is None else dataclasses.replace(model, status=status)

    def models(self) -> list[ModelConfig]:
        """Every model this test sees, in configured order."""
        return [m for m in map(self.model, (c.model_id for c in self._configured())) if m is not None]

    def _configured(self) -> list[ModelConfig]:
        """The configured models, then those a test's recordings added."""
        return [*self.config.models, *self.replay.added_models]

    def _model(self, model_id: str) -> ModelConfig | None:
        return self.config.model(model_id) or next(
            (m for m in self.replay.added_models if m.model_id == model_id), None
        )

    def classifier(self, scope: Mapping[str, Any], body: object) -> Callable[[ModelConfig, str, bool], Predictions]:
        """What scores a text in this request: the scripts first, then the recordings, else the deterministic
        model."""
        replay = self.replay
        if not self._inference and not replay:
            return _deterministic
        facts = RequestFacts.from_scope(scope, parsed=body) if self._inference else None

        def scores(model: ModelConfig, text: str, read_full_text: bool) -> Predictions:
            with self._lock:
                for script in reversed(self._inference):
                    if script.model_id == model.model_id and script.accepts(text, facts):
                        script.hits += 1
                        return script.answer()
            recorded = replay.predictions(model.model_id, text) if replay else None
            return recorded if recorded is not None else classify(model, text, read_full_text=read_full_text)

        return scores

    def similarity(
        self, scope: Mapping[str, Any], body: object, base: dict[str, str], compare: dict[str, str], top_n: int
    ) -> dict[str, list[dict[str, object]]]:
        """Similarity's answer, scripted (then recorded) pairs scored so and ranked among the others."""
        replay = self.replay
        if not self._similarity and not replay:
            return similarity(base, compare, top_n)
        facts = RequestFacts.from_scope(scope, parsed=body) if self._similarity else None
        ranked = similarity(base, compare, len(base))
        for compare_id, rows in ranked.items():
            for row in rows:
                base_id = str(row["id"])
                scored = self._scripted_pair((compare_id, compare[compare_id]), (base_id, base[base_id]), facts)
                if scored is None and replay:
                    scored = replay.similarity(compare[compare_id], base[base_id])
                if scored is not None:
                    row["similarity"] = scored
            rows.sort(key=_rank)
            del rows[top_n:]
        return ranked

    def _scripted_pair(
        self, compare: tuple[str, str], base: tuple[str, str], facts: RequestFacts | None
    ) -> float | None:
        with self._lock:
            for script in reversed(self._similarity):
                if script.accepts(compare, base, facts):
                    script.hits += 1
                    return script.score
        return None


def _rank(row: dict[str, object]) -> tuple[float, str]:
    score = row["similarity"]
    return (-score if isinstance(score, float | int) else 0.0, str(row["id"]))


def _deterministic(model: ModelConfig, text: str, read_full_text: bool) -> Predictions:
    return classify(model, text, read_full_text=read_full_text)


def _check_times(times: object) -> int | None:
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ScriptError(f"times must be at least 1 (or None for every matching text), got {times!r}")
    return times


def _share(given: Iterable[float], count: int) -> float:
    """What each of ``count`` unnamed labels gets: (1 - the given scores) / ``count``, worked out in decimal on
    the scores as written (their shortest ``repr``) and rounded once to the nearest float.

    So 0.9 given leaves each of four labels exactly ``0.025`` (float arithmetic says 0.024999999999999994), and
    an uneven share is the float nearest the exact one (0.1 over three labels equals Python's ``0.1 / 3``).
    The real service answers full float64 scores (the official client's example similarity is
    0.9277236631938389), so the share keeps that precision rather than being cut to a few decimals.
    """
    with localcontext() as context:
        context.prec = 34  # far beyond a float's 17 significant digits: the final float() is the one rounding
        left = Decimal(1) - sum((Decimal(repr(score)) for score in given), Decimal(0))
        return max(0.0, float(left / count))


def _full_predictions(model: ModelConfig, scores: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """Every label of ``model`` with its score: the given ones, the rest sharing what is left equally."""
    if not isinstance(scores, Mapping) or not scores:
        raise ScriptError(f"Give the scores as a dict of label to score. {_describe_model(model)}.")
    unknown = [label for label in scores if label not in model.labels]
    if unknown:
        raise ScriptError(f"Model {model.model_id!r} has no label {unknown[0]!r}. {_describe_model(model)}.")
    given = {
        label: _check_score(score, f"Score of {label!r} on model {model.model_id!r}") for label, score in scores.items()
    }
    total = math.fsum(given.values())
    if total > 1.0 + 1e-9:
        raise ScriptError(
            f"The scores given for model {model.model_id!r} sum to {total:g}; a text's scores sum to at most 1. "
            f"{_describe_model(model)}."
        )
    rest = [label for label in model.labels if label not in given]
    share = _share(given.values(), len(rest)) if rest else 0.0
    full = {**dict.fromkeys(rest, share), **given}
    return tuple(sorted(full.items(), key=lambda pair: (-pair[1], pair[0])))
