"""Matching a request on what it carries: its JSON body (partly or whole), headers, query and model id.

One matcher serves faults (``labelf_mock.inference.fail(status=503, match_json={"texts": ["boom"]})``),
scripted answers and the journal's call counts, so "matches" means the same everywhere:

- ``match_json``: the body contains this: an object matches when it has every given key with a matching
  value (recursively; other keys are ignored), an array when it has the same length and each element matches,
  anything else by equality (``true`` is not ``1``).  A callable is called with the parsed body instead.
- ``match_json_exact``: the whole body equals this (pytest-httpx's ``match_json``).
- ``match_headers``: each named header (case-insensitive name) has exactly this value.
- ``match_query``: each named parameter has this value (a list: all its values, in order).
- ``model_id``: the model of the path (``/v2/models/7/inference``), or one of ``model_settings[].model_id``
  of a multi-model call.

A body is read only for a matcher that needs it, and never past the configured ``max_body_bytes``; a body
that is not JSON (or was too long to read) matches no ``match_json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import parse_qs

from .endpoints import endpoint_for, endpoint_named

__all__ = ["NOT_JSON", "MatchArgs", "RequestFacts", "RequestMatch"]


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
    """What a matcher may look at in one request; ``json`` is the parsed body, or :data:`NOT_JSON`."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, list[str]]
    json: object = _UNREAD

    @classmethod
    def from_scope(
        cls, scope: Mapping[str, Any], body: bytes | None = None, *, parsed: object = _UNREAD
    ) -> RequestFacts:
        """Facts of an ASGI request; ``body`` (raw) or ``parsed`` (already decoded) when the body was read."""
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if body is not None:
            parsed = _parse_json(body.decode("utf-8", "replace"))
        return cls(scope.get("method", "GET"), scope["path"], headers, query, parsed)

    @classmethod
    def from_text(cls, method: str, path: str, headers: Mapping[str, str], query: str, body: str) -> RequestFacts:
        """Facts of a recorded request (a journal entry: redacted headers and body as text)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        return cls(method, path, lowered, parse_qs(query, keep_blank_values=True), _parse_json(body))

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
        """Whether ``facts`` meets every criterion."""
        return self.mismatch(facts) is None

    def mismatch(self, facts: RequestFacts) -> str | None:
        """Why ``facts`` does not match (the first criterion that fails), or ``None`` when it does."""
        if self.model_id is not None and self.model_id not in facts.model_ids():
            return f"model {facts.model_ids() or 'none'}"
        for name, value in self.headers.items():
            if facts.headers.get(name) != value:
                return f"header {name}: {facts.headers.get(name)!r}"
        for name, values in self.query.items():
            if tuple(facts.query.get(name, ())) != values:
                return f"query {name}: {facts.query.get(name)}"
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
        parts += [f"header {name}={value!r}" for name, value in self.headers.items()]
        parts += [f"query {name}={list(values)}" for name, values in self.query.items()]
        if self.json is not _UNREAD:
            parts.append(f"json ⊇ {_short(self.json)}")
        if self.json_exact is not _UNREAD:
            parts.append(f"json == {_short(self.json_exact)}")
        return ", ".join(parts)


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
