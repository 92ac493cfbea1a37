"""The three runs over recordings: take one (``record``), refresh one (``record --update``), and check one
(``drift --recording``).  Each plans its live requests first and sends nothing when they do not fit the cap."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..recordings import (
    Predictions,
    RecordedModel,
    Recording,
    RecordingError,
    TextKey,
    load_recording,
    render_recording,
)
from ..redaction import Redactor
from .live import DriftError, LiveCap, LiveService
from .record import LiveModels, Plan, host_of_url, inference_batches, labels_seen
from .runner import CaseRun, DriftOptions, DriftRun, Finding
from .staleness import Asked, Unit, ask, compare_unit, cost, differences, sample, units

__all__ = ["RecordOptions", "check_recordings", "take_recording", "update_recording", "write_recording"]

_NOTE = """Written by `labelf-mock record` from {host} at {at}: what the live models answered.
Texts are stored {texts}; review this file before you commit it.
No token, secret, request_id or response header is stored. See docs/guide/recordings.md."""
_FIDELITY = "Recorded answer (labelf-mock record)"
_ADVICE = """## What to do with a finding

Here "live" is what the live service answers now and "mock" is what the recording holds, which the mock replays.

- **Your model changed** (retrained, relabelled): refresh the recording with
  `labelf-mock record --update FILE`, which asks every recorded answer again and rewrites only those that
  changed; review the diff in a pull request, and check that your code still decides as your tests expect.
- **The change is noise** (scores that move a little from run to run): raise `--tolerance`.
- **You accept it for now**: `labelf-mock drift --recording FILE --update-baseline recording-baseline.json
  --baseline-days 30`, then run with `--baseline recording-baseline.json`; the entry expires after the date.
"""


@dataclass(frozen=True)
class RecordOptions:
    """Where the live service is, who calls it (from the environment), and what to ask."""

    auth_url: str
    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    models: Sequence[str] = ()
    texts: Sequence[str] = ()
    base: Sequence[str] = ()
    compare: Sequence[str] = ()
    keying: TextKey = field(default_factory=TextKey)
    max_requests: int = 60
    ca_bundle: str | None = None
    retries: int = 2
    tolerance: float = 0.01


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _live(options: RecordOptions, redactor: Redactor) -> LiveModels:
    service = LiveService(options.auth_url, options.api_url, LiveCap(options.max_requests), options.ca_bundle)
    return LiveModels(service, options.client_id, options.client_secret, redactor, options.retries)


def _ask_models(live: LiveModels, plan: Plan) -> tuple[dict[str, RecordedModel], dict[tuple[str, str], Predictions]]:
    described = {model_id: live.describe(model_id) for model_id in plan.describe}
    answers: dict[tuple[str, str], Predictions] = {}
    for model_id, texts in plan.texts.items():
        for batch in inference_batches(list(texts)):
            answers.update({(model_id, t): p for t, p in zip(batch, live.infer(model_id, batch), strict=True)})
    for model_id, model in described.items():
        described[model_id] = labels_seen(model, (p for (m, _), p in answers.items() if m == model_id))
    return described, answers


def _ask_pairs(live: LiveModels, plan: Plan) -> dict[tuple[str, str], float]:
    pairs: dict[tuple[str, str], float] = {}
    for base, compare in plan.similarity_calls:
        pairs.update(live.similarity(base, compare))
    return pairs


def take_recording(options: RecordOptions, redactor: Redactor) -> tuple[Recording, int]:
    """A new recording of ``options``' models and texts; also the live requests it took."""
    plan = Plan({model_id: options.texts for model_id in options.models}, options.base, options.compare, options.models)
    plan.check(options.max_requests)
    live = _live(options, redactor)
    try:
        with live:
            models, answers = _ask_models(live, plan)
            pairs = _ask_pairs(live, plan)
    finally:
        live.live.close()
    key = options.keying.of
    recording = Recording(
        host=host_of_url(options.api_url),
        taken_at=_now(),
        api_generation=live.generation,
        models=tuple(models.values()),
        answers={(model_id, key(text)): p for (model_id, text), p in answers.items()},
        pairs={(key(compare), key(base)): s for (compare, base), s in pairs.items()},
        keying=options.keying,
    )
    return recording, live.live.budget.spent


