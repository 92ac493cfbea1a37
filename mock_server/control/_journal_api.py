"""Control handlers that read a session's journal: the journal (filtered; as HAR 1.2), call counts,
verification with near-miss reports, and unused faults."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response

from ..endpoints import TOKEN_PATH, host_of
from ..journal import JournalEntry
from ._common import answer, base_url, session_of
from ._errors import bad_field
from ._fields import MATCH_FIELDS, Fields, natural, query_fields, read_body
from ._verify import Verdict, calls, mismatch, near_misses, on_route, unused_report
from ._views import entry_view
from .har import har_document

__all__ = ["ROUTES"]

_FILTERS = ("route", "status", "method", "limit", "since", *MATCH_FIELDS)
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "none")


def _status_filter(fields: Fields) -> Callable[[int | None], bool] | None:
    value = fields.data.get("status")
    if value is None:
        return None
    text = str(value).lower()
    if text in _STATUS_CLASSES:
        return (lambda s: s is None) if text == "none" else (lambda s: s is not None and str(s)[0] == text[0])
    code = natural(text, 599)
    if code is not None and code >= 100:
        return lambda s: s == code
    raise bad_field(
        "status",
        f"status takes a status code (100-599) or a class ({', '.join(_STATUS_CLASSES)}), got {value!r}.",
        list(_STATUS_CLASSES),
    )


def _route_of(fields: Fields, required: bool) -> str | None:
    if not required and fields.data.get("route") is None:
        return None
    return fields.route()


def _filtered(request: Request, entries: Sequence[JournalEntry] | None = None) -> list[tuple[int, JournalEntry]]:
    fields = query_fields(request, _FILTERS)
    route, status, matcher = _route_of(fields, required=False), _status_filter(fields), fields.match()
    method = fields.optional_text("method")
    limit = natural(str(fields.data["limit"])) if fields.has("limit") else None
    if fields.has("limit") and not limit:
        raise bad_field("limit", "limit takes a positive integer: the newest entries to show.")
    since = _since(fields)
    numbered = enumerate(session_of(request).state.journal.entries() if entries is None else entries)
    kept = [
        (index, entry)
        for index, entry in numbered
        if entry.seq > since
        and (route is None or on_route(route, entry.path))
        and (method is None or entry.method == method.upper())
        and (status is None or status(entry.status))
        and (matcher is None or mismatch(matcher, entry) is None)
    ]
    return kept[-limit:] if limit else kept


def _since(fields: Fields) -> int:
    """``since``: only entries whose ``seq`` is greater (0, every entry, when not given)."""
    if not fields.has("since"):
        return 0
    value = natural(str(fields.data["since"]), 2**63)
    if value is None:
        raise bad_field(
            "since",
            f"since takes a whole number (0 or more): the seq of the last entry already seen, got "
            f"{fields.data['since']!r}.",
        )
    return value


async def journal(request: Request) -> Response:
    """``GET {session}/journal``: the requests the session received, oldest first, redacted as the Python
    journal shows them; filtered by ``route``, ``status``, ``method``, criteria, ``since`` (entries after that
    ``seq``), ``limit`` (the newest N).  ``last_seq`` is the newest ``seq`` recorded (0: none yet), read with the
    entries: a poller passes it as the next ``since``; the journal holds ``last_seq - total + 1`` to ``last_seq``."""
    entries, last_seq = session_of(request).state.journal.snapshot()
    kept = _filtered(request, entries)
    return answer(
        {
            "total": len(entries),
            "count": len(kept),
            "last_seq": last_seq,
            "entries": [entry_view(e, i) for i, e in kept],
        }
    )


async def journal_har(request: Request) -> Response:
    """``GET {session}/journal.har``: the same entries as a HAR 1.2 log."""
    kept = [entry for _, entry in _filtered(request)]
    return answer(har_document(kept, base_url(request)))


async def count_calls(request: Request) -> Response:
    """``POST {session}/calls``: the calls on ``route`` that meet the criteria, and how many."""
    fields = await read_body(request, ["route", *MATCH_FIELDS])
    route = _route_of(fields, required=True)
    assert route is not None  # noqa: S101 - required
    entries = session_of(request).state.journal.entries()
    position = {id(entry): index for index, entry in enumerate(entries)}
    found = calls(entries, route, fields.match())
    views = [entry_view(entry, position[id(entry)]) for entry in found]
    return answer({"route": route, "count": len(found), "calls": views})


def _verdict_answer(verdict: Verdict, received: int) -> Response:
    body = {
        "ok": verdict.ok,
        "count": verdict.count,
        "message": verdict.message,
        "calls": [str(entry) for entry in verdict.calls],
        "near_misses": [miss.view() for miss in verdict.misses],
        "report": verdict.report(received),
    }
    return answer(body, 200 if verdict.ok else 409)


async def verify(request: Request) -> Response:
    """``POST {session}/verify/{check}``: the Python handle's assertions; 200 when it holds, 409 with a report
    (the closest requests and how each differs) when it does not."""
    check = request.path_params["check"]
    entries = session_of(request).state.journal.entries()
    if check in ("called", "not_called"):
        fields = await read_body(
            request, ["route", "times", *MATCH_FIELDS] if check == "called" else ["route", *MATCH_FIELDS]
        )
        route = _route_of(fields, required=True)
        assert route is not None  # noqa: S101 - required
        times = fields.integer("times", None, minimum=0, nullable=True) if check == "called" else 0
        return _verdict_answer(_called(entries, route, times, fields), len(entries))
    if check == "token_fetched":
        times = (await read_body(request, ["times"])).integer("times", 1, minimum=0)
        return _verdict_answer(_token_fetched(entries, times or 0), len(entries))
    if check == "api_calls_used_latest_token":
        await read_body(request, [])
        return _verdict_answer(_latest_token(entries), len(entries))
    if check == "no_requests":
        await read_body(request, [])
        ok = not entries
        return _verdict_answer(
            Verdict(
                ok,
                "No requests were received." if ok else f"Expected no requests, but the mock received {len(entries)}.",
                len(entries),
                tuple(entries),
            ),
            len(entries),
        )
    if check == "all_faults_used":
        await read_body(request, [])
        return _all_faults_used(request, entries)
    raise bad_field("check", f"No verification {check!r}.", list(CHECKS), status=404)


CHECKS = ("called", "not_called", "token_fetched", "api_calls_used_latest_token", "no_requests", "all_faults_used")


def _called(entries: Sequence[JournalEntry], route: str, times: int | None, fields: Fields) -> Verdict:
    matcher = fields.match()
    found = calls(entries, route, matcher)
    where = f"{route!r}" + (f" where {matcher.describe()}" if matcher is not None else "")
    if (times is None and found) or len(found) == times:
        return Verdict(True, f"{where} was called {len(found)} time(s).", len(found), tuple(found))
    expected = "at least once" if times is None else ("not to be called" if times == 0 else f"{times} time(s)")
    verb = expected if times == 0 else f"to be called {expected}"
    message = f"Expected {where} {verb}, but it was called {len(found)} time(s)."
    misses = near_misses(entries, route, fields.match_args()) if len(found) < (times or 1) else ()
    return Verdict(False, message, len(found), tuple(found), tuple(misses))


def _token_fetched(entries: Sequence[JournalEntry], times: int) -> Verdict:
    requests = [e for e in entries if e.path == TOKEN_PATH and e.method == "POST"]
    issued = [e for e in requests if e.status == 200]
    ok = len(issued) == times
    message = f"Expected a token to be fetched {times} time(s), but it was fetched {len(issued)} time(s)."
    return Verdict(ok, message if not ok else f"A token was fetched {times} time(s).", len(issued), tuple(requests))


def _latest_token(entries: Sequence[JournalEntry]) -> Verdict:
    latest: str | None = None
    problems = []
    for entry in entries:
        if entry.issued_token:
            latest = entry.issued_token
        elif host_of(entry.path) == "api" and entry.token != latest:
            problems.append(
                f"{entry}: carried {entry.token or 'no bearer token'}, newest issued was {latest or 'none yet'}"
            )
    if not problems:
        return Verdict(True, "Every API call carried the newest token.", 0)
    return Verdict(
        False, "Some API calls did not carry the newest token:\n  - " + "\n  - ".join(problems), len(problems)
    )


def _all_faults_used(request: Request, entries: Sequence[JournalEntry]) -> Response:
    unused = session_of(request).state.faults.unused()
    report = unused_report(unused, entries)
    ok = not unused
    message = (
        "Every planned fault was triggered."
        if ok
        else "These planned faults were never triggered, so the code under test never made those calls."
    )
    return answer({"ok": ok, "count": len(unused), "message": message, "unused": report}, 200 if ok else 409)


async def unused_faults(request: Request) -> Response:
    """``GET {session}/unused_faults``: faults not (fully) used, each with the requests its route received and
    how each differs from its criteria."""
    session = session_of(request)
    return answer({"unused": unused_report(session.state.faults.unused(), session.state.journal.entries())})


ROUTES = [
    ("/journal", ["GET"], journal),
    ("/journal.har", ["GET"], journal_har),
    ("/calls", ["POST"], count_calls),
    ("/verify/{check}", ["POST"], verify),
    ("/unused_faults", ["GET"], unused_faults),
]
