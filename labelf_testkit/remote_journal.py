"""The journal of a remote mock's session, as ``labelf_mock.journal`` shows a local one: entries with the same
fields (redacted by the mock), the same filters, and assertions the control API verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Unpack

from ._control_client import ControlClient
from .mock_server.internal import API_PREFIX, TOKEN_PATH, EntryFields, MatchArgs

__all__ = ["RemoteEntry", "RemoteJournal", "criteria"]


def criteria(match: MatchArgs) -> dict[str, Any]:
    """Content criteria as the control API takes them (JSON); a predicate cannot cross the process boundary."""
    out: dict[str, Any] = {}
    for name, value in match.items():
        if callable(value):
            raise TypeError(
                f"{name}= got a callable ({getattr(value, '__name__', type(value).__name__)}), which cannot be sent "
                "to a mock in another process. Describe the request with values instead: match_json={...} (the body "
                "holds these keys and values, recursively), match_json_exact=, match_headers=, match_query=, "
                "model_id=; or filter the calls in this process: [c for c in labelf_mock.inference.calls if "
                "predicate(c.json())]."
            )
        if name == "match_query" and isinstance(value, dict):
            value = {k: v if isinstance(v, str) else list(v) for k, v in value.items()}
        out[name] = value
    return out


@dataclass(frozen=True, eq=False)
class RemoteEntry(EntryFields):
    """One request the remote session received: :class:`~labelf_testkit.JournalEntry`'s fields, as redacted."""

    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    form: dict[str, list[str]] = field(default_factory=dict)
    client_id: str | None = None
    token: str | None = None
    issued_token: str | None = None
    summary: str = field(default="", repr=False)

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> RemoteEntry:
        """From the control API's JSON entry."""
        names = set(cls.__dataclass_fields__)
        return cls(**{name: value for name, value in view.items() if name in names})

    def json(self) -> Any:
        """The request body parsed as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self) -> str:
        return self.summary


class RemoteJournal:
    """Every request the remote session received in this test, oldest first; secrets already redacted."""

    __test__ = False

    def __init__(self, control: ControlClient, session: str) -> None:
        self._control = control
        self._session = session

    def entries(self) -> list[RemoteEntry]:
        """A snapshot, oldest first."""
        views = self._control.call("GET", f"/sessions/{self._session}/journal")["entries"]
        return [RemoteEntry.from_view(view) for view in views]

    def __iter__(self) -> Iterator[RemoteEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return int(self._control.call("GET", f"/sessions/{self._session}/journal", params={"limit": "1"})["total"])

    def requests(self, path: str | None = None, method: str | None = None) -> list[RemoteEntry]:
        """Requests, optionally only those to ``path`` (exact, or a prefix ending in ``/``) with ``method``."""
        return [
            e
            for e in self.entries()
            if (method is None or e.method == method.upper())
            and (path is None or e.path == path or (path.endswith("/") and e.path.startswith(path)))
        ]

    def calls(self, route: str, **match: Unpack[MatchArgs]) -> list[RemoteEntry]:
        """Requests to a route (named as faults name routes, or an exact path) meeting the criteria."""
        found = self._control.call("POST", f"/sessions/{self._session}/calls", {"route": route, **criteria(match)})
        return [RemoteEntry.from_view(view) for view in found["calls"]]

    def call_count(self, route: str, **match: Unpack[MatchArgs]) -> int:
        """How many requests :meth:`calls` finds."""
        return len(self.calls(route, **match))

    @property
    def token_requests(self) -> list[RemoteEntry]:
        """Every ``POST /oauth2/token``."""
        return self.requests(TOKEN_PATH, "POST")

    @property
    def api_calls(self) -> list[RemoteEntry]:
        """Every request to the API host (``/v2`` and under)."""
        return [e for e in self.entries() if e.path == API_PREFIX or e.path.startswith(API_PREFIX + "/")]

    @property
    def issued_tokens(self) -> list[str]:
        """Fingerprints of the tokens issued, in order."""
        return [e.issued_token for e in self.token_requests if e.issued_token]

    def verify(self, check: str, body: dict[str, Any] | None = None) -> None:
        """Run a control API verification; ``AssertionError`` with its report when it fails."""
        __tracebackhide__ = True
        verdict = self._control.call("POST", f"/sessions/{self._session}/verify/{check}", body or {}, verdict=True)
        if not verdict["ok"]:
            raise AssertionError(verdict.get("report") or verdict["message"])

    def assert_token_fetched(self, times: int = 1) -> None:
        """Fail unless exactly ``times`` token requests were answered 200."""
        __tracebackhide__ = True
        self.verify("token_fetched", {"times": times})

    def assert_api_calls_used_latest_token(self) -> None:
        """Fail unless every API call carried the newest token issued before it."""
        __tracebackhide__ = True
        self.verify("api_calls_used_latest_token")

    def assert_no_requests(self) -> None:
        """Fail if the session received anything."""
        __tracebackhide__ = True
        self.verify("no_requests")

    def __repr__(self) -> str:
        return f"<RemoteJournal of session {self._session}>"