def _texts_by_key(recording: Recording, texts: Sequence[str]) -> dict[str, str]:
    return {recording.keying.of(text): text for text in texts}


@dataclass(frozen=True)
class Updated:
    """What ``record --update`` did: the recording to write (``None`` when nothing changed) and its counts."""

    recording: Recording | None
    changed: list[str]
    unchanged: int
    added: int
    unknown: int
    live_requests: int


def update_recording(path: Path, options: RecordOptions, redactor: Redactor) -> Updated:
    """Ask every answer of the recording at ``path`` again (and ``options``' new models and texts); keep each
    unchanged one as it was, and replace only those that changed beyond the tolerance."""
    recording = _load(path)
    known, unknown = units(recording, _texts_by_key(recording, [*options.texts, *options.base, *options.compare]))
    key = recording.keying.of
    models = list(dict.fromkeys([*(m.model_id for m in recording.models), *options.models]))
    new_texts = {m: [t for t in options.texts if (m, key(t)) not in recording.answers] for m in models}
    asked_again: dict[str, list[str]] = {}
    for u in known:
        if u.base is None:
            asked_again.setdefault(u.model_id or "", []).append(u.text)
    plan = Plan({m: [*asked_again.get(m, []), *new_texts[m]] for m in models}, describe=models)
    new_pairs = Plan(base=options.base, compare=options.compare)
    pair_units = [u for u in known if u.base is not None]
    needed = plan.requests + len(new_pairs.similarity_calls) + cost(pair_units)
    if needed > options.max_requests:
        raise DriftError(
            f"refreshing {path} needs {needed} live requests ({plan.explain()}, plus "
            f"{len(new_pairs.similarity_calls) + cost(pair_units)} similarity call(s)), more than --max-requests "
            f"{options.max_requests}; raise --max-requests"
        )
    live = _live(options, redactor)
    try:
        with live:
            described, answers = _ask_models(live, plan)
            asked = ask(live, pair_units)
            fresh_pairs = _ask_pairs(live, new_pairs)
    finally:
        live.live.close()
    return _merge(recording, options, described, answers, asked.pairs | fresh_pairs, known, unknown, live)


def _merge(
    recording: Recording,
    options: RecordOptions,
    described: Mapping[str, RecordedModel],
    answers: Mapping[tuple[str, str], Predictions],
    pairs: Mapping[tuple[str, str], float],
    known: list[Unit],
    unknown: int,
    live: LiveModels,
) -> Updated:
    key = recording.keying.of
    merged_answers = dict(recording.answers)
    merged_pairs = dict(recording.pairs)
    changed: list[str] = []
    hashed = recording.keying.secret is not None
    for unit in known:
        now = answers.get((unit.model_id or "", unit.text)) if unit.base is None else pairs.get((unit.text, unit.base))
        if now is not None and differences(unit, recording, now, options.tolerance):
            changed.append(f"{f'model {unit.model_id}' if unit.base is None else 'similarity'}: {unit.shown(hashed)}")
            if unit.base is None:
                assert not isinstance(now, float)  # noqa: S101 - a (model, text) unit's answer
                merged_answers[(unit.model_id or "", key(unit.text))] = now
            else:
                assert isinstance(now, float)  # noqa: S101 - a pair's similarity
                merged_pairs[(key(unit.text), key(unit.base))] = now
    added = 0
    for (model_id, text), predictions in answers.items():
        if (model_id, key(text)) not in merged_answers:
            merged_answers[(model_id, key(text))] = predictions
            added += 1
    for (compare, base), score in pairs.items():
        if (key(compare), key(base)) not in merged_pairs:
            merged_pairs[(key(compare), key(base))] = score
            added += 1
    models = tuple(described.get(m.model_id, m) for m in recording.models) + tuple(
        m for m_id, m in described.items() if recording.model(m_id) is None
    )
    model_changes = [m.model_id for m in models if recording.model(m.model_id) not in (None, m)]
    changed += [f"model {m}: its description or labels" for m in model_changes]
    spent = live.live.budget.spent
    if not changed and not added:
        return Updated(None, [], len(known), 0, unknown, spent)
    updated = replace(
        recording,
        host=host_of_url(options.api_url),
        updated_at=_now(),
        models=models,
        answers=merged_answers,
        pairs=merged_pairs,
        api_generation=live.generation or recording.api_generation,
    )
    return Updated(updated, changed, len(known) - len(changed) + len(model_changes), added, unknown, spent)


