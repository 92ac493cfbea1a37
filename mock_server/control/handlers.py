"""Control handlers for one session's behaviour: faults, scripted answers and similarities, model states,
the clock, tokens and the token lifetime, reset.  One-to-one with the Python handle (``labelf_mock``)."""

from __future__ import annotations

import json
import re

from starlette.requests import Request
from starlette.responses import Response

from ..clock import ManualClock
from ..faults import Fault, retry_after_header
from ..redaction import fingerprint
from ..scripts import ModelStatus, ScriptError, TextMatcher
from ._common import answer, session_of
from ._errors import ControlError, bad_field
from ._fields import MATCH_FIELDS, Fields, read_body
from ._views import clock_view, fault_view, model_views, script_view

__all__ = ["FAULT_KINDS", "MODEL_ACTIONS", "ROUTES"]

#: Each fault kind (the Python handle's method name) and the fields it takes besides ``route`` and criteria.
FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "fail": ("times", "status", "body", "headers", "delay"),
    "rate_limit": ("times", "retry_after"),
    "delay": ("seconds", "times"),
    "malformed_json": ("times", "status"),
    "empty_body": ("times", "status"),
    "drop": ("times",),
}
#: The longest delay a control request may plan (a longer one would only hold connections open).
MAX_DELAY = 600.0
#: The latest time the clock may show: 9999-12-31T23:59:59Z, the last second ISO 8601 and JSON dates can write.
MAX_TIME = 253_402_300_799
#: ``POST …/models/{model_id}/{action}``: the Python handle's method, and the model state it sets.
MODEL_ACTIONS: dict[str, ModelStatus] = {
    "archive": "archived",
    "train": "training",
    "remove": "missing",
    "restore": "configured",
}
_PATTERN_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _times(fields: Fields) -> int | None:
    return fields.integer("times", 1, minimum=1, nullable=True)


def _fault(fields: Fields, kind: str) -> Fault:
    route = fields.route()
    times = _times(fields)
    if kind == "delay":
        return Fault(route, "delay", delay=fields.number("seconds", None, maximum=MAX_DELAY), times=times)
    if kind == "drop":
        return Fault(route, "drop", times=times)
    if kind == "rate_limit":
        try:
            retry_after = retry_after_header(fields.data.get("retry_after", 1))
        except ValueError as exc:
            raise bad_field("retry_after", str(exc)) from None
        return Fault(route, "status", 429, headers={"Retry-After": retry_after}, times=times)
    default_status = 500 if kind == "fail" else 200
    status = fields.integer("status", default_status, minimum=100, maximum=599)
    assert status is not None  # noqa: S101 - a default is given
    if kind != "fail":
        return Fault(route, kind, status, times=times)  # type: ignore[arg-type]  # a kind of _KINDS
    body = fields.data.get("body")
    raw = None if body is None else (body.encode() if isinstance(body, str) else _json_bytes(body))
    headers = fields.headers("headers")
    delay = fields.number("delay", 0.0, maximum=MAX_DELAY)
    return Fault(route, "status", status, raw, dict(headers), delay, times)


def _json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


async def add_fault(request: Request) -> Response:
    """``POST {session}/faults``: plan one fault (``kind`` is the Python method: ``fail``, ``rate_limit``…)."""
    session = session_of(request)
    probe = await read_body(request, ["kind", "route", *{f for fs in FAULT_KINDS.values() for f in fs}, *MATCH_FIELDS])
    kind = probe.text("kind", choices=FAULT_KINDS)
    fields = Fields(probe.data, ["kind", "route", *FAULT_KINDS[kind], *MATCH_FIELDS])
    fault = _fault(fields, kind)
    fault.match = fields.match()
    plan = session.state.faults
    plan.add(fault)
    return answer(fault_view(fault, len(plan) - 1), 201)


async def list_faults(request: Request) -> Response:
    """``GET {session}/faults``: every planned fault, in order, with what is left of it."""
    faults = session_of(request).state.faults.faults()
    return answer({"faults": [fault_view(fault, index) for index, fault in enumerate(faults)]})


async def clear_faults(request: Request) -> Response:
    """``DELETE {session}/faults``: forget every planned fault."""
    session_of(request).state.faults.clear()
    return answer({"faults": []})


def _text_matcher(value: object, field: str) -> TextMatcher:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) <= {"pattern", "flags"} and isinstance(value.get("pattern"), str):
        flags = value.get("flags", "")
        if not isinstance(flags, str) or set(flags) - set(_PATTERN_FLAGS):
            raise bad_field(
                field, f"{field}: flags takes letters among {''.join(_PATTERN_FLAGS)}.", list(_PATTERN_FLAGS)
            )
        try:
            return re.compile(value["pattern"], sum((_PATTERN_FLAGS[f] for f in flags), 0))
        except (re.error, ValueError, OverflowError, RecursionError) as exc:
            raise bad_field(
                field, f"{field}: the pattern {value['pattern']!r} is not a regular expression: {exc}."
            ) from None
    raise bad_field(
        field, f'{field} takes a text, or {{"pattern": "regex", "flags": "i"}} (a Python re.search pattern).'
    )


