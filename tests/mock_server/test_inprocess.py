"""The in-process transports: httpx sync and async, and requests, into the app with no socket."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import requests

from labelf_testkit.mock_server import (
    AsyncInProcessTransport,
    Fault,
    InProcessTransport,
    MockApp,
    create_app,
    requests_adapter,
)

GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")


def test_requests_through_the_adapter(app: MockApp) -> None:
    transport = InProcessTransport(app)
    with requests.Session() as session:
        session.mount("http://mock.test", requests_adapter(transport))
        response = session.post("http://mock.test/oauth2/token", data=GRANT, auth=AUTH, timeout=10)
        assert response.status_code == 200 and response.json()["token_type"] == "bearer"
        assert response.headers["Content-Type"] == "application/json;charset=UTF-8"  # case-insensitive headers
        assert response.reason == "OK" and response.url == "http://mock.test/oauth2/token"
        assert response.request.method == "POST"
    transport.close()


def test_requests_sees_a_dropped_connection_as_requests_does(app: MockApp) -> None:
    app.mock.faults.add(Fault("token", "drop"))
    transport = InProcessTransport(app)
    with requests.Session() as session:
        session.mount("http://mock.test", requests_adapter(transport))
        with pytest.raises(requests.ConnectionError, match="Remote end closed connection"):
            session.post("http://mock.test/oauth2/token", data=GRANT, auth=AUTH, timeout=10)
    transport.close()
    assert [entry.status for entry in app.mock.journal.entries()] == [None]


def test_async_transport_interleaves_in_the_callers_loop(app: MockApp) -> None:
    async def main() -> list[int]:
        async with httpx.AsyncClient(transport=AsyncInProcessTransport(app), base_url="http://mock.test") as http:
            answers = await asyncio.gather(*(http.post("/oauth2/token", data=GRANT, auth=AUTH) for _ in range(5)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(main()) == [200] * 5
    assert len(app.mock.journal.entries()) == 5


def test_async_transport_raises_httpx_error_for_a_drop(app: MockApp) -> None:
    app.mock.faults.add(Fault("token", "drop"))

    async def main() -> None:
        async with httpx.AsyncClient(transport=AsyncInProcessTransport(app), base_url="http://mock.test") as http:
            await http.post("/oauth2/token", data=GRANT, auth=AUTH)

    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
        asyncio.run(main())


def test_sync_client_called_inside_a_running_loop(app: MockApp) -> None:
    # Sync code called from an async test: the app runs on the transport's own event-loop thread.
    transport = InProcessTransport(app)

    async def main() -> int:
        with httpx.Client(transport=transport, base_url="http://mock.test") as http:
            return http.post("/oauth2/token", data=GRANT, auth=AUTH).status_code

    assert asyncio.run(main()) == 200
    assert asyncio.run(main()) == 200  # the same thread serves again
    transport.close()
    transport.close()  # closing twice is harmless


def test_a_closed_private_loop_is_replaced() -> None:
    transport = InProcessTransport(create_app())
    with httpx.Client(transport=transport, base_url="http://mock.test") as http:
        assert http.get("/v2/models").status_code == 401
        transport.close()  # closes the caller thread's idle private loop
        assert http.get("/v2/models").status_code == 401
