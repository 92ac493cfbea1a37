"""``Route``: one route of the mock as a test sees it (respx's ``Route``): plan faults on it, count and assert its
calls.

``labelf_mock.token``, ``.inference``, … are one ``Route`` per route name of the endpoint table
(:data:`~labelf_testkit.mock_server.FAULT_ROUTES`), made from it; ``labelf_mock.route(name_or_path)`` gives the
same handle for a name or an exact path.  Every fault and every count takes the same content criteria
(``match_json=``, ``match_json_exact=``, ``match_headers=``, ``match_query=``, ``model_id=``; see
:mod:`labelf_testkit.mock_server.matching`), judged on the same facts of each request: a call a fault matched
is a call the count matches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Unpack

from .journal_view import JournalView, listing, undecided_note
from .mock_server import JournalEntry
from .mock_server.internal import (
    Fault,
    FaultKind,
    MatchArgs,
    MockState,
    RequestMatch,
    check_route,
    describe_unused,
    retry_after_header,
)

__all__ = ["JwksRoute", "PlannedFault", "Route", "RouteFaults", "TokenFaults", "TokenRoute", "describe_unused"]

_DOCS = "the labelf-testkit docs, 'Call counts' (docs/guide/call-counts.md)"
Body = bytes | str | dict[str, object] | list[object] | None


def _body(body: Body) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


@dataclass(frozen=True)
class PlannedFault:
    """What planning a fault queued, as an immutable description (the plan itself is changed only through the
    route's methods); ``hits`` and ``pending`` read how far the mock has used it."""

    route: str
    kind: FaultKind
    status: int
    times: int | None
    delay: float
    headers: Mapping[str, str]
    body: bytes | None
    #: The content criteria, as a phrase (``model 7, json ⊇ {"texts": ["boom"]}``); ``None``: every call.
    criteria: str | None
    _fault: Fault = field(repr=False, compare=False)

    @classmethod
    def of(cls, fault: Fault) -> PlannedFault:
        """The description of ``fault``."""
        criteria = fault.match.describe() if fault.match is not None else None
        headers = MappingProxyType(dict(fault.headers))
        return cls(
            fault.route, fault.kind, fault.status, fault.times, fault.delay, headers, fault.body, criteria, fault
        )

    @property
    def hits(self) -> int:
        """How many calls it has spoiled so far."""
        return self._fault.hits

    @property
    def pending(self) -> bool:
        """Whether it still has calls to spoil."""
        return self._fault.pending

    def __str__(self) -> str:
        return self._fault.describe()


class Route:
    """One route: ``token``, ``revoke``, ``discovery``, ``jwks``, ``models``, ``inference``, ``similarity``,
    ``api`` (every request under ``/v2``), ``any`` (every request), or an exact path such as
    ``/v2/models/7/inference``.

    Each fault method queues a fault for the next ``times`` matching calls (``times=None``: every call until the
    test ends), then the route behaves normally again.  Faults queue in order: ``fail(times=2)`` then
    ``delay(1)`` spoils two calls and slows the third.  Every option after the first is keyword-only, and every
    method takes the content criteria ``match_json=``, ``match_json_exact=``, ``match_headers=``,
    ``match_query=`` and ``model_id=`` (only calls that carry them are spoiled).  Each returns a
    :class:`PlannedFault`.

    ``calls``, ``call_count`` and ``called`` read what the journal recorded on the route in this test (faulted
    calls included); :meth:`calls_where`, :meth:`assert_called` and :meth:`assert_not_called` take the same
    criteria as the faults.
    """

    __test__ = False

    def __init__(self, state: MockState, route: str) -> None:
        #: The route name or exact path this handle targets.
        self.route = check_route(route)
        self._state = state

    @property
    def name(self) -> str:
        """The route name or exact path (the same as :attr:`route`)."""
        return self.route

    # --- faults -------------------------------------------------------------------------------------------

    def _add(self, fault: Fault, match: MatchArgs) -> PlannedFault:
        fault.match = RequestMatch.from_args(match)
        return PlannedFault.of(self._state.faults.add(fault))

    def fail(
        self,
        times: int | None = 1,
        *,
        status: int = 500,
        body: Body = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        **match: Unpack[MatchArgs],
    ) -> PlannedFault:
        """Answer the next ``times`` matching calls with an error.

        :param times: how many calls to spoil (``None``: every matching call until the test ends).
        :param status: the HTTP status (100-599), 500 by default.
        :param body: the body to send instead of the host's own error body for ``status`` (bytes as they are,
            ``str`` as UTF-8, a dict or list as JSON).  By default the host's own: Hydra's ``{"error", …}`` on the
            auth host, Labelf's ``{"status", "message", "error_code", "request_id"}`` on the API host, where a 401
            also carries ``WWW-Authenticate`` and a 429 ``Retry-After``.
        :param headers: headers to add to the answer (or replace).
        :param delay: seconds of real latency before answering.
        :param match: content criteria (``match_json=``, ``match_json_exact=``, ``match_headers=``,
            ``match_query=``, ``model_id=``): only calls that carry them are spoiled.
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code (100-599), got {status!r}")
        fault = Fault(self.route, "status", status, _body(body), dict(headers or {}), delay, times)
        return self._add(fault, match)

    def rate_limit(
        self, times: int | None = 1, *, retry_after: int | str = 1, **match: Unpack[MatchArgs]
    ) -> PlannedFault:
        """Answer 429 with ``Retry-After`` (Labelf documents: "Back off and retry using the Retry-After header").

        :param times: how many calls to spoil (``None``: every matching call).
        :param retry_after: the ``Retry-After`` value: whole seconds (0 or more) or an HTTP date; else a
            ``ValueError``.
        :param match: content criteria, as for :meth:`fail`.
        """
        return self.fail(times, status=429, headers={"Retry-After": retry_after_header(retry_after)}, **match)

    def delay(self, seconds: float, *, times: int | None = 1, **match: Unpack[MatchArgs]) -> PlannedFault:
        """Wait ``seconds`` (real time) before answering normally.

        :param seconds: the latency.
        :param times: how many calls to slow (``None``: every matching call).
        :param match: content criteria, as for :meth:`fail`.
        """
        return self._add(Fault(self.route, "delay", delay=seconds, times=times), match)

    def malformed_json(self, times: int | None = 1, *, status: int = 200, **match: Unpack[MatchArgs]) -> PlannedFault:
        """Answer truncated JSON with a JSON content type.

        :param times: how many calls to spoil (``None``: every matching call).
        :param status: the HTTP status of the broken answer, 200 by default.
        :param match: content criteria, as for :meth:`fail`.
        """
        return self._add(Fault(self.route, "malformed_json", status, times=times), match)

    def empty_body(self, times: int | None = 1, *, status: int = 200, **match: Unpack[MatchArgs]) -> PlannedFault:
        """Answer an empty body with a JSON content type.

        :param times: how many calls to spoil (``None``: every matching call).
        :param status: the HTTP status of the empty answer, 200 by default.
        :param match: content criteria, as for :meth:`fail`.
        """
        return self._add(Fault(self.route, "empty_body", status, times=times), match)

    def drop(self, times: int | None = 1, **match: Unpack[MatchArgs]) -> PlannedFault:
        """Close the connection without answering (in-process: the client's own connection error); the journal
        records the call with ``status`` ``None``.

        :param times: how many calls to drop (``None``: every matching call).
        :param match: content criteria, as for :meth:`fail`.
        """
        return self._add(Fault(self.route, "drop", times=times), match)

    # --- calls --------------------------------------------------------------------------------------------

    def _journal(self) -> JournalView:
        return JournalView(self._state.journal)

    @property
    def calls(self) -> list[JournalEntry]:
        """Every request this route received in this test (faulted ones too), oldest first."""
        return self._journal().calls_where(self.route)

    @property
    def call_count(self) -> int:
        """How many requests this route received in this test."""
        return len(self.calls)

    @property
    def called(self) -> bool:
        """Whether this route received any request in this test."""
        return bool(self.calls)

    def calls_where(self, **match: Unpack[MatchArgs]) -> list[JournalEntry]:
        """The calls that carry the content criteria (``match_json=``, ``match_json_exact=``, ``match_headers=``,
        ``match_query=``, ``model_id=``), judged as a fault judges them."""
        return self._journal().calls_where(self.route, **match)

    def assert_called(self, times: int | None = None, **match: Unpack[MatchArgs]) -> None:
        """Fail unless this route was called exactly ``times`` times.

        :param times: the expected number of calls (``None``: at least one).
        :param match: content criteria: only calls that carry them count.
        """
        __tracebackhide__ = True
        found = self.calls_where(**match)
        if (times is None and found) or len(found) == times:
            return
        expected = "at least once" if times is None else f"{times} time(s)"
        self._fail(
            f"Expected {self._name(match)} to be called {expected}, but it was called {len(found)} time(s).", match
        )

    def assert_not_called(self, **match: Unpack[MatchArgs]) -> None:
        """Fail if this route was called.

        :param match: content criteria: only calls that carry them count.
        """
        __tracebackhide__ = True
        found = self.calls_where(**match)
        if found:
            self._fail(f"Expected {self._name(match)} not to be called, but it was called {len(found)} time(s).", match)

    def _name(self, match: MatchArgs) -> str:
        matcher = RequestMatch.from_args(match)
        return f"{self.route!r}" + (f" where {matcher.describe()}" if matcher is not None else "")

    def _fail(self, headline: str, match: MatchArgs) -> None:
        __tracebackhide__ = True
        calls = self.calls
        note = undecided_note(calls, RequestMatch.from_args(match))
        raise AssertionError(
            f"{headline}\n{note}Calls to {self.route!r}:\n{listing(calls, bodies=True)}\n"
            f"Every request the mock received:\n{listing(self._state.journal.entries())}\nSee {_DOCS}"
        )

    def __repr__(self) -> str:
        return f"<Route {self.route!r}: {self.call_count} call(s)>"


class TokenRoute(Route):
    """The token endpoint's route (``labelf_mock.token``), plus the lifetime of the tokens it issues."""

    def __init__(self, state: MockState, route: str = "token") -> None:
        super().__init__(state, route)

    def expires_in(self, seconds: int | None) -> None:
        """Issue every following token with this lifetime.

        :param seconds: a positive whole number of seconds; ``None``: back to the configured lifetime.
        """
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1):
            raise ValueError(f"expires_in takes a positive whole number of seconds, got {seconds!r}")
        self._state.expires_in_override = seconds


class JwksRoute(Route, dict[str, Any]):
    """The JWKS endpoint's route (``labelf_mock.jwks``), which is also, as before 0.3, the public key set JWT
    access tokens are signed with: a ``dict`` (``labelf_mock.jwks["keys"]``), equal to what
    ``/.well-known/jwks.json`` serves."""

    def __init__(self, state: MockState, route: str = "jwks") -> None:
        Route.__init__(self, state, route)
        dict.__init__(self, state.tokens.jwt.jwks())

    __repr__ = Route.__repr__


#: The name of :class:`Route` before 0.3 (it was never only about faults): kept as an alias.
RouteFaults = Route
#: The name of :class:`TokenRoute` before 0.3: kept as an alias.
TokenFaults = TokenRoute
