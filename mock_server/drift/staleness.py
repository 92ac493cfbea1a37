"""Is a recording stale?  Recorded answers asked again of the live service, and compared within a tolerance.

``labelf-mock drift --recording FILE`` asks a sample of a recording's (model, text)s and (compare, base) pairs,
as many as the cap allows (or ``--sample N``), and reports each answer that changed as a drift finding;
``labelf-mock record --update FILE`` asks them all and rewrites only the answers that changed.

What counts as a change, for a (model, text): a label only one side has (``added``: only live has it,
``removed``: only the recording has it); the labels ranked in another order (``value`` at
``$.predictions[*].label``); a score that moved by more than the tolerance (``value`` at
``$.predictions["label"].score``).  For a pair: a similarity that moved by more than the tolerance.  An answer
that is not 200 is a ``status`` finding for each text it held.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from ..endpoints import API_PREFIX, MAX_TEXTS_PER_INFERENCE, MAX_TEXTS_PER_SIMILARITY
from ..recordings import Predictions, Recording
from .compare import Kind
from .live import DriftError
from .record import LiveAnswerError, LiveModels, inference_batches

__all__ = [
    "DEFAULT_TOLERANCE",
    "Asked",
    "Unit",
    "ask",
    "changes",
    "check_tolerance",
    "compare_unit",
    "cost",
    "differences",
    "sample",
    "units",
]

#: How far a score or similarity may move before it counts as changed (absolute, on the 0-1 scale).
DEFAULT_TOLERANCE = 0.01
_SHOWN = 60


def _score(value: float) -> str:
    return repr(value)


def changes(
    recorded: Predictions, live: Predictions, tolerance: float
) -> list[tuple[Kind, str, str | None, str | None]]:
    """How ``live`` differs from ``recorded``: ``(kind, location, recorded value, live value)`` each."""
    was, now = dict(recorded), dict(live)
    found: list[tuple[Kind, str, str | None, str | None]] = []
    found += [("added", f"$.predictions[{label!r}]", None, _score(now[label])) for label in now if label not in was]
    found += [("removed", f"$.predictions[{label!r}]", _score(was[label]), None) for label in was if label not in now]
    order_was = [label for label, _ in recorded if label in now]
    order_now = [label for label, _ in live if label in was]
    if order_was != order_now:
        found.append(("value", "$.predictions[*].label", ", ".join(order_was), ", ".join(order_now)))
    for label, score in recorded:
        if label in now and abs(now[label] - score) > tolerance:
            found.append(("value", f"$.predictions[{label!r}].score", _score(score), _score(now[label])))
    return found


@dataclass(frozen=True)
class Unit:
    """One recorded answer to ask again: a (model, text), or a (compare, base) pair (``model_id`` None)."""

    model_id: str | None
    stored: str | tuple[str, str]  # how the recording keys it
    text: str  # what is sent: the text, or the compare text of a pair
    base: str | None = None

    def shown(self, hashed: bool) -> str:
        """A short, stable name for reports and baselines."""
        if hashed:
            key = self.stored if isinstance(self.stored, str) else ":".join(self.stored)
            return f"hmac:{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        text = self.text if self.base is None else f"{self.text} ~ {self.base}"
        if len(text) <= _SHOWN:
            return text
        return f"{text[: _SHOWN - 10]}…#{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def units(recording: Recording, texts: Mapping[str, str]) -> tuple[list[Unit], int]:
    """Every answer of ``recording`` whose text is known (``texts``: stored key → text, for keyed hashes), and
    how many are not."""
    hashed = recording.keying.secret is not None
    known = (lambda stored: texts.get(stored)) if hashed else (lambda stored: stored)
    found, unknown = [], 0
    for model_id, stored in recording.answers:
        text = known(stored)
        if text is None:
            unknown += 1
        else:
            found.append(Unit(model_id, stored, text))
    for compare, base in recording.pairs:
        compare_text, base_text = known(compare), known(base)
        if compare_text is None or base_text is None:
            unknown += 1
        else:
            found.append(Unit(None, (compare, base), compare_text, base_text))
    return found, unknown


def cost(chosen: Sequence[Unit]) -> int:
    """Live calls ``chosen`` takes: inference in batches per model, pairs in one call per compare text."""
    per_model: dict[str, set[str]] = {}
    per_compare: dict[str, set[str]] = {}
    for unit in chosen:
        if unit.base is None:
            per_model.setdefault(unit.model_id or "", set()).add(unit.text)
        else:
            per_compare.setdefault(unit.text, set()).add(unit.base)
    inference = sum(math.ceil(len(t) / MAX_TEXTS_PER_INFERENCE) for t in per_model.values())
    return inference + sum(math.ceil(len(b) / (MAX_TEXTS_PER_SIMILARITY - 1)) for b in per_compare.values())


def sample(candidates: Sequence[Unit], calls: int, limit: int | None, seed: int | None) -> list[Unit]:
    """As many of ``candidates`` as ``calls`` live calls hold (at most ``limit``): all of them in order when
    they fit, else a random sample (``seed`` makes it repeatable), returned in the recording's order."""
    if (limit is None or limit >= len(candidates)) and cost(candidates) <= calls:
        return list(candidates)
    order = list(range(len(candidates)))
    random.Random(seed).shuffle(order)  # noqa: S311 - picking a sample, not a secret
    texts: dict[str, set[str]] = {}  # what each model's calls (or each compare text's calls) hold so far
    spent, chosen = 0, list[int]()
    for index in order:
        if limit is not None and len(chosen) >= limit:
            break
        unit = candidates[index]
        group = texts.setdefault((unit.model_id or "") if unit.base is None else f"\0{unit.text}", set())
        item = unit.text if unit.base is None else unit.base or ""
        per_call = MAX_TEXTS_PER_INFERENCE if unit.base is None else MAX_TEXTS_PER_SIMILARITY - 1
        extra = 0 if item in group or len(group) % per_call else 1  # a new call only when the last one is full
        if spent + extra <= calls:
            group.add(item)
            spent += extra
            chosen.append(index)
    return [candidates[i] for i in sorted(chosen)]


