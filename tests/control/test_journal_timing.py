"""The journal's ``duration`` and ``seq`` over the control API: in each entry, as HAR ``time`` and
``timings``, and ``since=`` polling that survives eviction and reset."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from labelf_testkit.mock_server.control import ControlledApp

from .conftest import DEFAULT, token_of


def _journal(http: httpx.Client, **query: str) -> dict[str, Any]:
    response = http.get(f"{DEFAULT}/journal", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_entries_show_duration_and_seq(http: httpx.Client, controlled: ControlledApp) -> None:
    assert http.post(f"{DEFAULT}/faults", json={"kind": "delay", "route": "token", "seconds": 0.05}).status_code == 201
    token_of(http)
    token_of(http)
    body = _journal(http)
    delayed, plain = body["entries"]
    assert delayed["duration"] >= 0.05 and plain["duration"] >= 0
    assert [delayed["seq"], plain["seq"]] == [1, 2] and body["last_seq"] == 2
    python = controlled.mock.journal.entries()
    assert [(e.seq, e.duration) for e in python] == [(1, delayed["duration"]), (2, plain["duration"])]


def test_a_dropped_request_shows_no_duration(http: httpx.Client) -> None:
    http.post(f"{DEFAULT}/faults", json={"kind": "drop", "route": "token"})
    with pytest.raises(httpx.TransportError):
        token_of(http)
    (entry,) = _journal(http)["entries"]
    assert (entry["status"], entry["duration"]) == (None, None)
    (har,) = http.get(f"{DEFAULT}/journal.har").json()["log"]["entries"]
    assert (har["time"], har["timings"]["wait"]) == (0, 0)


def test_since_gives_only_newer_entries(http: httpx.Client) -> None:
    token_of(http)
    first = _journal(http)
    assert first["last_seq"] == 1
    token_of(http)
    token_of(http)
    newer = _journal(http, since=str(first["last_seq"]))
    assert [e["seq"] for e in newer["entries"]] == [2, 3] and newer["last_seq"] == 3
    assert newer["total"] == 3 and newer["count"] == 2
    assert _journal(http, since=str(newer["last_seq"]))["entries"] == []
    assert [e["seq"] for e in _journal(http, since="0")["entries"]] == [1, 2, 3]
    assert [e["seq"] for e in _journal(http, since="1", limit="1")["entries"]] == [3]
    assert [e["seq"] for e in _journal(http, since="1", status="2xx")["entries"]] == [2, 3]


def test_since_is_not_fooled_by_eviction_or_reset(http: httpx.Client) -> None:
    session = http.post("/__labelf/sessions").json()  # an opened session's journal keeps 50 (the fixture's limit)
    auth, journal = (session["client_id"], session["client_secret"]), f"/__labelf/sessions/{session['id']}/journal"
    for _ in range(52):
        token_of(http, auth)
    kept = http.get(journal).json()
    assert (kept["total"], kept["last_seq"]) == (50, 52)
    assert [e["seq"] for e in kept["entries"]][:2] == [3, 4] and kept["entries"][0]["index"] == 0
    assert http.post(f"/__labelf/sessions/{session['id']}/reset").status_code == 200
    token_of(http, auth)
    after = http.get(journal, params={"since": "52"}).json()
    assert [e["seq"] for e in after["entries"]] == [53] and after["total"] == 1


@pytest.mark.parametrize("value", ["-1", "x", "1.5", "", "٣"])
def test_a_bad_since_is_a_400_naming_the_field(http: httpx.Client, value: str) -> None:
    response = http.get(f"{DEFAULT}/journal", params={"since": value})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "since"
    assert http.get(f"{DEFAULT}/journal.har", params={"since": value}).status_code == 400


def test_har_time_and_timings_carry_the_duration(http: httpx.Client) -> None:
    http.post(f"{DEFAULT}/faults", json={"kind": "delay", "route": "token", "seconds": 0.05})
    token_of(http)
    (entry,) = http.get(f"{DEFAULT}/journal.har").json()["log"]["entries"]
    timings = entry["timings"]
    assert timings["wait"] >= 50 and entry["time"] == timings["wait"]  # milliseconds
    assert (timings["send"], timings["receive"]) == (0, 0)  # required, never -1 (HAR 1.2)
    assert {timings[name] for name in ("blocked", "dns", "connect", "ssl")} == {-1}  # not known to the mock
    # HAR: time is the sum of the timings that are not -1.
    assert entry["time"] == sum(value for value in timings.values() if value != -1)


def test_har_started_date_time_is_when_the_request_arrived(http: httpx.Client) -> None:
    http.post(f"{DEFAULT}/faults", json={"kind": "delay", "route": "token", "seconds": 0.3})
    token_of(http)
    (view,) = _journal(http)["entries"]
    (entry,) = http.get(f"{DEFAULT}/journal.har").json()["log"]["entries"]
    assert entry["startedDateTime"] == view["arrived_at_iso"] != view["at_iso"]
    started = dt.datetime.fromisoformat(entry["startedDateTime"]).timestamp()
    assert view["at"] - started >= 0.29  # at is when the answer was recorded, after the 0.3 s delay
    assert view["at"] - view["arrived_at"] == pytest.approx(view["duration"], abs=0.05)
