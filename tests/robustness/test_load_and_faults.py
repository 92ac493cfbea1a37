"""Concurrent load, client misbehaviour and a server that dies mid-session.  Bounded; loopback only."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections import Counter

import httpx
import pytest

from labelf_testkit import LabelfMock

CLIENTS = int(os.environ.get("LABELF_SOAK_CLIENTS", "50"))
ROUNDS = int(os.environ.get("LABELF_SOAK_ROUNDS", "6"))  # the soak mode raises these; CI keeps them small


def _client_run(mock: LabelfMock, seed: int, outcome: dict[str, list[str]], unexpected: list[str]) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=mock.base_url, timeout=30) as http:
        for _ in range(ROUNDS):
            token = http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=mock.credentials.auth)
            if token.status_code != 200:
                unexpected.append(f"token {token.status_code}")
                continue
            value = token.json()["access_token"]
            auth = {"Authorization": f"Bearer {value}"}
            call = http.post("/v2/models/1/inference", json={"texts": [f"text {rng.random()}"]}, headers=auth)
            if call.status_code != 200:
                unexpected.append(f"inference {call.status_code}")
            if rng.random() < 0.5:
                revoke = http.post("/oauth2/revoke", data={"token": value}, auth=mock.credentials.auth)
                if revoke.status_code != 200:
                    unexpected.append(f"revoke {revoke.status_code}")
                outcome["revoked"].append(value)
            else:
                outcome["kept"].append(value)


def test_concurrent_clients_mixing_token_api_and_revoke(labelf_mock: LabelfMock) -> None:
    outcome: dict[str, list[str]] = {"revoked": [], "kept": []}
    unexpected: list[str] = []
    threads = [threading.Thread(target=_client_run, args=(labelf_mock, i, outcome, unexpected)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert unexpected == []
    assert len(outcome["revoked"]) + len(outcome["kept"]) == CLIENTS * ROUNDS
    with httpx.Client(base_url=labelf_mock.base_url) as http:
        statuses: Counter[tuple[str, int]] = Counter()
        for kind, tokens in outcome.items():
            for value in tokens:
                status = http.get("/v2/models", headers={"Authorization": f"Bearer {value}"}).status_code
                statuses[(kind, status)] += 1
    assert set(statuses) <= {("kept", 200), ("revoked", 401)}, statuses
    assert len(labelf_mock.journal) >= min(1000, CLIENTS * ROUNDS * 2)  # the journal keeps the last 1,000


def _host_port(mock: LabelfMock) -> tuple[str, int]:
    host, port = mock.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def test_client_disconnecting_mid_request_leaves_the_server_serving(labelf_mock: LabelfMock) -> None:
    for _ in range(5):
        with socket.create_connection(_host_port(labelf_mock)) as raw:
            raw.sendall(
                b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\ngrant_type=cli"
            )
    with httpx.Client() as http:
        response = http.post(
            labelf_mock.token_url, data={"grant_type": "client_credentials"}, auth=labelf_mock.credentials.auth
        )
    assert response.status_code == 200


def test_slow_client_is_served(labelf_mock: LabelfMock) -> None:
    body = b"grant_type=client_credentials"
    request = (
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with socket.create_connection(_host_port(labelf_mock), timeout=30) as raw:
        for start in range(0, len(request), 16):
            raw.sendall(request[start : start + 16])
            time.sleep(0.005)  # dribble the request; nothing here is timed or asserted on time
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"token_type":"bearer"' in answer


def test_dropped_connection_fault_over_a_socket_with_requests(labelf_mock: LabelfMock) -> None:
    requests = pytest.importorskip("requests")
    labelf_mock.token.drop()
    with pytest.raises(requests.ConnectionError):
        requests.post(
            labelf_mock.token_url,
            data={"grant_type": "client_credentials"},
            auth=labelf_mock.credentials.auth,
            timeout=10,
        )
    assert labelf_mock.journal.token_requests[0].fault == "token: dropped connection (1/1 used)"
    assert (
        requests.post(
            labelf_mock.token_url,
            data={"grant_type": "client_credentials"},
            auth=labelf_mock.credentials.auth,
            timeout=10,
        ).status_code
        == 200
    )


def test_server_dying_mid_session_is_restarted_and_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import threading, httpx

        def test_kill_server(labelf_mock_server):
            # Abrupt: uvicorn is told to quit at once, without the plugin's stop().
            labelf_mock_server._server.force_exit = labelf_mock_server._server.should_exit = True
            labelf_mock_server._thread.join(10)
            assert not labelf_mock_server.running

        def test_next_test_still_works(labelf_mock):
            with httpx.Client() as http:
                assert http.get(labelf_mock.base_url + "/openapi.json").status_code == 200
    """
    )
    pytester.makeconftest("""
        import threading

        def pytest_unconfigure(config):
            with open("threads.txt", "w") as out:
                out.write(",".join(t.name for t in threading.enumerate() if t.name.startswith("labelf")))
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*labelf-testkit: the mock server on http://127.0.0.1:* stopped unexpectedly*restarted*"]
    )
    assert (pytester.path / "threads.txt").read_text() == ""