def _texts(fields: Fields) -> list[TextMatcher]:
    if "texts" not in fields.data:
        raise bad_field("texts", "texts is required: a text, a pattern object, or a list of them.")
    value = fields.data["texts"]
    items = value if isinstance(value, list) else [value]
    if not items:
        raise bad_field("texts", "texts takes at least one text or pattern.")
    return [_text_matcher(item, "texts") for item in items]


async def answer_model(request: Request) -> Response:
    """``POST {session}/models/{model_id}/answer``: script the scores model ``model_id`` gives chosen texts."""
    session = session_of(request)
    model = _model(request)
    fields = await read_body(request, ["texts", "scores", "times", *MATCH_FIELDS])
    scores = fields.data.get("scores")
    if not isinstance(scores, dict) or not scores:
        raise bad_field(
            "scores", f"scores takes an object of label to score; model {model} has the labels below.", _labels(request)
        )
    unknown = [label for label in scores if label not in _labels(request)]
    if unknown:
        raise bad_field(
            "scores", f"scores names {unknown[0]!r}: Model {model!r} has no label {unknown[0]!r}.", _labels(request)
        )
    texts, times, match = _texts(fields), fields.integer("times", None, minimum=1, nullable=True), fields.match()
    try:
        script = session.state.scripts.answer(model, texts, scores, match=match, times=times)
    except ScriptError as exc:
        raise bad_field("scores", f"scores: {exc}", _labels(request)) from None
    return answer(script_view(script, len(session.state.scripts.scripts()) - 1), 201)


def _model(request: Request) -> str:
    """The path's model: a configured one, or one the session's recordings brought (as the handle judges it)."""
    state = session_of(request).state
    model_id = request.path_params["model_id"]
    try:
        return state.scripts.configured_model(model_id).model_id
    except ScriptError:
        known = [m.model_id for m in [*state.config.models, *state.replay.added_models]]
        raise ControlError(
            404,
            "unknown_model",
            f"No model {model_id!r} is configured; the configured models are {', '.join(known)}.",
            "model_id",
            known,
        ) from None


def _labels(request: Request) -> list[str]:
    try:
        model = session_of(request).state.scripts.configured_model(request.path_params["model_id"])
    except ScriptError:
        return []
    return list(model.labels)


async def model_action(request: Request) -> Response:
    """``POST {session}/models/{model_id}/{archive|remove|restore}``: the model's state in this session."""
    action = request.path_params["action"]
    if action not in MODEL_ACTIONS:
        raise ControlError(
            404,
            "unknown_action",
            f"No model action {action!r}; use one of {', '.join(MODEL_ACTIONS)} (or answer).",
            "action",
            [*MODEL_ACTIONS, "answer"],
        )
    model = _model(request)
    await read_body(request, [])
    state = session_of(request).state
    state.scripts.set_status(model, MODEL_ACTIONS[action])
    return answer(next(view for view in model_views(state) if view["model_id"] == model))


async def list_models(request: Request) -> Response:
    """``GET {session}/models``: every configured model and its state in this session."""
    return answer({"models": model_views(session_of(request).state)})


async def similarity_score(request: Request) -> Response:
    """``POST {session}/similarity_score``: script the similarity of (compare, base) pairs."""
    session = session_of(request)
    fields = await read_body(request, ["score", "compare", "base", "compare_id", "base_id", "times", *MATCH_FIELDS])
    score = fields.number("score", None, maximum=1.0)
    compare = None if fields.data.get("compare") is None else _text_matcher(fields.data["compare"], "compare")
    base = None if fields.data.get("base") is None else _text_matcher(fields.data["base"], "base")
    try:
        script = session.state.scripts.similarity_score(
            score,
            compare=compare,
            base=base,
            compare_id=fields.id_text("compare_id"),
            base_id=fields.id_text("base_id"),
            match=fields.match(),
            times=fields.integer("times", None, minimum=1, nullable=True),
        )
    except ScriptError as exc:
        raise bad_field("compare", f"compare: {exc}", ["compare", "base", "compare_id", "base_id"]) from None
    return answer(script_view(script, len(session.state.scripts.scripts()) - 1), 201)


async def list_scripts(request: Request) -> Response:
    """``GET {session}/scripts``: every scripted answer and similarity, with how often each answered."""
    scripts = session_of(request).state.scripts.scripts()
    return answer({"scripts": [script_view(script, index) for index, script in enumerate(scripts)]})


async def get_clock(request: Request) -> Response:
    """``GET {session}/clock``: the session's time."""
    return answer(clock_view(session_of(request).state))