@dataclass
class Asked:
    """What the live service answered now: predictions by (model, text), similarities by (compare, base), and
    the status of each call that was not 200, by the units it held."""

    predictions: dict[tuple[str, str], Predictions]
    pairs: dict[tuple[str, str], float]
    failed: dict[Unit, int]
    calls: list[tuple[str, int]]


def ask(live: LiveModels, chosen: Sequence[Unit]) -> Asked:
    """Ask the live service about ``chosen``, grouped into as few calls as the documented limits allow."""
    asked = Asked({}, {}, {}, [])
    per_model: dict[str, list[Unit]] = {}
    per_compare: dict[str, list[Unit]] = {}
    for unit in chosen:
        if unit.base is None:
            per_model.setdefault(unit.model_id or "", []).append(unit)
        else:
            per_compare.setdefault(unit.text, []).append(unit)
    for model_id, model_units in per_model.items():
        texts = list(dict.fromkeys(u.text for u in model_units))
        for batch in inference_batches(texts):
            request = f"POST {API_PREFIX}/models/{model_id}/inference ({len(batch)} texts)"
            status = _try(partial(_infer, live, asked, model_id, batch))
            asked.calls.append((request, status))
            if status != 200:
                asked.failed.update({u: status for u in model_units if u.text in batch})
    for compare, pair_units in per_compare.items():
        bases = list(dict.fromkeys(u.base or "" for u in pair_units))
        for start in range(0, len(bases), MAX_TEXTS_PER_SIMILARITY - 1):
            batch = bases[start : start + MAX_TEXTS_PER_SIMILARITY - 1]
            request = f"POST {API_PREFIX}/similarity ({len(batch)} base texts, 1 compare text)"
            status = _try(partial(_similar, live, asked, batch, compare))
            asked.calls.append((request, status))
            if status != 200:
                asked.failed.update({u: status for u in pair_units if u.base in batch})
    return asked


def _infer(live: LiveModels, asked: Asked, model_id: str, texts: list[str]) -> None:
    got = live.infer(model_id, texts)
    asked.predictions.update({(model_id, text): predictions for text, predictions in zip(texts, got, strict=True)})


def _similar(live: LiveModels, asked: Asked, bases: list[str], compare: str) -> None:
    asked.pairs.update(live.similarity(bases, [compare]))


def _try(call: Callable[[], None]) -> int:
    """Run ``call``; 200, or the status of a live answer that was not 200 (anything else propagates)."""
    try:
        call()
    except LiveAnswerError as failed:
        return failed.status
    return 200


def differences(
    unit: Unit, recording: Recording, now: Predictions | float | None, tolerance: float
) -> list[tuple[Kind, str, str | None, str | None]]:
    """How ``now``, the live answer to ``unit``, differs from the recorded one: ``(kind, location, recorded,
    live)`` each.  A pair the live answer left out is ``removed``; a (model, text) not answered, nothing."""
    if unit.base is None:
        assert isinstance(unit.stored, str) and unit.model_id is not None  # noqa: S101 - a (model, text) unit
        if now is None or isinstance(now, float):
            return []
        return changes(recording.answers[(unit.model_id, unit.stored)], now, tolerance)
    assert isinstance(unit.stored, tuple)  # noqa: S101 - a pair unit
    was = recording.pairs[unit.stored]
    if not isinstance(now, float):
        return [("removed", "$.similarity", _score(was), None)]
    return [("value", "$.similarity", _score(was), _score(now))] if abs(now - was) > tolerance else []


def compare_unit(
    unit: Unit, recording: Recording, asked: Asked, tolerance: float
) -> list[tuple[Kind, str, str | None, str | None]]:
    """How the live answer to ``unit`` in ``asked`` differs from the recorded one."""
    if unit in asked.failed:
        return [("status", "status", "200", str(asked.failed[unit]))]
    if unit.base is None:
        return differences(unit, recording, asked.predictions.get((unit.model_id or "", unit.text)), tolerance)
    return differences(unit, recording, asked.pairs.get((unit.text, unit.base)), tolerance)


def check_tolerance(value: float) -> float:
    """A tolerance as the options take it: a finite number from 0 to 1."""
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise DriftError(f"--tolerance takes a number from 0 to 1, got {value!r}")
    return value
