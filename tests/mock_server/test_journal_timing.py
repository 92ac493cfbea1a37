"""Each journal entry's ``duration`` (how long the answer took, on a monotonic clock) and ``seq`` (its number in
the journal: never reused, never shifted by eviction or by clearing)."""

from __future__ import annotations

import httpx
import pytest

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import Fault, InProcessTransport, MockApp, MockConfig, create_app
from labelf_testkit.mock_server.journal import Journal, JournalEntry

GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")


def _token(http: httpx.Client) -> httpx.Response:
    return http.post("/oauth2/token", data=GRANT, auth=AUTH)


def test_an_answered_request_has_a_duration_at_least_its_delay(app: MockApp) -> None:
    app.mock.faults.add(Fault("token", "delay", delay=0.05))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        assert _token(http).status_code == 200  # delayed
        assert _token(http).status_code == 200  # not delayed
    delayed, plain = app.mock.journal.entries()
    assert delayed.duration is not None and delayed.duration >= 0.05
    assert plain.duration is not None and plain.duration >= 0


def test_the_duration_does_not_follow_the_mocks_clock(app: MockApp) -> None:
    app.mock.clock.freeze()  # type: ignore[attr-defined]
    app.mock.faults.add(Fault("token", "delay", delay=0.02))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        _token(http)
    (entry,) = app.mock.journal.entries()
    assert entry.duration is not None and entry.duration >= 0.02  # a frozen clock would have said 0


def test_a_dropped_request_has_no_duration(app: MockApp) -> None:
    app.mock.faults.add(Fault("token", "drop"))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        with pytest.raises(httpx.TransportError):
            _token(http)
        _token(http)
    dropped, answered = app.mock.journal.entries()
    assert (dropped.status, dropped.duration) == (None, None)
    assert answered.status == 200 and answered.duration is not None


def test_entries_are_numbered_from_1_and_eviction_shifts_no_number() -> None:
    app = create_app(MockConfig(journal_size=3))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        for _ in range(2):
            _token(http)
        assert [e.seq for e in app.mock.journal.entries()] == [1, 2]
        for _ in range(3):
            _token(http)
    entries, last = app.mock.journal.snapshot()
    assert [e.seq for e in entries] == [3, 4, 5] and last == 5  # the two oldest were evicted; the rest keep theirs
    assert [e.seq for e in app.mock.journal.entries()] == [3, 4, 5]  # and keep them on every read


def test_clearing_the_journal_does_not_reuse_numbers(app: MockApp) -> None:
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        _token(http)
        _token(http)
        app.mock.journal.clear()
        assert app.mock.journal.snapshot() == ([], 2)
        _token(http)
    assert [e.seq for e in app.mock.journal.entries()] == [3]


def test_a_stale_request_is_neither_recorded_nor_numbered() -> None:
    journal = Journal()
    journal.append(JournalEntry("GET", "/a", 200, 0.0))
    journal.append(JournalEntry("GET", "/b", 200, 0.0), epoch=journal.epoch - 1)
    journal.append(JournalEntry("GET", "/c", 200, 0.0))
    assert [(e.path, e.seq) for e in journal.entries()] == [("/a", 1), ("/c", 2)]


def test_the_plugins_journal_shows_duration_and_seq(labelf_mock: LabelfMock, labelf_http: httpx.Client) -> None:
    labelf_mock.token.delay(0.03)
    for _ in range(2):
        assert labelf_http.post("/oauth2/token", data=GRANT, auth=AUTH).status_code == 200
    first, second = labelf_mock.journal
    assert first.duration is not None and first.duration >= 0.03
    assert second.duration is not None and second.duration >= 0
    assert second.seq == first.seq + 1


def test_arrived_at_is_when_the_request_arrived_and_at_when_it_was_answered(app: MockApp) -> None:
    app.mock.faults.add(Fault("token", "delay", delay=0.05))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        _token(http)
    (entry,) = app.mock.journal.entries()
    assert entry.arrived_at is not None and entry.duration is not None
    assert entry.at - entry.arrived_at >= 0.05  # the delay lies between arrival and the recorded answer
    assert entry.at - entry.arrived_at == pytest.approx(entry.duration, abs=0.02)


def test_arrived_at_reads_the_mocks_clock_as_at_does(app: MockApp) -> None:
    app.mock.clock.freeze(1_767_225_600)  # type: ignore[attr-defined]
    app.mock.faults.add(Fault("token", "drop"))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        with pytest.raises(httpx.TransportError):
            _token(http)
        _token(http)
    dropped, answered = app.mock.journal.entries()
    assert (dropped.arrived_at, dropped.at, dropped.duration) == (1_767_225_600, 1_767_225_600, None)
    assert (answered.arrived_at, answered.at) == (1_767_225_600, 1_767_225_600)