async def clock_action(request: Request) -> Response:
    """``POST {session}/clock/{freeze|advance|reset}``: stop time (at ``at``), move it ``seconds`` forward, or
    follow the wall clock again."""
    state = session_of(request).state
    clock = state.clock
    if not isinstance(clock, ManualClock):
        raise ControlError(409, "custom_clock", "This mock was built with a custom clock; steer that clock directly.")
    action = request.path_params["action"]
    if action == "freeze":
        fields = await read_body(request, ["at"])
        clock.freeze(fields.number("at", 0.0, maximum=MAX_TIME) if fields.data.get("at") is not None else None)
    elif action == "advance":
        seconds = (await read_body(request, ["seconds"])).number("seconds", None, maximum=MAX_TIME)
        if clock.now() + seconds > MAX_TIME:
            raise bad_field("seconds", f"Advancing {seconds:g} s would pass the year 9999 (Unix {MAX_TIME}).")
        clock.advance(seconds)
    elif action == "reset":
        await read_body(request, [])
        clock.reset()
    else:
        raise ControlError(
            404,
            "unknown_action",
            f"No clock action {action!r}; use freeze, advance or reset.",
            "action",
            ["freeze", "advance", "reset"],
        )
    return answer(clock_view(state))


async def issue_token(request: Request) -> Response:
    """``POST {session}/tokens``: mint an access token directly (not journaled); the one answer, with the
    session's opening, that carries a credential, because the caller asked for it."""
    state = session_of(request).state
    fields = await read_body(request, ["client_id", "expires_in"])
    clients = [c.client_id for c in state.config.clients]
    client_id = fields.optional_text("client_id") or clients[0]
    client = state.config.client(client_id)
    if client is None:
        raise bad_field("client_id", f"No client {client_id!r} in this session.", clients)
    expires_in = fields.integer("expires_in", None, minimum=1, maximum=MAX_TIME, nullable=True)
    token, lifetime = state.issue_token(client, expires_in=expires_in)
    return answer(
        {"access_token": token, "expires_in": lifetime, "token_type": "bearer", "fingerprint": fingerprint(token)}, 201
    )


async def revoke_token(request: Request) -> Response:
    """``POST {session}/tokens/revoke``: revoke a token as its own client would."""
    state = session_of(request).state
    token = (await read_body(request, ["token"])).text("token")
    issued = state.tokens.decode(token)
    if issued is None:
        raise bad_field("token", "That token was not issued by this session (or was altered).")
    state.tokens.revoke(token, issued.client_id, state.clock.now())
    return answer({"revoked": fingerprint(token)})


async def token_claims(request: Request) -> Response:
    """``POST {session}/tokens/claims``: what a token says (a JWT's verified claims; an opaque token's client
    and expiry), expiry and revocation not checked."""
    state = session_of(request).state
    token = (await read_body(request, ["token"])).text("token")
    if (signed := state.tokens.jwt.verify(token)) is not None:
        return answer(dict(signed.claims))
    issued = state.tokens.decode(token)
    if issued is None:
        raise bad_field("token", "That token was not issued by this session (or was altered).")
    return answer({"client_id": issued.client_id, "exp": issued.expires_at})


async def jwks(request: Request) -> Response:
    """``GET {session}/jwks``: the public key set JWT access tokens are signed with."""
    return answer(session_of(request).state.tokens.jwt.jwks())


async def expires_in(request: Request) -> Response:
    """``GET``/``PUT {session}/token/expires_in``: the lifetime every following token is issued with
    (``{"seconds": null}``: back to the configured one)."""
    state = session_of(request).state
    if request.method == "PUT":
        fields = await read_body(request, ["seconds"])
        if not fields.has("seconds"):
            raise bad_field("seconds", "seconds is required: a positive integer, or null for the configured lifetime.")
        state.expires_in_override = fields.integer("seconds", None, minimum=1, maximum=MAX_TIME, nullable=True)
    return answer({"seconds": state.expires_in_override})


async def reset(request: Request) -> Response:
    """``POST {session}/reset``: wall clock, no revocations, faults, scripts, journal or lifetime override."""
    session = session_of(request)
    await read_body(request, [])
    session.state.reset()
    return answer({"reset": session.id})


ROUTES = [
    ("/faults", ["GET"], list_faults),
    ("/faults", ["POST"], add_fault),
    ("/faults", ["DELETE"], clear_faults),
    ("/models", ["GET"], list_models),
    ("/models/{model_id}/answer", ["POST"], answer_model),
    ("/models/{model_id}/{action}", ["POST"], model_action),
    ("/similarity_score", ["POST"], similarity_score),
    ("/scripts", ["GET"], list_scripts),
    ("/clock", ["GET"], get_clock),
    ("/clock/{action}", ["POST"], clock_action),
    ("/tokens", ["POST"], issue_token),
    ("/tokens/revoke", ["POST"], revoke_token),
    ("/tokens/claims", ["POST"], token_claims),
    ("/jwks", ["GET"], jwks),
    ("/token/expires_in", ["GET", "PUT"], expires_in),
    ("/reset", ["POST"], reset),
]