def _load(path: Path) -> Recording:
    try:
        return load_recording(path)
    except RecordingError as exc:
        raise DriftError(str(exc)) from None


def write_recording(recording: Recording, path: Path) -> None:
    """Write ``recording`` to ``path`` (``.json``: JSON, else TOML) in one step: a reader never sees half a file."""
    texts = "as keyed hashes (HMAC-SHA256, key from LABELF_RECORDING_KEY)" if recording.keying.secret else "as given"
    note = _NOTE.format(host=recording.host, at=recording.updated_at or recording.taken_at, texts=texts)
    text = render_recording(recording, path.suffix.lower() == ".json", note)
    folder = path.parent if str(path.parent) else Path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp") as out:
            out.write(text)
        os.replace(out.name, path)
    except OSError as exc:
        raise DriftError(f"{str(path)!r} cannot be written: {exc.strerror}") from None


def check_recordings(
    paths: Sequence[str], options: RecordOptions, redactor: Redactor, sample_size: int | None, seed: int | None
) -> DriftRun:
    """Ask a sample of each recording's answers again (as many as the cap holds, or ``sample_size``), and report
    each that changed beyond the tolerance as a finding."""
    recordings = [_load(Path(path)) for path in paths]
    given = list(options.texts)
    candidates: list[tuple[Recording, Unit]] = []
    notes: list[str] = []
    for recording in recordings:
        found, unknown = units(recording, _texts_by_key(recording, given))
        candidates += [(recording, unit) for unit in found]
        if unknown:
            notes.append(
                f"{recording.source}: {unknown} recorded answer(s) not checked: the recording stores keyed hashes; "
                "give their texts with --texts"
            )
    calls = options.max_requests - 2  # a token and its revocation
    chosen_units = sample([unit for _, unit in candidates], calls, sample_size, seed)
    if not chosen_units and candidates:
        raise DriftError(f"--max-requests {options.max_requests} leaves no request to check a recorded answer")
    if len(chosen_units) < len(candidates):
        notes.append(f"checked a sample of {len(chosen_units)} of {len(candidates)} recorded answers")
    live = _live(options, redactor)
    try:
        with live:
            asked = ask(live, chosen_units)
    finally:
        live.live.close()
    findings = _findings(candidates, set(chosen_units), asked, options, redactor)
    cases = [
        CaseRun(f"recording-call-{i + 1}", request, (status,), 200) for i, (request, status) in enumerate(asked.calls)
    ]
    drift_options = DriftOptions(
        options.auth_url, options.api_url, options.client_id, options.client_secret, max_requests=options.max_requests
    )
    source = "; ".join(
        f"recording {r.source} (taken {r.updated_at or r.taken_at} against {r.host})" for r in recordings
    )
    return DriftRun(
        findings, cases, live.live.budget.spent, drift_options, source, None, notes, live.generation, _ADVICE
    )


def _findings(
    candidates: list[tuple[Recording, Unit]],
    chosen: set[Unit],
    asked: Asked,
    options: RecordOptions,
    redactor: Redactor,
) -> list[Finding]:
    findings = []
    for recording, unit in candidates:
        if unit not in chosen:
            continue
        hashed = recording.keying.secret is not None
        model = f"model {unit.model_id}" if unit.base is None else "similarity"
        request = f"POST /v2/models/{unit.model_id}/inference" if unit.base is None else "POST /v2/similarity"
        for kind, location, recorded, live in compare_unit(unit, recording, asked, options.tolerance):
            findings.append(
                Finding(
                    f"{model}: {unit.shown(hashed)}",
                    request,
                    kind,
                    location,
                    None if live is None else redactor(live),
                    recorded,
                    f"{_FIDELITY}, {recording.source}",
                )
            )
    return findings
