"""What a journal entry shows of a request, and what it never does."""

from __future__ import annotations

import httpx
from starlette.types import Message, Scope

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import Fault, InProcessTransport, MockApp

GRANT = {"grant_type": "client_credentials"}


def test_entries_show_the_body_even_of_a_call_refused_before_reading_it(app: MockApp) -> None:
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        http.post("/v2/models/1/inference", json={"texts": ["a"]})
        http.post("/oauth2/token", data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET"))
    api_call, token_call = list(app.mock.journal)
    assert api_call.json() == {"texts": ["a"]} and api_call.status == 401
    assert token_call.json() is None  # a form body is not JSON
    assert token_call.issued_token is not None and token_call.issued_token.startswith("sha256:")
    assert len(app.mock.journal) == 2


def test_a_token_answer_that_is_not_json_issued_no_token(app: MockApp) -> None:
    app.mock.faults.add(Fault("token", "malformed_json", status=200))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        assert http.post("/oauth2/token", data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET")).status_code == 200
    (entry,) = app.mock.journal.entries()
    assert entry.issued_token is None and entry.fault is not None


def test_over_a_socket_too(labelf_mock: LabelfMock) -> None:
    import requests

    refused = requests.post(f"{labelf_mock.api_url}/models/1/inference", json={"texts": ["over tcp"]}, timeout=10)
    assert refused.status_code == 401
    (entry,) = labelf_mock.journal.api_calls
    assert entry.json() == {"texts": ["over tcp"]}


def test_a_served_request_leaves_no_reference_cycle_through_its_scope(app: MockApp) -> None:
    # The server's send and the journal's recorder both hold the scope; left in the scope's extensions after
    # the answer, each would keep a request's objects alive until the cycle collector ran.
    import asyncio

    async def receive() -> Message:
        return {"type": "http.request", "body": b"grant_type=client_credentials", "more_body": False}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/oauth2/token",
        "query_string": b"",
        "headers": [
            (b"authorization", b"Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ="),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ],
        "extensions": {"http.response.debug": {}},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200
    assert scope["extensions"] == {"http.response.debug": {}}


def test_an_entry_as_a_dataclass_shows_nothing_secret(app: MockApp) -> None:
    # dataclasses.asdict, repr and pytest's diff of two entries all go by the dataclass fields.
    import dataclasses

    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        token = http.post("/oauth2/token", data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET")).json()["access_token"]
        http.post("/oauth2/revoke", data={"token": token}, auth=("CLIENT_ID", "CLIENT_SECRET"))
    for entry in app.mock.journal:
        shown = repr(dataclasses.asdict(entry)) + repr(entry)
        assert token not in shown and "Q0xJRU5UX0lE" not in shown and "CLIENT_SECRET" not in shown
        assert {f.name for f in dataclasses.fields(entry)} == {
            "method",
            "path",
            "status",
            "at",
            "fault",
            "truncated",
            "duration",
            "seq",
            "arrived_at",
        }
    assert app.mock.journal.entries()[0].issued_token is not None  # the raw answer is still there to read


def test_a_repeated_authorization_header_is_journaled_as_the_mock_read_it(app: MockApp) -> None:
    import base64

    def basic(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        headers = [
            ("authorization", basic("CLIENT_ID", "CLIENT_SECRET")),
            ("authorization", basic("someone-else", "x")),
            ("content-type", "application/x-www-form-urlencoded"),
        ]
        assert http.post("/oauth2/token", content=b"grant_type=client_credentials", headers=headers).status_code == 200
    (entry,) = app.mock.journal.entries()
    assert entry.client_id == "CLIENT_ID"  # the first header, which the mock authenticated (Go's Header.Get)
    assert entry.headers["authorization"] == "Basic [REDACTED], Basic [REDACTED]"
