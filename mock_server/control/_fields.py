"""Reading a control request's fields: each is checked against what it takes, and a wrong one is a 400 that
names it and lists the values allowed (never a 500).

Bodies are JSON objects, whatever the ``Content-Type`` says (``curl -d '{…}'`` sends a form type); an empty
body is ``{}``.  Query parameters that carry criteria (``match_json``…) are JSON text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from ..endpoints import FAULT_ROUTES, check_route
from ..matching import MatchArgs, RequestMatch
from ._errors import ControlError, bad_field

__all__ = ["MATCH_FIELDS", "Fields", "header_safe", "natural", "query_fields", "read_body"]

#: The content criteria every fault, script, count and verification takes (``labelf_mock``'s keywords).
MATCH_FIELDS = ("match_json", "match_json_exact", "match_headers", "match_query", "model_id")
_MAX_BODY = 1 << 20


async def read_body(request: Request, allowed: Iterable[str]) -> Fields:
    """The request's JSON object, its keys checked against ``allowed``."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_BODY:
            raise ControlError(413, "body_too_large", f"A control request body is at most {_MAX_BODY} bytes.")
    if not raw.strip():
        return Fields({}, allowed)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ControlError(400, "invalid_json", "The body is not JSON: send a JSON object such as {}.") from None
    if not isinstance(data, dict):
        raise ControlError(400, "invalid_json", f"The body must be a JSON object, not {type(data).__name__}.")
    return Fields(data, allowed)


def query_fields(request: Request, allowed: Iterable[str], json_fields: Iterable[str] = MATCH_FIELDS) -> Fields:
    """The query parameters as fields; those in ``json_fields`` are parsed as JSON text (a bare word that is
    not JSON is taken as a string, so ``model_id=2`` and ``model_id="2"`` both work; broken JSON, text that
    starts as an object, array or string and does not parse, is a 400 naming the parameter)."""
    data: dict[str, object] = {}
    decoded = set(json_fields)
    for name, value in request.query_params.multi_items():
        if name in data:
            raise bad_field(name, f"The query parameter {name!r} is given more than once; give it once.")
        if name in decoded:
            try:
                data[name] = json.loads(value)
            except (ValueError, RecursionError) as exc:
                if value.lstrip()[:1] in ("{", "[", '"'):
                    raise bad_field(name, f"{name} is not JSON text ({exc}), got {value!r}.") from None
                data[name] = value
        else:
            data[name] = value
    return Fields(data, allowed)


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= 60 else text[:59] + "…"


def natural(text: str, limit: int = 10**9) -> int | None:
    """``text`` as a whole number from 0 to ``limit`` (ASCII digits only), else ``None``."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(limit)):
        return None
    number = int(text)
    return number if number <= limit else None


def header_safe(name: str, text: str) -> str:
    """``text`` as an HTTP header value may carry it (Latin-1, no control characters but tab); a 400 naming
    ``name`` otherwise."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise bad_field(name, f"{name} takes header text in Latin-1 (HTTP header values are bytes).") from None
    if any((ord(ch) < 32 and ch != "\t") or ord(ch) == 127 for ch in text):
        raise bad_field(name, f"{name} takes header text without line breaks or other control characters.")
    return text


