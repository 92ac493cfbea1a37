"""Matching a request on what it carries: its JSON body (partly or whole), headers, query and model id.

One matcher serves faults (``labelf_mock.inference.fail(status=503, match_json={"texts": ["boom"]})``),
scripted answers and the journal's call counts, so "matches" means the same everywhere:

- ``match_json``: the body contains this: an object matches when it has every given key with a matching
  value (recursively; other keys are ignored), an array when it has the same length and each element matches,
  anything else by equality (``true`` is not ``1``).  A callable is called with the parsed body instead.
- ``match_json_exact``: the whole body equals this (pytest-httpx's ``match_json``).
- ``match_headers``: each named header (case-insensitive name) has exactly this value (a repeated header: one
  of its values, or all of them joined with ``", "``).
- ``match_query``: each named parameter has this value (a list: all its values, in order).
- ``model_id``: the model of the path (``/v2/models/7/inference``), or one of ``model_settings[].model_id``
  of a multi-model call.

A body is read only for a matcher that needs it, and never past the configured ``max_body_bytes``; a body
that is not JSON (or was too long to read) matches no ``match_json``.  Faults, scripts and the journal's call
counts build the same :class:`RequestFacts` from the request as the server received it (not from the
journal's redacted views), so one request matches the same criteria everywhere; where the journal kept only
part of a request, :meth:`RequestMatch.undecided` says which criteria its copy cannot decide.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import parse_qs

from .endpoints import endpoint_for, endpoint_named
from .redaction import REDACTED, SECRET_FIELDS, redact_header_value

__all__ = ["NOT_JSON", "MatchArgs", "RequestFacts", "RequestMatch", "parse_body"]


class _Absent:
    """A body that was not read, or is not JSON: matches no JSON criterion."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return self.why


NOT_JSON = _Absent("(not JSON)")
_UNREAD = _Absent("(body not read)")
_MULTI_MODEL_PATH = endpoint_named("multi_inference").path


class MatchArgs(TypedDict, total=False):
    """The keyword arguments every fault, script and call count accepts to narrow what it matches."""

    match_json: object
    match_json_exact: object
    match_headers: Mapping[str, str]
    match_query: Mapping[str, str | Sequence[str]]
    model_id: str | int


@dataclass(frozen=True)
class RequestFacts:
    """What a matcher may look at in one request.

    ``headers`` holds every value of each header (lower-case names), in the order sent; ``json`` is the parsed
    body, or :data:`NOT_JSON`.  ``cut`` names the parts known only in part (a journal entry keeps 16 KiB of
    headers, of the query and of the body): a criterion on a part that was cut cannot be decided.
    """

    method: str
    path: str
    headers: Mapping[str, tuple[str, ...]]
    query: Mapping[str, list[str]]
    json: object = _UNREAD
    cut: frozenset[str] = frozenset()

    @classmethod
    def from_scope(
        cls, scope: Mapping[str, Any], body: bytes | None = None, *, parsed: object = _UNREAD
    ) -> RequestFacts:
        """Facts of an ASGI request; ``body`` (raw) or ``parsed`` (already decoded) when the body was read."""
        if body is not None:
            parsed = parse_body(body)
        return cls.from_raw(
            scope.get("method", "GET"), scope["path"], scope.get("headers", ()), scope.get("query_string", b""), parsed
        )

    @classmethod
    def from_raw(
        cls,
        method: str,
        path: str,
        headers: Iterable[tuple[bytes, bytes]],
        query: bytes,
        parsed: object = _UNREAD,
        cut: frozenset[str] = frozenset(),
    ) -> RequestFacts:
        """Facts of a request as the server received it (what faults see, and what the journal keeps of it)."""
        values: dict[str, tuple[str, ...]] = {}
        for name, value in headers:
            key = name.decode("latin-1").lower()
            values[key] = (*values.get(key, ()), value.decode("latin-1"))
        return cls(method, path, values, parse_qs(query.decode("latin-1"), keep_blank_values=True), parsed, cut)

    def model_ids(self) -> list[str]:
        """The model ids this request names: the path's, or a multi-model call's ``model_settings``."""
        endpoint = endpoint_for(self.path)
        if endpoint is not None and "{model_id}" in endpoint.path:
            match = endpoint.pattern.fullmatch(self.path)
            return [match["model_id"]] if match else []
        if self.path == _MULTI_MODEL_PATH and isinstance(self.json, dict):
            settings = self.json.get("model_settings")
            if isinstance(settings, list):
                return [str(s["model_id"]) for s in settings if isinstance(s, dict) and "model_id" in s]
        return []


def parse_body(body: bytes) -> object:
    """A request body as a matcher sees it: parsed JSON, or :data:`NOT_JSON`."""
    return _parse_json(body.decode("utf-8", "replace"))


def _parse_json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return NOT_JSON


def _contains(actual: object, expected: object) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _contains(actual[k], v) for k, v in expected.items())
    if isinstance(expected, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return isinstance(actual, bool) == isinstance(expected, bool) and actual == expected


def _check_json(name: str, value: object, allow_callable: bool) -> None:
    if callable(value):
        if allow_callable:
            return
        raise TypeError(f"{name} takes a JSON value, not a callable: use match_json for a predicate")
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} takes a JSON value (dict, list, str, number, bool, None){' or a callable' * allow_callable}, "
            f"got {value!r}"
        ) from None


