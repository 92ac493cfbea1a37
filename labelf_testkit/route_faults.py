"""The test-facing side of faults: ``labelf_mock.token.fail(times=2, status=503)`` queues a
:class:`~labelf_testkit.mock_server.Fault` on the mock's plan."""

from __future__ import annotations

import json

from .mock_server import Fault, FaultPlan, MockState

__all__ = ["RouteFaults", "TokenFaults"]


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

    def __init__(self, plan: FaultPlan, route: str) -> None:
        self._plan = plan
        self.route = route

    def fail(
        self,
        times: int | None = 1,
        status: int = 500,
        body: bytes | str | dict[str, object] | list[object] | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Answer ``status`` (default 500) with ``body`` (default: the host's own error body for it)."""
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code (100-599), got {status!r}")
        return self._plan.add(Fault(self.route, "status", status, _body(body), dict(headers or {}), delay, times))

    def rate_limit(self, times: int | None = 1, retry_after: int | str = 1) -> Fault:
        """429 with ``Retry-After`` (documented for the API: "Back off and retry using the Retry-After header")."""
        return self.fail(times, 429, headers={"Retry-After": str(retry_after)})

    def delay(self, seconds: float, times: int | None = 1) -> Fault:
        """Wait ``seconds`` (real time) before answering normally."""
        return self._plan.add(Fault(self.route, "delay", delay=seconds, times=times))

    def malformed_json(self, times: int | None = 1, status: int = 200) -> Fault:
        """Answer ``status`` (default 200) with truncated JSON and a JSON content type."""
        return self._plan.add(Fault(self.route, "malformed_json", status, times=times))

    def empty_body(self, times: int | None = 1, status: int = 200) -> Fault:
        """Answer ``status`` (default 200) with an empty body and a JSON content type."""
        return self._plan.add(Fault(self.route, "empty_body", status, times=times))

    def drop(self, times: int | None = 1) -> Fault:
        """Close the connection without answering (in-process: the client's own connection error)."""
        return self._plan.add(Fault(self.route, "drop", times=times))

    def __repr__(self) -> str:
        return f"<RouteFaults {self.route!r}>"


class TokenFaults(RouteFaults):
    """Faults of ``/oauth2/token``, plus control of the lifetime of the tokens it issues."""

    def __init__(self, state: MockState) -> None:
        super().__init__(state.faults, "token")
        self._state = state

    def expires_in(self, seconds: int | None) -> None:
        """Issue every following token with this lifetime (``None``: back to the configured one)."""
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1):
            raise ValueError(f"expires_in takes a positive whole number of seconds, got {seconds!r}")
        self._state.expires_in_override = seconds
