"""The test-facing side of the journal: filters and assertions over what the mock recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Unpack

from .mock_server import (
    FAULT_ROUTES,
    TOKEN_PATH,
    Journal,
    JournalEntry,
    MatchArgs,
    RequestFacts,
    RequestMatch,
    fault_routes_of,
    host_of,
)

__all__ = ["JournalView", "listing", "match_entry"]

_README = "the labelf-testkit docs, 'The journal' (docs/guide/journal.md)"
_BODY_SHOWN = 300


def listing(entries: list[JournalEntry], bodies: bool = False) -> str:
    """One line per entry for a failure message (with the start of each body when ``bodies``)."""
    lines = []
    for entry in entries:
        body = entry.body[:_BODY_SHOWN] + ("…" if len(entry.body) > _BODY_SHOWN else "") if bodies else ""
        lines.append(f"  - {entry}" + (f" {body}" if body else ""))
    return "\n".join(lines) or "  (no requests)"


def _listing(entries: list[JournalEntry]) -> str:
    return listing(entries)


def match_entry(matcher: RequestMatch, entry: JournalEntry) -> str | None:
    """Why the recorded ``entry`` does not meet ``matcher`` (``None`` when it does); headers and query as the
    journal shows them, redacted."""
    return matcher.mismatch(RequestFacts.from_text(entry.method, entry.path, entry.headers, entry.query, entry.body))


def _on_route(route: str, path: str) -> bool:
    return path == route if route.startswith("/") else route in fault_routes_of(path)


class JournalView:
    """Every request the mock received in this test, oldest first; secrets are already redacted."""

    __test__ = False

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._journal.entries())

    def __len__(self) -> int:
        return len(self._journal)

    def requests(self, path: str | None = None, method: str | None = None) -> list[JournalEntry]:
        """Requests, optionally only those to ``path`` (exact, or a prefix ending in ``/``) with ``method``."""

        def wanted(entry: JournalEntry) -> bool:
            if method is not None and entry.method != method.upper():
                return False
            if path is None:
                return True
            return entry.path == path or (path.endswith("/") and entry.path.startswith(path))

        return [entry for entry in self._journal.entries() if wanted(entry)]

    def calls(self, route: str, **match: Unpack[MatchArgs]) -> list[JournalEntry]:
        """Requests to a route, named as faults name routes (``"inference"``, ``"api"``, an exact path), and
        with content criteria (``match_json=``, ``match_headers=``, ``match_query=``, ``model_id=``) if given."""
        if route not in FAULT_ROUTES and not route.startswith("/"):
            raise ValueError(f"Unknown route {route!r}: use one of {', '.join(FAULT_ROUTES)} or an exact path.")
        matcher = RequestMatch.from_args(match)
        return [
            entry
            for entry in self._journal.entries()
            if _on_route(route, entry.path) and (matcher is None or match_entry(matcher, entry) is None)
        ]

    def call_count(self, route: str, **match: Unpack[MatchArgs]) -> int:
        """How many requests :meth:`calls` finds."""
        return len(self.calls(route, **match))

    @property
    def token_requests(self) -> list[JournalEntry]:
        """Every ``POST /oauth2/token``."""
        return self.requests(TOKEN_PATH, "POST")

    @property
    def api_calls(self) -> list[JournalEntry]:
        """Every request to the API host (``/v2`` and under)."""
        return [entry for entry in self._journal.entries() if host_of(entry.path) == "api"]

    @property
    def issued_tokens(self) -> list[str]:
        """Fingerprints of the tokens issued, in order."""
        return [entry.issued_token for entry in self.token_requests if entry.issued_token]

    def assert_token_fetched(self, times: int = 1) -> None:
        """Fail unless exactly ``times`` token requests were answered 200."""
        __tracebackhide__ = True
        issued = [entry for entry in self.token_requests if entry.status == 200]
        if len(issued) != times:
            raise AssertionError(
                f"Expected a token to be fetched {times} time(s), but it was fetched {len(issued)} time(s).\n"
                f"Token requests received:\n{_listing(self.token_requests)}\nSee {_README}"
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
                "Some API calls did not carry the newest token:\n" + "\n".join(problems) + f"\nSee {_README}"
            )

    def assert_no_requests(self) -> None:
        """Fail if the mock received anything."""
        __tracebackhide__ = True
        if len(self):
            raise AssertionError(f"Expected no requests, but the mock received:\n{_listing(list(self))}")

    def __repr__(self) -> str:
        return f"<JournalView of {len(self)} request(s)>"
