"""Recording check results by ID, and the shared assertions about OAuth error responses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import httpx

from labelf_testkit.contract_tests.catalogue import CHECKS

__all__ = ["RFC_ERROR_CODES", "CheckResults", "describe", "error_code"]

#: RFC 6749 §5.2 codes, plus RFC 7009's and the two fosite also uses on this endpoint.
RFC_ERROR_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "unsupported_token_type",
        "server_error",
        "temporarily_unavailable",
    }
)
_NQCHAR = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]*")
_OUTCOME_RANK = {"not run": -1, "pass": 0, "deviation": 1, "fail": 2}


def describe(response: httpx.Response) -> str:
    """``METHOD path -> status content-type body`` (short) for failure messages.  Secrets and tokens in it,
    even cut by the 300-character limit, are redacted by the plugin before any report shows them."""
    body = response.text[:300].replace("\n", "\\n")
    request = response.request
    content_type = response.headers.get("content-type", "-")
    return f"{request.method} {request.url.path} -> {response.status_code} [{content_type}] {body}"


def error_code(response: httpx.Response) -> str | None:
    """The ``error`` member of a JSON error body, if any."""
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("error") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


@dataclass
class CheckResults:
    """What one test found, per check ID it declared."""

    declared: tuple[str, ...]
    outcomes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, check_id: str, ok: bool, message: str = "") -> bool:
        """Record ``ok`` for ``check_id``: a failed contract check fails the test, an advisory one is a deviation."""
        self._declared(check_id)
        outcome = "pass" if ok else ("fail" if CHECKS[check_id].severity == "contract" else "deviation")
        if _OUTCOME_RANK[outcome] >= _OUTCOME_RANK[self.outcomes.get(check_id, "not run")]:
            self.outcomes[check_id] = outcome
        if not ok:
            self.messages.setdefault(check_id, []).append(message)
        return ok

    def note(self, check_id: str, text: str) -> None:
        """Attach ``text`` to ``check_id``'s row in the report, whatever its outcome (e.g. what was matched)."""
        self._declared(check_id)
        self.messages.setdefault(check_id, []).append(text)

    def not_run(self, check_id: str, reason: str) -> None:
        """``check_id`` could not be judged (what it inspects is missing): reported as not run, with ``reason``."""
        self._declared(check_id)
        if check_id not in self.outcomes:
            self.outcomes[check_id] = "not run"
            self.messages.setdefault(check_id, []).append(reason)

    def _declared(self, check_id: str) -> None:
        if check_id not in self.declared:
            raise ValueError(
                f"{check_id} is not declared on this test (@pytest.mark.labelf_checks); declared: {self.declared}"
            )

    def error_shape(self, response: httpx.Response) -> None:
        """TOKEN-ERR-SHAPE-001 and TOKEN-ERR-HEADERS-001 on an OAuth error response."""
        try:
            body = response.json()
        except ValueError:
            body = None
        well_formed = (
            isinstance(body, dict)
            and isinstance(body.get("error"), str)
            and body["error"] in RFC_ERROR_CODES
            and bool(_NQCHAR.fullmatch(body["error"]))
            and isinstance(body.get("error_description", ""), str)
            and bool(_NQCHAR.fullmatch(body.get("error_description", "")))
            and response.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"
        )
        self("TOKEN-ERR-SHAPE-001", well_formed, f"malformed error: {describe(response)}")
        headers_ok = (
            "no-store" in response.headers.get("cache-control", "") and response.headers.get("pragma") == "no-cache"
        )
        self("TOKEN-ERR-HEADERS-001", headers_ok, f"error without no-store/no-cache: {describe(response)}")

    def failures(self) -> list[str]:
        """``ID: message`` for every failed contract check."""
        return [
            f"{cid}: {msg}" for cid, outcome in self.outcomes.items() if outcome == "fail" for msg in self.messages[cid]
        ]

    def as_properties(self) -> list[tuple[str, str]]:
        """For ``report.user_properties`` (they travel to the report writer, also under xdist)."""
        return [
            ("labelf_check", json.dumps({"id": cid, "outcome": out, "messages": self.messages.get(cid, [])}))
            for cid, out in self.outcomes.items()
        ]