@dataclass(frozen=True)
class RequestMatch:
    """Criteria on a request's content; every given criterion must hold (see the module docstring)."""

    json: object = _UNREAD
    json_exact: object = _UNREAD
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    model_id: str | None = None

    @classmethod
    def from_args(cls, args: MatchArgs) -> RequestMatch | None:
        """The matcher for keyword arguments such as ``match_json=``; ``None`` when none is given."""
        unknown = sorted(set(args) - set(MatchArgs.__annotations__))
        if unknown:
            raise TypeError(f"Unknown match argument(s) {unknown}; use {', '.join(MatchArgs.__annotations__)}.")
        if not args:
            return None
        if "match_json" in args:
            _check_json("match_json", args["match_json"], allow_callable=True)
        if "match_json_exact" in args:
            _check_json("match_json_exact", args["match_json_exact"], allow_callable=False)
        headers = {str(k).lower(): _text("match_headers", v) for k, v in args.get("match_headers", {}).items()}
        query = {str(k): _values(v) for k, v in args.get("match_query", {}).items()}
        model_id = args.get("model_id")
        if model_id is not None and (isinstance(model_id, bool) or not isinstance(model_id, str | int)):
            raise TypeError(f"model_id takes a model id (str or int), got {model_id!r}")
        return cls(
            args.get("match_json", _UNREAD),
            args.get("match_json_exact", _UNREAD),
            headers,
            query,
            None if model_id is None else str(model_id),
        )

    def needs_body(self, path: str) -> bool:
        """Whether judging a request for ``path`` needs its body."""
        return (
            self.json is not _UNREAD
            or self.json_exact is not _UNREAD
            or (self.model_id is not None and path == _MULTI_MODEL_PATH)
        )

    def matches(self, facts: RequestFacts) -> bool:
        """Whether ``facts`` meets every criterion (``False`` too when they cannot tell: see :meth:`undecided`)."""
        return self.undecided(facts) is None and self.mismatch(facts) is None

    def undecided(self, facts: RequestFacts) -> str | None:
        """Why ``facts`` cannot decide these criteria (a part they look at was cut), or ``None`` when they can."""
        parts = [
            part
            for part, looked_at in (
                ("body", self.needs_body(facts.path)),
                ("headers", bool(self.headers)),
                ("query", bool(self.query)),
            )
            if looked_at and part in facts.cut
        ]
        return f"its {' and '.join(parts)} {'was' if len(parts) == 1 else 'were'} cut" if parts else None

    def mismatch(self, facts: RequestFacts) -> str | None:
        """Why ``facts`` does not match (the first criterion that fails), or ``None`` when it does.

        A repeated header matches a value when one of its values, or all of them joined with ``", "`` (RFC 9110
        §5.3), equals it.  Credentials in the reason are redacted.
        """
        if self.model_id is not None and self.model_id not in facts.model_ids():
            return f"model {facts.model_ids() or 'none'}"
        for name, value in self.headers.items():
            sent = facts.headers.get(name, ())
            if value not in sent and value != ", ".join(sent):
                shown = [redact_header_value(name, v) for v in sent]
                return f"header {name}: {(shown[0] if len(shown) == 1 else shown) if shown else None!r}"
        for name, values in self.query.items():
            if tuple(facts.query.get(name, ())) != values:
                given = facts.query.get(name)
                return f"query {name}: {_shown_query(name, given) if given else given}"
        if self.json is not _UNREAD and not self._json_ok(facts.json):
            return f"body {_short(facts.json)}"
        if self.json_exact is not _UNREAD and not _exact(facts.json, self.json_exact):
            return f"body {_short(facts.json)}"
        return None

    def _json_ok(self, body: object) -> bool:
        if isinstance(body, _Absent):
            return False
        if callable(self.json):
            return bool(self.json(body))
        return _contains(body, self.json)

    def describe(self) -> str:
        """The criteria as a short phrase: ``model 7, json ⊇ {"texts": ["boom"]}``."""
        parts = [f"model {self.model_id}"] if self.model_id is not None else []
        parts += [f"header {name}={redact_header_value(name, value)!r}" for name, value in self.headers.items()]
        parts += [f"query {name}={_shown_query(name, values)}" for name, values in self.query.items()]
        if self.json is not _UNREAD:
            parts.append(f"json ⊇ {_short(self.json)}")
        if self.json_exact is not _UNREAD:
            parts.append(f"json == {_short(self.json_exact)}")
        return ", ".join(parts)


def _shown_query(name: str, values: Sequence[str]) -> list[str]:
    # A secret parameter's values (client_secret=, token=, …) read [REDACTED], as in the journal's views.
    return [REDACTED] * len(values) if name in SECRET_FIELDS else list(values)


def _exact(body: object, expected: object) -> bool:
    return not isinstance(body, _Absent) and _contains(body, expected) and _contains(expected, body)


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} values must be strings, got {value!r}")
    return value


def _values(value: str | Sequence[str]) -> tuple[str, ...]:
    return (_text("match_query", value),) if isinstance(value, str) else tuple(_text("match_query", v) for v in value)


def _short(value: object, limit: int = 200) -> str:
    if isinstance(value, _Absent):
        return repr(value)
    if callable(value):
        return getattr(value, "__name__", repr(value))
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
