"""One drift run: the request set to the live service (each request ``--repeat`` times), the same set to the
mock in-process, and the comparison of each pair.

Noise is classed as Diffy does: a location whose value differs between identical live requests is noise,
and a difference from the mock at that location is reported as noise, never as drift.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from ..app import create_app
from ..config import ClientConfig, ConfigError, MockConfig, config_from_mapping, load_config
from ..redaction import Redactor
from .cases import CASES, Case, Inputs, fidelity_row
from .compare import Answer, Kind, compare_answers
from .live import DriftError, LiveCap, LiveService
from .snapshot import build, read_models, token_of

__all__ = ["CaseRun", "DriftOptions", "DriftRun", "Finding", "planned_requests", "run_drift"]

_MOCK_AUTH, _MOCK_API = "http://auth.mock.invalid", "http://api.mock.invalid"
_SHOWN = 300


@dataclass(frozen=True)
class DriftOptions:
    """What a run compares: live URLs, credentials (from the environment), the mock's config, the cap."""

    auth_url: str
    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    model_id: str | None = None
    config_path: str | None = None
    repeat: int = 1
    max_requests: int = 60
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Finding:
    """One point where the mock differs from the live service.  ``live`` is redacted; ``noise`` means the
    live service itself answered differently to identical requests there."""

    case: str
    request: str
    kind: Kind
    location: str
    live: str | None
    mock: str | None
    fidelity: str
    noise: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """What a baseline entry matches: the case, the kind and the location."""
        return self.case, self.kind, self.location


@dataclass(frozen=True)
class CaseRun:
    """What one case got: the live statuses (one per repeat) and the mock's, or why it was not sent."""

    name: str
    request: str
    live_status: tuple[int, ...] = ()
    mock_status: int | None = None
    skipped: str | None = None


@dataclass
class DriftRun:
    """Everything a report needs; nothing in it is secret."""

    findings: list[Finding]
    cases: list[CaseRun]
    live_requests: int
    options: DriftOptions
    config_source: str
    model_id: str | None
    snapshot_skipped: list[str] = field(default_factory=list)
    #: The documented API generation the live inference answer matched (``older``/``newer``), if it matched one;
    #: the mock is then compared in that generation (docs/fidelity.md, "Where Labelf's docs conflict").
    generation: str | None = None
    #: What the report advises doing with a finding (``None``: the drift sentinel's advice).
    advice: str | None = None


def planned_requests(repeat: int) -> int:
    """The most live requests the case set can take with ``repeat`` (a model, and so every case, assumed)."""
    return sum(repeat if case.repeatable else 1 for case in CASES)


def _send(side: LiveService | httpx.Client, case: Case, inputs: Inputs) -> Answer:
    headers, body = case.build(inputs)
    if isinstance(side, LiveService):
        return side.send(case.method, f"{side.base(case.host)}{case.target(inputs)}", headers, body)
    base = _MOCK_AUTH if case.host == "auth" else _MOCK_API
    response = side.request(case.method, f"{base}{case.target(inputs)}", headers=headers, content=body)
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)


def _skip_reason(case: Case, inputs: Inputs) -> str | None:
    if case.needs_model and inputs.model_id is None:
        return "no model: the workspace lists none and LABELF_MODEL_ID is not set"
    return None


def _base_config(
    options: DriftOptions, live: LiveService, token: str, expires_in: object
) -> tuple[MockConfig, list[str]]:
    if options.config_path:
        try:
            return load_config(options.config_path, env={}), []
        except ConfigError as exc:
            raise DriftError(f"--config: {exc}") from None
    reserve = planned_requests(options.repeat) - options.repeat  # the documented request is already sent
    models, skipped = read_models(live, token, reserve)
    return config_from_mapping(build(models, options.client_id, expires_in)), skipped


def _with_live_client(config: MockConfig, client_id: str, secret: str) -> MockConfig:
    # The live credentials are registered in memory only, so the mock answers the same requests.
    existing = config.client(client_id)
    registered = replace(existing, client_secret=secret) if existing else ClientConfig(client_id, secret)
    others = tuple(client for client in config.clients if client.client_id != client_id)
    return replace(config, clients=(registered, *others))


@dataclass
class _Live:
    answers: dict[str, list[Answer]]
    tokens: list[str]
    config: MockConfig
    inputs: Inputs
    skipped: list[str]
    source: str


def _run_live(options: DriftOptions, live: LiveService, inputs: Inputs, redactor: Redactor) -> _Live:
    first, *rest = CASES
    answers = {first.name: [_send(live, first, inputs) for _ in range(options.repeat)]}
    token, expires_in = token_of(answers[first.name][0], options.client_id)
    tokens = [token]
    for answer in answers[first.name][1:]:
        body = answer.parsed()
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            tokens.append(body["access_token"])
    for issued in tokens:
        redactor.add_token(issued)
    config, skipped = _base_config(options, live, token, expires_in)
    model_id = options.model_id or (config.models[0].model_id if config.models else None)
    inputs = replace(inputs, token=token, model_id=model_id)
    for case in rest:
        if _skip_reason(case, inputs) is None:
            times = options.repeat if case.repeatable else 1
            answers[case.name] = [
                _send(live, case, replace(inputs, token=tokens[i]) if case.spends_token and i < len(tokens) else inputs)
                for i in range(times)
            ]
    source = options.config_path or f"snapshot of {options.api_url} taken in this run"
    return _Live(answers, tokens, config, inputs, skipped, source)


