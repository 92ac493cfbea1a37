"""Comparing one live answer with the mock's answer to the same request: status, meaningful headers, body.

The body is compared structurally (a key only live has is ``added``, one only the mock has is ``removed``, a
JSON type that differs is ``type``, an array length the request fixes is ``value``) and by value where the
value is deterministic.  Inherently random values (tokens, request ids, scores) are compared by shape only.
Locations are JSONPath-like with every array index written ``[*]``, so the same difference in each element
of an array is one finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COMPARED_HEADERS",
    "Answer",
    "Difference",
    "Kind",
    "compare_answers",
    "json_type",
]

Kind = Literal["status", "header", "added", "removed", "type", "value"]

#: The headers that carry meaning for a client; everything else (Date, Content-Length, request ids) is not compared.
COMPARED_HEADERS = ("content-type", "cache-control", "pragma", "www-authenticate", "retry-after", "allow")

# Values that differ between two identical requests by design: compared by JSON type only.
_SHAPE_ONLY = re.compile(
    r"(?:^|\.)(?:access_token|refresh_token|id_token|request_id|score|similarity|processing_time_ms)$"
)
_EMPTY = object()


@dataclass(frozen=True)
class Answer:
    """What came back for one request: status, headers (names lower-cased) and the raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def parsed(self) -> object:
        """The body as JSON, or its text when it is not JSON, or a marker when it is empty."""
        if not self.body:
            return _EMPTY
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Difference:
    """One point where the live answer and the mock's differ; values are the raw ones (redact before showing)."""

    kind: Kind
    location: str
    live: object
    mock: object


def json_type(value: object) -> str:
    """The JSON type name of a parsed value (``text`` for a non-JSON body, ``empty`` for no body)."""
    if value is _EMPTY:
        return "empty"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _shown(value: object) -> object:
    return None if value is _EMPTY else value


def _media(value: str) -> tuple[str, frozenset[tuple[str, str]]]:
    # RFC 9110 §8.3.1: type, subtype and parameter names are case-insensitive, and so is the charset value.
    kind, *params = (part.strip() for part in value.split(";"))
    pairs = set()
    for param in params:
        name, _, raw = param.partition("=")
        pairs.add((name.strip().lower(), raw.strip().strip('"').lower()))
    return kind.lower(), frozenset(pairs)


def _normalized(name: str, value: str | None) -> object:
    if value is None:
        return None
    if name == "content-type":
        return _media(value)
    if name in {"cache-control", "allow"}:  # lists whose order carries no meaning (RFC 9111 §5.2, RFC 9110 §10.2.1)
        return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
    return value.strip()


def _headers(live: Mapping[str, str], mock: Mapping[str, str]) -> Iterator[Difference]:
    for name in COMPARED_HEADERS:
        live_value, mock_value = live.get(name), mock.get(name)
        if _normalized(name, live_value) != _normalized(name, mock_value):
            yield Difference("header", name, live_value, mock_value)


def _labelled(items: list[object]) -> bool:
    return bool(items) and all(isinstance(item, dict) and isinstance(item.get("label"), str) for item in items)


def _by_label(items: list[object]) -> list[object]:
    return sorted(items, key=lambda item: str(item["label"]) if isinstance(item, dict) else "")


def _array(live: list[object], mock: list[object], path: str, fixed: frozenset[str]) -> Iterator[Difference]:
    if path in fixed and len(live) != len(mock):
        yield Difference("value", f"length({path})", len(live), len(mock))
    if _labelled(live) and _labelled(mock):
        # Predictions come sorted by score, and scores are random to a comparison: compare the labels as a
        # set, then each prediction with its namesake.
        live_labels = sorted(str(item["label"]) for item in live if isinstance(item, dict))
        mock_labels = sorted(str(item["label"]) for item in mock if isinstance(item, dict))
        if live_labels != mock_labels:
            yield Difference("value", f"{path}[*].label", live_labels, mock_labels)
            return
        live, mock = _by_label(live), _by_label(mock)
    for live_item, mock_item in zip(live, mock, strict=False):
        yield from _value(live_item, mock_item, f"{path}[*]", fixed)


def _value(live: object, mock: object, path: str, fixed: frozenset[str]) -> Iterator[Difference]:
    live_type, mock_type = json_type(live), json_type(mock)
    shape_only = bool(_SHAPE_ONLY.search(path))
    if shape_only and {live_type, mock_type} <= {"integer", "number"}:
        return
    if live_type != mock_type:
        yield Difference("type", path, _shown(live), _shown(mock))
    elif isinstance(live, dict) and isinstance(mock, dict):
        for key in live.keys() - mock.keys():
            yield Difference("added", f"{path}.{key}", live[key], None)
        for key in mock.keys() - live.keys():
            yield Difference("removed", f"{path}.{key}", None, mock[key])
        for key in sorted(live.keys() & mock.keys()):
            yield from _value(live[key], mock[key], f"{path}.{key}", fixed)
    elif isinstance(live, list) and isinstance(mock, list):
        yield from _array(live, mock, path, fixed)
    elif not shape_only and live != mock:
        yield Difference("value", path, _shown(live), _shown(mock))


def compare_answers(live: Answer, mock: Answer, fixed_lengths: frozenset[str] = frozenset()) -> list[Difference]:
    """Every difference between ``live`` and ``mock``, one per kind and location (the first example kept).

    ``fixed_lengths`` names the arrays (as ``$``-paths with ``[*]``) whose length the request fixes, such as
    ``$`` for an inference call with two texts.
    """
    found: dict[tuple[str, str], Difference] = {}
    differences: list[Difference] = []
    if live.status != mock.status:
        differences.append(Difference("status", "status", live.status, mock.status))
    differences.extend(_headers(live.headers, mock.headers))
    differences.extend(_value(live.parsed(), mock.parsed(), "$", fixed_lengths))
    for difference in differences:
        found.setdefault((difference.kind, difference.location), difference)
    return list(found.values())
