"""The test-facing side of one route: ``labelf_mock.token.fail(times=2, status=503)`` queues a
:class:`~labelf_testkit.mock_server.Fault` on the mock's plan, and ``labelf_mock.inference.call_count`` counts
what the journal recorded on that route.

Every fault and count takes the same content criteria (``match_json=``, ``match_json_exact=``,
``match_headers=``, ``match_query=``, ``model_id=``; see :mod:`labelf_testkit.mock_server.matching`)."""

from __future__ import annotations

import json
from typing import Unpack

from .journal_view import JournalView, listing, match_entry
from .mock_server import Fault, FaultPlan, Journal, JournalEntry, MatchArgs, MockState, RequestMatch

__all__ = ["RouteFaults", "TokenFaults", "describe_unused"]

_README = "the labelf-testkit docs, 'Call counts' (docs/guide/call-counts.md)"


def _body(body: bytes | str | dict[str, object] | list[object] | None) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


class RouteFaults:
    """Faults for one route (``token``, ``revoke``, ``inference``, ``similarity``, ``models``, ``api``, ``any``).

    Each method queues a fault for the next ``times`` matching calls (``times=None``: every call), then the
    route behaves normally again.  Faults queue in order: ``fail(times=2)`` then ``delay(1)`` spoils two calls
    and slows the third.
    """

    def __init__(self, plan: FaultPlan, route: str, journal: Journal | None = None) -> None:
        self._plan = plan
        self._journal = journal
        self.route = route

    def _add(self, fault: Fault, match: MatchArgs) -> Fault:
        fault.match = RequestMatch.from_args(match)
        return self._plan.add(fault)

    def fail(
        self,
        times: int | None = 1,
        status: int = 500,
        body: bytes | str | dict[str, object] | list[object] | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        **match: Unpack[MatchArgs],
    ) -> Fault:
        """Answer ``status`` (default 500) with ``body`` (default: the host's own error body for it)."""
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code (100-599), got {status!r}")
        fault = Fault(self.route, "status", status, _body(body), dict(headers or {}), delay, times)
        return self._add(fault, match)

    def rate_limit(self, times: int | None = 1, retry_after: int | str = 1, **match: Unpack[MatchArgs]) -> Fault:
        """429 with ``Retry-After`` (documented for the API: "Back off and retry using the Retry-After header")."""
        return self.fail(times, 429, headers={"Retry-After": str(retry_after)}, **match)

    def delay(self, seconds: float, times: int | None = 1, **match: Unpack[MatchArgs]) -> Fault:
        """Wait ``seconds`` (real time) before answering normally."""
        return self._add(Fault(self.route, "delay", delay=seconds, times=times), match)

    def malformed_json(self, times: int | None = 1, status: int = 200, **match: Unpack[MatchArgs]) -> Fault:
        """Answer ``status`` (default 200) with truncated JSON and a JSON content type."""
        return self._add(Fault(self.route, "malformed_json", status, times=times), match)

    def empty_body(self, times: int | None = 1, status: int = 200, **match: Unpack[MatchArgs]) -> Fault:
        """Answer ``status`` (default 200) with an empty body and a JSON content type."""
        return self._add(Fault(self.route, "empty_body", status, times=times), match)

    def drop(self, times: int | None = 1, **match: Unpack[MatchArgs]) -> Fault:
        """Close the connection without answering (in-process: the client's own connection error)."""
        return self._add(Fault(self.route, "drop", times=times), match)

    # --- what the journal recorded on this route -------------------------------------------------------------

    def _view(self) -> JournalView:
        if self._journal is None:
            raise TypeError(f"{self!r} was made without a journal, so it cannot count calls.")
        return JournalView(self._journal)

    @property
    def calls(self) -> list[JournalEntry]:
        """Every request this route received in this test (faulted ones too), oldest first."""
        return self._view().calls(self.route)

    @property
    def call_count(self) -> int:
        """How many requests this route received in this test."""
        return len(self.calls)

    def calls_where(self, **match: Unpack[MatchArgs]) -> list[JournalEntry]:
        """The calls whose content matches (``match_json=``, ``match_headers=``, ``match_query=``, ``model_id=``)."""
        return self._view().calls(self.route, **match)

    def assert_called(self, times: int | None = None, **match: Unpack[MatchArgs]) -> None:
        """Fail unless this route was called exactly ``times`` times (``None``: at least once), counting only
        calls that match the criteria when some are given."""
        __tracebackhide__ = True
        found = self.calls_where(**match)
        if (times is None and found) or len(found) == times:
            return
        expected = "at least once" if times is None else f"{times} time(s)"
        self._fail(f"Expected {self._name(match)} to be called {expected}, but it was called {len(found)} time(s).")

    def assert_not_called(self, **match: Unpack[MatchArgs]) -> None:
        """Fail if this route was called (only calls matching the criteria count, when some are given)."""
        __tracebackhide__ = True
        found = self.calls_where(**match)
        if found:
            self._fail(f"Expected {self._name(match)} not to be called, but it was called {len(found)} time(s).")

    def _name(self, match: MatchArgs) -> str:
        matcher = RequestMatch.from_args(match)
        return f"{self.route!r}" + (f" where {matcher.describe()}" if matcher is not None else "")

    def _fail(self, headline: str) -> None:
        __tracebackhide__ = True
        everything = self._journal.entries() if self._journal is not None else []
        raise AssertionError(
            f"{headline}\nCalls to {self.route!r}:\n{listing(self.calls, bodies=True)}\n"
            f"Every request the mock received:\n{listing(everything)}\nSee {_README}"
        )

    def __repr__(self) -> str:
        return f"<RouteFaults {self.route!r}>"


class TokenFaults(RouteFaults):
    """Faults of ``/oauth2/token``, plus control of the lifetime of the tokens it issues."""

    def __init__(self, state: MockState) -> None:
        super().__init__(state.faults, "token", state.journal)
        self._state = state

    def expires_in(self, seconds: int | None) -> None:
        """Issue every following token with this lifetime (``None``: back to the configured one)."""
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1):
            raise ValueError(f"expires_in takes a positive whole number of seconds, got {seconds!r}")
        self._state.expires_in_override = seconds


def describe_unused(faults: list[Fault], journal: Journal) -> str:
    """Each unused fault, and for one with content criteria the requests its route received, each with the
    reason it did not match (what the test's code sent instead)."""
    lines = []
    for fault in faults:
        lines.append(f"  - {fault.describe()}")
        if fault.match is None:
            continue
        received = [entry for entry in journal.entries() if fault.matches(entry.path)]
        for entry in received:
            why = match_entry(fault.match, entry)
            lines.append(f"      {entry} — {'differs: ' + why if why else 'matched'}")
        if not received:
            lines.append(f"      (no request reached {fault.route!r})")
    return "\n".join(lines)
