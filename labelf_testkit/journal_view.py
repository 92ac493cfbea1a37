"""``JournalView``: what the mock received in this test, as a test reads it: one query (:meth:`calls_where`, with
the route names and content criteria faults take), counts and assertions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Unpack

from .mock_server import JournalEntry
from .mock_server.internal import (
    CAPTURE_LIMIT,
    TOKEN_PATH,
    Journal,
    MatchArgs,
    RequestMatch,
    check_route,
    host_of,
    on_route,
)

__all__ = ["CallCount", "Calls", "JournalView", "listing", "undecided_note"]

_DOCS = "the labelf-testkit docs, 'The journal' (docs/guide/journal.md)"
_BODY_SHOWN = 300


def listing(entries: list[JournalEntry], bodies: bool = False) -> str:
    """One line per entry for a failure message (with the start of each body when ``bodies``)."""
    lines = []
    for entry in entries:
        body = entry.body[:_BODY_SHOWN] + ("…" if len(entry.body) > _BODY_SHOWN else "") if bodies else ""
        lines.append(f"  - {entry}" + (f" {body}" if body else ""))
    return "\n".join(lines) or "  (no requests)"


def undecided_note(entries: list[JournalEntry], matcher: RequestMatch | None) -> str:
    """For a failure message: the entries whose journal copy cannot decide ``matcher``, and why (``""`` if none)."""
    if matcher is None:
        return ""
    reasons = [(entry, why) for entry in entries if (why := matcher.undecided(entry.facts)) is not None]
    if not reasons:
        return ""
    lines = "\n".join(f"  - {entry}: {why}" for entry, why in reasons)
    return (
        f"{len(reasons)} call(s) could not be judged on these criteria: the journal keeps the first "
        f"{CAPTURE_LIMIT // 1024} KiB of a request's headers, of its query and of its body, and these were longer "
        "(a fault sees the whole request and may have matched them). Count them on criteria the kept part "
        f"decides (model_id= in the path, a header), or send smaller requests:\n{lines}\n"
    )


class Calls(list[JournalEntry]):
    """A list of journal entries (``journal.calls``: every request of the test) that, called as
    ``journal.calls(route, **criteria)``, is :meth:`JournalView.calls_where` (the form before 0.3)."""

    def __init__(self, view: JournalView, entries: list[JournalEntry]) -> None:
        super().__init__(entries)
        self._view = view

    def __call__(self, route: str, **match: Unpack[MatchArgs]) -> list[JournalEntry]:
        """The requests to ``route`` that carry the criteria (:meth:`JournalView.calls_where`)."""
        return self._view.calls_where(route, **match)


class CallCount(int):
    """An ``int`` (``journal.call_count``: how many requests the test made) that, called as
    ``journal.call_count(route, **criteria)``, counts :meth:`JournalView.calls_where` (the form before 0.3)."""

    _view: JournalView

    def __new__(cls, view: JournalView, count: int) -> CallCount:
        number = super().__new__(cls, count)
        number._view = view
        return number

    def __call__(self, route: str, **match: Unpack[MatchArgs]) -> int:
        """How many requests to ``route`` carry the criteria."""
        return len(self._view.calls_where(route, **match))


class JournalView:
    """Every request the mock received in this test, oldest first; what it shows is redacted.

    One query, :meth:`calls_where`, takes the route names faults take (``"token"``, ``"inference"``, ``"api"``,
    ``"any"``, an exact path) and the same content criteria, judged on the same facts: a request a fault matched
    is one the query finds.  ``calls``, ``call_count`` and ``called`` are properties, as on a route.
    """

    __test__ = False

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._journal.entries())

    def __len__(self) -> int:
        return len(self._journal)

    def calls_where(self, route: str = "any", **match: Unpack[MatchArgs]) -> list[JournalEntry]:
        """The requests to ``route`` that carry the content criteria, oldest first.

        :param route: a route name (``"token"``, ``"revoke"``, ``"discovery"``, ``"jwks"``, ``"models"``,
            ``"inference"``, ``"similarity"``, ``"api"``, ``"any"``: every request) or an exact path.
        :param match: ``match_json=``, ``match_json_exact=``, ``match_headers=``, ``match_query=``,
            ``model_id=``, as faults take them.  A request whose journal copy was cut short cannot be judged on
            a part it lost and is not counted (failure messages list it, and say why).
        """
        check_route(route)
        matcher = RequestMatch.from_args(match)
        return [
            entry
            for entry in self._journal.entries()
            if on_route(route, entry.path) and (matcher is None or matcher.matches(entry.facts))
        ]

    @property
    def calls(self) -> Calls:
        """Every request of this test, oldest first; ``journal.calls(route, **criteria)`` is :meth:`calls_where`."""
        return Calls(self, self._journal.entries())

    @property
    def call_count(self) -> CallCount:
        """How many requests this test made; ``journal.call_count(route, **criteria)`` counts
        :meth:`calls_where`."""
        return CallCount(self, len(self._journal))

    @property
    def called(self) -> bool:
        """Whether the mock received any request in this test."""
        return len(self._journal) > 0

    def requests(self, path: str | None = None, method: str | None = None) -> list[JournalEntry]:
        """Requests to ``path`` (exact, or every path under a prefix ending in ``/``) with ``method``; both
        optional."""

        def wanted(entry: JournalEntry) -> bool:
            if method is not None and entry.method != method.upper():
                return False
            if path is None:
                return True
            return entry.path == path or (path.endswith("/") and entry.path.startswith(path))

        return [entry for entry in self._journal.entries() if wanted(entry)]

    @property
    def token_requests(self) -> list[JournalEntry]:
        """Every ``POST /oauth2/token``."""
        return self.requests(TOKEN_PATH, "POST")

    @property
    def api_calls(self) -> list[JournalEntry]:
        """Every request to the API host (``/v2`` and under): ``calls_where("api")``."""
        return self.calls_where("api")

    @property
    def issued_tokens(self) -> list[str]:
        """Fingerprints of the tokens issued, in order."""
        return [entry.issued_token for entry in self.token_requests if entry.issued_token]

    def assert_token_fetched(self, times: int = 1) -> None:
        """Fail unless exactly ``times`` token requests were answered 200.

        :param times: the expected number of tokens issued over HTTP.
        """
        __tracebackhide__ = True
        issued = [entry for entry in self.token_requests if entry.status == 200]
        if len(issued) != times:
            raise AssertionError(
                f"Expected a token to be fetched {times} time(s), but it was fetched {len(issued)} time(s).\n"
                f"Token requests received:\n{listing(self.token_requests)}\nSee {_DOCS}"
            )

    def assert_api_calls_used_latest_token(self) -> None:
        """Fail unless every API call carried the newest token issued before it."""
        __tracebackhide__ = True
        latest: str | None = None
        problems = []
        for entry in self._journal.entries():
            if entry.issued_token:
                latest = entry.issued_token
            elif host_of(entry.path) == "api" and entry.token != latest:
                carried = entry.token or "no bearer token"
                problems.append(f"  - {entry}: carried {carried}, newest issued was {latest or 'none yet'}")
        if problems:
            raise AssertionError(
                "Some API calls did not carry the newest token:\n" + "\n".join(problems) + f"\nSee {_DOCS}"
            )

    def assert_no_requests(self) -> None:
        """Fail if the mock received anything."""
        __tracebackhide__ = True
        if len(self):
            raise AssertionError(f"Expected no requests, but the mock received:\n{listing(list(self))}")

    def __repr__(self) -> str:
        return f"<JournalView of {len(self)} request(s)>"