class Fields:
    """A checked view of a JSON object: each getter names the field when the value is wrong."""

    def __init__(self, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
        known = list(allowed)
        for name in data:
            if name not in known:
                raise bad_field(
                    name, f"Unknown field {name!r}; this request takes {', '.join(known) or 'none'}.", known
                )
        self.data = dict(data)

    def has(self, name: str) -> bool:
        """Whether the field was given (``null`` counts as given)."""
        return name in self.data

    def integer(
        self,
        name: str,
        default: int | None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        nullable: bool = False,
    ) -> int | None:
        """An int (``null`` only when ``nullable``), within ``[minimum, maximum]``."""
        if name not in self.data:
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        what = f"an integer{_bounds(minimum, maximum)}{', or null' if nullable else ''}"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_field(name, f"{name} takes {what}, got {json.dumps(value)}.")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise bad_field(name, f"{name} takes {what}, got {value}.")
        return value

    def number(self, name: str, default: float | None, *, minimum: float = 0.0, maximum: float | None = None) -> float:
        """A finite number within ``[minimum, maximum]``; the field is required when ``default`` is ``None``."""
        if name not in self.data:
            if default is None:
                raise bad_field(name, f"{name} is required.")
            return default
        value = self.data[name]
        bounds = _bounds(minimum, maximum)
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            raise bad_field(name, f"{name} takes a number{bounds}, got {_short(value)}.")
        if value < minimum or (maximum is not None and value > maximum):
            raise bad_field(name, f"{name} takes a number{bounds}, got {value:.15g}.")
        return float(value)

    def text(self, name: str, default: str | None = None, *, choices: Iterable[str] | None = None) -> str:
        """A string (one of ``choices`` when given); required when ``default`` is ``None``."""
        allowed = list(choices) if choices is not None else None
        if name not in self.data:
            if default is None:
                raise bad_field(
                    name, f"{name} is required" + (f"; use one of {', '.join(allowed)}." if allowed else "."), allowed
                )
            return default
        value = self.data[name]
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            hint = f"one of {', '.join(allowed)}" if allowed else "a string"
            raise bad_field(name, f"{name} takes {hint}, got {json.dumps(value)}.", allowed)
        return value

    def route(self) -> str:
        """``route``: a route name or an exact path, judged by :func:`..endpoints.check_route`, the one check the
        Python handle uses too."""
        route = self.text("route")
        try:
            return check_route(route)
        except ValueError as exc:
            raise bad_field("route", str(exc), FAULT_ROUTES) from None

    def optional_text(self, name: str) -> str | None:
        """A string, or ``None`` when absent or ``null``."""
        if self.data.get(name) is None:
            return None
        return self.text(name)

    def id_text(self, name: str) -> str | None:
        """An id given as a string or an integer (``model_id``), as a string; ``None`` when absent or ``null``."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise bad_field(name, f"{name} takes a string or an integer, got {json.dumps(value)}.")
        return str(value)

    def string_map(self, name: str) -> dict[str, str] | None:
        """An object of strings, or ``None`` when absent."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise bad_field(name, f'{name} takes an object of strings, such as {{"X-Tenant": "acme"}}.')
        return value

    def headers(self, name: str) -> dict[str, str]:
        """An object of header names to values that an HTTP answer can carry."""
        value = self.string_map(name) or {}
        for header, text in value.items():
            if not header or not all(c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~") for c in header):
                raise bad_field(name, f"{name}: {header!r} is not an HTTP header name.")
            header_safe(name, text)
        return value

    def match(self) -> RequestMatch | None:
        """The content criteria given (:data:`MATCH_FIELDS`), checked as the Python handle checks them."""
        args: dict[str, object] = self.match_args()
        if "match_query" in args:
            query = args["match_query"]
            valid = isinstance(query, dict) and all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                for v in query.values()
            )
            if not valid:
                raise bad_field(
                    "match_query", 'match_query takes an object of strings or lists of strings, such as {"page": "2"}.'
                )
        if "match_headers" in args:
            self.string_map("match_headers")
        if "model_id" in args:
            args["model_id"] = self.id_text("model_id")
        try:
            return RequestMatch.from_args(MatchArgs(**args))  # type: ignore[typeddict-item]  # keys checked above
        except (TypeError, ValueError, RecursionError) as exc:
            raise bad_field(next(iter(args), "match_json"), str(exc)) from None

    def match_args(self) -> dict[str, object]:
        """The criteria as given; ``null`` for ``match_headers``, ``match_query`` or ``model_id`` is "not given"
        (``null`` for ``match_json`` is the JSON body ``null``)."""
        optional = ("match_headers", "match_query", "model_id")
        return {
            name: self.data[name]
            for name in MATCH_FIELDS
            if name in self.data and not (name in optional and self.data[name] is None)
        }


def _bounds(minimum: float | None, maximum: float | None) -> str:
    """`` from 1 to 5``, `` of at least 1``, `` of at most 5`` or nothing; every digit shown (``:.15g``: a
    bound such as the year 9999's epoch second reads 253402300799, not 2.53402e+11)."""
    if minimum is not None and maximum is not None:
        return f" from {minimum:.15g} to {maximum:.15g}"
    if minimum is not None:
        return f" of at least {minimum:.15g}"
    return "" if maximum is None else f" of at most {maximum:.15g}"
