"""How the control API shows the mock's objects as JSON: journal entries (redacted exactly as the Python
journal shows them), faults with what is left of them, scripts, models, the clock and sessions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..clock import ManualClock
from ..endpoints import endpoint_for
from ..faults import Fault
from ..journal import JournalEntry
from ..scripts import InferenceScript, SimilarityScript

if TYPE_CHECKING:
    from ..state import MockState
    from .sessions import Session, SessionStore

__all__ = ["clock_view", "entry_view", "fault_view", "iso", "model_views", "script_view", "session_view"]

#: The Python handle's method for each of the mock's fault kinds.
_KIND_NAMES = {"status": "fail"}


def iso(seconds: float) -> str:
    """Unix seconds as an ISO 8601 UTC time with milliseconds (HAR's and JavaScript's ``Date`` format)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry_view(entry: JournalEntry, index: int) -> dict[str, Any]:
    """One journal entry: what ``labelf_mock.journal`` shows of it (secrets redacted, tokens fingerprinted)."""
    endpoint = endpoint_for(entry.path)
    return {
        "index": index,
        "seq": entry.seq,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "route": endpoint.fault_route if endpoint is not None else None,
        "status": entry.status,
        "at": entry.at,
        "at_iso": iso(entry.at),
        "arrived_at": entry.arrived_at,
        "arrived_at_iso": None if entry.arrived_at is None else iso(entry.arrived_at),
        "duration": entry.duration,
        "fault": entry.fault,
        "truncated": entry.truncated,
        "headers": entry.headers,
        "body": entry.body,
        "form": entry.form,
        "client_id": entry.client_id,
        "token": entry.token,
        "issued_token": entry.issued_token,
        "summary": str(entry),
    }


def fault_view(fault: Fault, index: int) -> dict[str, Any]:
    """One planned fault: what it does, where, under which criteria, and how many calls it has left (a secret
    header's value in its criteria redacted)."""
    return {
        "id": index,
        "route": fault.route,
        "kind": _KIND_NAMES.get(fault.kind, fault.kind),
        "status": fault.status if fault.kind in {"status", "malformed_json", "empty_body"} else None,
        "delay": fault.delay,
        "times": fault.times,
        "hits": fault.hits,
        "remaining": None if fault.times is None else max(0, fault.times - fault.hits),
        "pending": fault.pending,
        # describe() shows a secret header's or query parameter's value redacted (matching.RequestMatch).
        "match": fault.match.describe() if fault.match is not None else None,
        "description": fault.describe(),
    }


def _matcher_text(matcher: object) -> str:
    pattern = getattr(matcher, "pattern", None)
    return f"/{pattern}/" if isinstance(pattern, str) else str(matcher)


def script_view(script: InferenceScript | SimilarityScript, index: int) -> dict[str, Any]:
    """One scripted answer or similarity, with how often it answered."""
    common = {
        "id": index,
        "times": script.times,
        "hits": script.hits,
        "match": script.match.describe() if script.match is not None else None,
    }
    if isinstance(script, InferenceScript):
        return {
            **common,
            "type": "answer",
            "model_id": script.model_id,
            "texts": [_matcher_text(t) for t in script.texts],
            "scores": dict(script.predictions),
        }
    return {
        **common,
        "type": "similarity_score",
        "score": script.score,
        "compare": None if script.compare is None else _matcher_text(script.compare),
        "base": None if script.base is None else _matcher_text(script.base),
        "compare_id": script.compare_id,
        "base_id": script.base_id,
    }


def model_views(state: MockState) -> list[dict[str, Any]]:
    """Every configured model, then those the session's recordings added, with its state in this session
    (``removed`` when a test removed it)."""
    views = []
    for configured in [*state.config.models, *state.replay.added_models]:
        seen = state.scripts.model(configured.model_id)
        views.append(
            {
                "model_id": configured.model_id,
                "name": configured.name,
                "labels": list(configured.labels),
                "status": "removed" if seen is None else seen.status,
            }
        )
    return views


def clock_view(state: MockState) -> dict[str, Any]:
    """The session's clock: ``now`` (Unix seconds), as ISO 8601, and whether it is frozen."""
    clock = state.clock
    now = clock.now()
    frozen = clock.frozen if isinstance(clock, ManualClock) else False
    return {"now": now, "iso": iso(now), "frozen": frozen}


def session_view(store: SessionStore, session: Session, base_url: str) -> dict[str, Any]:
    """A session as the listing shows it: never its secret or API key."""
    state = session.state
    return {
        "id": session.id,
        "default": session.is_default,
        "client_ids": list(session.client_ids),
        "created_at": iso(session.created_at),
        "idle_seconds": None if session.is_default else round(store.idle_seconds(session), 3),
        "expires_after_idle": None if session.is_default else store.limits.idle_timeout,
        "requests": len(state.journal),
        "faults_pending": sum(1 for fault in state.faults.faults() if fault.pending),
        "clock": clock_view(state),
        "control_url": f"{base_url}/__labelf/sessions/{session.id}",
    }