def _run_mock(config: MockConfig, inputs: Inputs, redactor: Redactor) -> dict[str, Answer]:
    from ..inprocess import InProcessTransport

    answers: dict[str, Answer] = {}
    with httpx.Client(transport=InProcessTransport(create_app(config))) as mock:
        first, *rest = CASES
        answers[first.name] = _send(mock, first, inputs)
        body = answers[first.name].parsed()
        token = body.get("access_token") if isinstance(body, dict) else None
        if isinstance(token, str):
            redactor.add(token)
        inputs = replace(inputs, token=token if isinstance(token, str) else None)
        for case in rest:
            if _skip_reason(case, inputs) is None:
                answers[case.name] = _send(mock, case, inputs)
    return answers


def _shown(value: object, redactor: Redactor) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = redactor(text)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _noisy(case: Case, answers: list[Answer]) -> dict[str, set[str]]:
    first, *others = answers
    noisy: dict[str, set[str]] = {}
    for other in others:
        for difference in compare_answers(first, other, case.fixed_lengths):
            noisy.setdefault(difference.location, set()).add(difference.kind)
    return noisy


def _is_noise(kind: Kind, location: str, noisy: dict[str, set[str]]) -> bool:
    # A key the mock lacks is noise only if the live service itself sends it some times and not others; a
    # value that changes between identical live requests makes any difference at its location noise.
    kinds = noisy.get(location, set())
    return bool(kinds & {"added", "removed"}) if kind in {"added", "removed"} else bool(kinds)


def _findings(case: Case, live: list[Answer], mock: Answer, redactor: Redactor) -> Iterator[Finding]:
    noisy = _noisy(case, live)
    for difference in compare_answers(live[0], mock, case.fixed_lengths):
        yield Finding(
            case.name,
            case.summary,
            difference.kind,
            difference.location,
            _shown(difference.live, redactor),
            _shown(difference.mock, redactor),
            fidelity_row(case, difference.kind),
            noise=_is_noise(difference.kind, difference.location, noisy),
        )


def run_drift(options: DriftOptions) -> DriftRun:
    """Send the request set to both sides and compare; a usage, credential or connection problem raises
    :class:`DriftError` (nothing partial is reported then)."""
    if options.repeat < 1:
        raise DriftError(f"--repeat takes a whole number of at least 1, got {options.repeat}")
    needed = planned_requests(options.repeat) + (0 if options.config_path else 2)
    if needed > options.max_requests:
        raise DriftError(
            f"this run may need {needed} live requests (with --repeat {options.repeat}), more than --max-requests "
            f"{options.max_requests}; raise --max-requests or lower --repeat"
        )
    inputs = Inputs(
        options.client_id,
        options.client_secret,
        unknown_client=f"labelf-drift-{secrets.token_hex(8)}",
        wrong_secret=secrets.token_urlsafe(18),
        unknown_model=f"labelf-drift-{secrets.token_hex(4)}",
    )
    redactor = Redactor([options.client_secret, inputs.wrong_secret])
    live = LiveService(options.auth_url, options.api_url, LiveCap(options.max_requests), options.ca_bundle)
    try:
        ran = _run_live(options, live, inputs, redactor)
    finally:
        live.close()
    mock_config = _with_live_client(ran.config, options.client_id, options.client_secret)
    generation = _generation(ran.answers.get("inference"))
    if generation is not None:
        mock_config = replace(mock_config, api_generation=generation)
    mock_answers = _run_mock(mock_config, replace(ran.inputs, token=None), redactor)
    findings: list[Finding] = []
    cases: list[CaseRun] = []
    for case in CASES:
        live_answers, mock_answer = ran.answers.get(case.name), mock_answers.get(case.name)
        if live_answers is None or mock_answer is None:
            cases.append(CaseRun(case.name, case.summary, skipped=_skip_reason(case, ran.inputs) or "not sent"))
            continue
        cases.append(CaseRun(case.name, case.summary, tuple(a.status for a in live_answers), mock_answer.status))
        findings.extend(_findings(case, live_answers, mock_answer, redactor))
    return DriftRun(
        findings, cases, live.budget.spent, options, ran.source, ran.inputs.model_id, ran.skipped, generation
    )


def _generation(answers: list[Answer] | None) -> str | None:
    """Which documented generation a live inference answer has: a list (older) or an object (newer)."""
    body = answers[0].parsed() if answers and answers[0].status == 200 else None
    if isinstance(body, list):
        return "older"
    if isinstance(body, dict) and isinstance(body.get("predictions"), list):
        return "newer"
    return None


def as_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON report and the baseline write it."""
    return {
        "case": finding.case,
        "request": finding.request,
        "kind": finding.kind,
        "location": finding.location,
        "live": finding.live,
        "mock": finding.mock,
        "fidelity": finding.fidelity,
        "noise": finding.noise,
    }
