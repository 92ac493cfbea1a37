"""Faults, call counts and verification of one route of a remote mock: ``labelf_mock.inference.fail(...)`` as
the in-process handle has it, sent to the mock's control API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Unpack

from ._control_client import ControlClient
from .mock_server.internal import MatchArgs, check_route
from .remote_journal import RemoteEntry, RemoteJournal, criteria

__all__ = ["RemoteFault", "RemoteJwksRoute", "RemoteRouteFaults", "RemoteTokenFaults"]


@dataclass(frozen=True)
class RemoteFault:
    """A fault planned on a remote mock, as the mock described it when it was planned."""

    id: int
    route: str
    kind: str
    times: int | None
    description: str

    def __str__(self) -> str:
        return self.description


def _body(body: bytes | str | dict[str, object] | list[object] | None) -> object:
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise TypeError("body= must be UTF-8 text with a remote mock (bytes are sent as text)") from None
    return body


class RemoteRouteFaults:
    """Faults for one route of a remote mock's session (``token``, ``inference``, … or an exact path)."""

    def __init__(self, control: ControlClient, session: str, route: str, journal: RemoteJournal) -> None:
        check_route(route)
        self._control = control
        self._session = session
        self._journal = journal
        self.route = route

    def _plan(self, kind: str, fields: dict[str, Any], match: MatchArgs) -> RemoteFault:
        body = {"kind": kind, "route": self.route, **fields, **criteria(match)}
        view = self._control.call("POST", f"/sessions/{self._session}/faults", body)
        return RemoteFault(view["id"], view["route"], view["kind"], view["times"], view["description"])

    def fail(
        self,
        times: int | None = 1,
        *,
        status: int = 500,
        body: bytes | str | dict[str, object] | list[object] | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        **match: Unpack[MatchArgs],
    ) -> RemoteFault:
        """Answer ``status`` (default 500) with ``body`` (default: the host's own error body for it)."""
        fields = {"times": times, "status": status, "body": _body(body), "headers": headers or {}, "delay": delay}
        return self._plan("fail", fields, match)

    def rate_limit(
        self, times: int | None = 1, *, retry_after: int | str = 1, **match: Unpack[MatchArgs]
    ) -> RemoteFault:
        """429 with ``Retry-After``."""
        return self._plan("rate_limit", {"times": times, "retry_after": retry_after}, match)

    def delay(self, seconds: float, *, times: int | None = 1, **match: Unpack[MatchArgs]) -> RemoteFault:
        """Wait ``seconds`` (real time) before answering normally."""
        return self._plan("delay", {"seconds": seconds, "times": times}, match)

    def malformed_json(self, times: int | None = 1, *, status: int = 200, **match: Unpack[MatchArgs]) -> RemoteFault:
        """Answer ``status`` (default 200) with truncated JSON."""
        return self._plan("malformed_json", {"times": times, "status": status}, match)

    def empty_body(self, times: int | None = 1, *, status: int = 200, **match: Unpack[MatchArgs]) -> RemoteFault:
        """Answer ``status`` (default 200) with an empty body."""
        return self._plan("empty_body", {"times": times, "status": status}, match)

    def drop(self, times: int | None = 1, **match: Unpack[MatchArgs]) -> RemoteFault:
        """Close the connection without answering."""
        return self._plan("drop", {"times": times}, match)

    @property
    def calls(self) -> list[RemoteEntry]:
        """Every request this route received in this test (faulted ones too), oldest first."""
        return self._journal.calls(self.route)

    @property
    def call_count(self) -> int:
        """How many requests this route received in this test."""
        return len(self.calls)

    @property
    def called(self) -> bool:
        """Whether this route received any request in this test."""
        return bool(self.calls)

    @property
    def name(self) -> str:
        """The route name or exact path (the same as ``route``)."""
        return self.route

    def calls_where(self, **match: Unpack[MatchArgs]) -> list[RemoteEntry]:
        """The calls whose content matches the criteria."""
        return self._journal.calls(self.route, **match)

    def assert_called(self, times: int | None = None, **match: Unpack[MatchArgs]) -> None:
        """Fail unless this route was called exactly ``times`` times (``None``: at least once); the message lists
        the closest requests received and how each differs."""
        __tracebackhide__ = True
        self._journal.verify("called", {"route": self.route, "times": times, **criteria(match)})

    def assert_not_called(self, **match: Unpack[MatchArgs]) -> None:
        """Fail if this route was called (only calls matching the criteria count, when some are given)."""
        __tracebackhide__ = True
        self._journal.verify("not_called", {"route": self.route, **criteria(match)})

    def __repr__(self) -> str:
        return f"<RemoteRouteFaults {self.route!r} of session {self._session}>"


class RemoteTokenFaults(RemoteRouteFaults):
    """Faults of ``/oauth2/token``, plus the lifetime of the tokens it issues."""

    def expires_in(self, seconds: int | None) -> None:
        """Issue every following token with this lifetime (``None``: back to the configured one)."""
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1):
            raise ValueError(f"expires_in takes a positive whole number of seconds, got {seconds!r}")
        self._control.call("PUT", f"/sessions/{self._session}/token/expires_in", {"seconds": seconds})


class RemoteJwksRoute(RemoteRouteFaults, dict[str, Any]):
    """The JWKS route of a remote session, which is also its public key set (a ``dict``), as the local
    ``labelf_mock.jwks`` is."""

    def __init__(self, control: ControlClient, session: str, route: str, journal: RemoteJournal) -> None:
        RemoteRouteFaults.__init__(self, control, session, route, journal)
        dict.__init__(self, control.call("GET", f"/sessions/{session}/jwks"))

    __repr__ = RemoteRouteFaults.__repr__
