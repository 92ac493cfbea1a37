"""A "live" Labelf for the recorder: the mock on a loopback socket, scripted by a recording of distinctive
answers, with a spy that keeps every request it received (method, path, parsed JSON body)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelf_testkit.mock_server import ClientConfig, MockApp, MockConfig, SocketServer, create_app

CLIENT_ID = "recorder-app"
CLIENT_SECRET = "recorder-secret-5c1e9a77"


@dataclass
class Received:
    """One request the stand-in received."""

    method: str
    path: str
    body: Any


@dataclass
class Spy:
    """ASGI middleware keeping each request, its body read whole and handed on unchanged."""

    app: ASGIApp
    seen: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        self.seen.append(Received(scope["method"], scope["path"], parsed))
        given = False

        async def replay() -> Message:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass
class StandIn:
    """The served stand-in: its URL, its app (faults, scripts) and what it received."""

    url: str
    app: MockApp
    spy: Spy

    @property
    def received(self) -> list[Received]:
        return self.spy.seen


@contextmanager
def stand_in(recordings: list[Path] = (), **config: Any) -> Iterator[StandIn]:  # type: ignore[assignment]
    """Serve the stand-in on a free 127.0.0.1 port for the block."""
    settings = MockConfig(
        clients=(ClientConfig(CLIENT_ID, CLIENT_SECRET),), recordings=tuple(map(str, recordings)), **config
    )
    app = create_app(settings)
    spy = Spy(app)
    server = SocketServer(app)
    server.app = spy  # type: ignore[assignment]  # the socket serves the spy, which hands on to the app
    server.start()
    try:
        yield StandIn(server.base_url, app, spy)
    finally:
        server.stop()
