"""The route table is the one declaration of each endpoint: the router, faults, journal and OpenAPI follow it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelf_testkit.mock_server import (
    ENDPOINTS,
    FAULT_ROUTES,
    Endpoint,
    Fault,
    InProcessTransport,
    MockApp,
    OAuthError,
    create_app,
    endpoint_for,
    host_of,
    openapi_document,
)
from labelf_testkit.mock_server._oauth import token_endpoint
from labelf_testkit.mock_server.middleware.faults import FaultMiddleware
from labelf_testkit.mock_server.middleware.journal import JournalMiddleware
from labelf_testkit.mock_server.middleware.server_errors import ServerErrorAsJson
from labelf_testkit.mock_server.openapi import OPERATIONS
from labelf_testkit.mock_server.routes import HANDLERS

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def http(app: MockApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as client:
        yield client


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "1", path)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_endpoint_in_the_table_is_served(http: httpx.Client, endpoint: Endpoint) -> None:
    method = next(m for m in endpoint.methods if m != "OPTIONS")
    response = http.request(method, _concrete(endpoint.path))
    # Unauthenticated calls are refused by the endpoint itself (400, 401), never by routing (404, 405).
    assert response.status_code not in {404, 405}, response.text


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.fault_route], ids=lambda e: e.name)
def test_a_fault_on_the_route_name_hits_the_endpoint(app: MockApp, http: httpx.Client, endpoint: Endpoint) -> None:
    assert endpoint.fault_route is not None
    app.mock.faults.add(Fault(endpoint.fault_route, status=418))
    method = next(m for m in endpoint.methods if m != "OPTIONS")
    assert http.request(method, _concrete(endpoint.path)).status_code == 418
    assert app.mock.journal.entries()[-1].fault is not None


def test_route_names_are_the_tables_plus_the_groups() -> None:
    assert set(FAULT_ROUTES) == {e.fault_route for e in ENDPOINTS if e.fault_route} | {"api", "any"}
    with pytest.raises(ValueError, match="Unknown route 'inferense'"):
        Fault("inferense")


def test_the_openapi_document_lists_the_table() -> None:
    document = openapi_document("http://mock.test")
    expected = {e.path: set(OPERATIONS[e.name]) for e in ENDPOINTS if e.name in OPERATIONS}
    assert {path: set(item) for path, item in document["paths"].items()} == expected


def test_the_app_binds_every_endpoint_of_the_table_to_a_handler() -> None:
    assert set(HANDLERS) == {e.name for e in ENDPOINTS}
    assert set(OPERATIONS) <= set(HANDLERS)


@pytest.mark.parametrize(
    ("path", "host"),
    [("/v2", "api"), ("/v2/", "api"), ("/v2/models/7/inference", "api"), ("/v2x", "auth"), ("/oauth2/token", "auth")],
)
def test_one_function_decides_the_host(path: str, host: str) -> None:
    assert host_of(path) == host


def test_the_literal_multi_model_path_wins_over_the_template() -> None:
    endpoint = endpoint_for("/v2/models/inference")
    assert endpoint is not None and endpoint.name == "multi_inference"
    endpoint = endpoint_for("/v2/models/7")
    assert endpoint is not None and endpoint.name == "model"


class _Stamp:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-stamp", b"1")]
            await send(message)

        await self.app(scope, receive, stamped)


def test_middleware_added_to_the_app_sees_the_token_endpoint() -> None:
    app = create_app()
    app.add_middleware(_Stamp)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        response = http.post("/oauth2/token", data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET"))
    assert response.status_code == 200 and response.headers["x-stamp"] == "1"


def _teapot(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return JSONResponse({"seen": exc.error}, 418)


async def _async_teapot(request: Request, exc: Exception) -> Response:
    return _teapot(request, exc)


@pytest.mark.parametrize("handler", [_teapot, _async_teapot], ids=["sync", "async"])
def test_exception_handlers_added_to_the_app_apply_to_the_token_endpoint(
    handler: Callable[[Request, Exception], Response | Awaitable[Response]],
) -> None:
    app = create_app()
    app.add_exception_handler(OAuthError, handler)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        response = http.post("/oauth2/token", data=GRANT, auth=("CLIENT_ID", "wrong"))
    assert (response.status_code, response.json()) == (418, {"seen": "invalid_client"})


@pytest.mark.parametrize(
    ("module", "name", "method", "path", "body"),
    [
        ("_oauth", "_client_credentials", "POST", "/oauth2/token", "error"),  # the plain-ASGI route
        ("_api", "_summary", "GET", "/v2/models", "error_code"),  # a Starlette-routed one
    ],
)
def test_an_exception_without_a_handler_becomes_the_hosts_500_logged_and_journaled(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    module: str,
    name: str,
    method: str,
    path: str,
    body: str,
) -> None:
    import importlib

    def broken(*args: object) -> None:
        raise LookupError("a bug in the endpoint")

    app = create_app()
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        token = http.post("/oauth2/token", data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET")).json()["access_token"]
        monkeypatch.setattr(importlib.import_module(f"labelf_testkit.mock_server.{module}"), name, broken)
        if module == "_api":
            response = http.request(method, path, headers={"authorization": f"Bearer {token}"})
        else:
            response = http.request(method, path, data=GRANT, auth=("CLIENT_ID", "CLIENT_SECRET"))
    assert response.status_code == 500 and body in response.json() and "a bug" not in response.text
    assert app.mock.journal.entries()[-1].status == 500
    assert any(record.exc_info and "a bug in the endpoint" in str(record.exc_info[1]) for record in caplog.records)


@pytest.mark.parametrize("path", ["/oauth2/token", "/oauth2/revoke"], ids=["asgi route", "request route"])
def test_an_exception_handler_that_raises_gets_the_hosts_500_on_every_route(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_handler(request: Request, exc: Exception) -> Response:
        raise ValueError("the handler itself is broken")

    app = create_app()
    app.add_exception_handler(OAuthError, broken_handler)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        response = http.post(path, data={**GRANT, "token": "x"}, auth=("CLIENT_ID", "wrong"))
    assert response.status_code == 500 and response.json()["error"] == "server_error"
    assert app.mock.journal.entries()[-1].status == 500
    assert any(r.exc_info and "the handler itself" in str(r.exc_info[1]) for r in caplog.records)


def test_one_token_path_starlettes_router_serves_the_token_endpoint_as_asgi() -> None:
    # No second dispatcher in front of the router: the table's route is the token endpoint, mounted as ASGI.
    app = create_app()
    (route,) = [r for r in app.router.routes if isinstance(r, Route) and r.name == "token"]
    assert route.app is token_endpoint and route.methods == {"POST", "OPTIONS"}
    stack: list[object] = [m.cls for m in app.user_middleware]
    assert stack == [JournalMiddleware, FaultMiddleware, ServerErrorAsJson]
