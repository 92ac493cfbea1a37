"""Control is reachable only where the operator allows: loopback by default, a control token beyond it, never
through Labelf's host names (interception included), never cross-site from a browser."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest

from labelf_testkit import intercept
from labelf_testkit.mock_server import LABELF_HOSTS, MockApp, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp
from labelf_testkit.mock_server.control.operator import CONTROL_TOKEN_ENV, control_token
from labelf_testkit.servers import MockServers

from .conftest import DEFAULT

_SECRET = "s3cret-control-token-0123456789"


def call(app: ControlledApp, path: str, client: tuple[str, int] | None, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET straight into the app, with the peer address and headers given."""
    answer: dict[str, object] = {}

    async def run() -> None:
        sent = False

        async def receive() -> dict[str, object]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            else:
                answer["body"] = cast(bytes, answer.get("body", b"")) + cast(bytes, message.get("body", b""))

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": client,
            "server": ("127.0.0.1", 8080),
            "scheme": "http",
            "http_version": "1.1",
            "root_path": "",
        }
        await app(scope, receive, send)  # type: ignore[arg-type]

    asyncio.run(run())
    return cast(int, answer["status"]), cast(bytes, answer.get("body", b""))


@pytest.mark.parametrize("peer", [("127.0.0.1", 5), ("127.0.0.2", 5), ("::1", 5), ("::ffff:127.0.0.1", 5), None])
def test_loopback_peers_need_no_token(controlled: ControlledApp, peer: tuple[str, int] | None) -> None:
    assert call(controlled, "/__labelf", peer, {"host": "127.0.0.1:8080"})[0] == 200


@pytest.mark.parametrize("peer", ["10.0.0.7", "192.168.1.2", "fe80::1", "8.8.8.8"])
def test_other_peers_are_refused_without_a_token(controlled: ControlledApp, peer: str) -> None:
    status, body = call(controlled, "/__labelf", (peer, 5), {"host": "127.0.0.1:8080"})
    assert status == 403 and b"control_loopback_only" in body and b"--control-token-file" in body


def test_a_rebound_host_name_is_refused_without_a_token(controlled: ControlledApp) -> None:
    status, body = call(controlled, "/__labelf", ("127.0.0.1", 5), {"host": "attacker.example"})
    assert status == 403 and b"attacker.example" in body
    assert call(controlled, "/__labelf", ("127.0.0.1", 5), {"host": "localhost:8080"})[0] == 200


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"origin": "http://evil.example"}, "Origin http://evil.example"),
        ({"origin": "null"}, "Origin null"),
        ({"sec-fetch-site": "cross-site"}, "Sec-Fetch-Site: cross-site"),
    ],
)
def test_browser_requests_from_other_origins_are_refused(
    controlled: ControlledApp, headers: dict[str, str], named: str
) -> None:
    status, body = call(controlled, "/__labelf", ("127.0.0.1", 5), {"host": "127.0.0.1:8080", **headers})
    assert status == 403 and b"control_cross_site" in body
    # the refusal says what was sent and what the mock is, so the reader sees why the origins differ
    assert f"({named}; this mock is 127.0.0.1:8080)" in json.loads(body)["message"]


def test_a_same_origin_page_is_allowed(controlled: ControlledApp) -> None:
    headers = {"host": "127.0.0.1:8080", "origin": "http://127.0.0.1:8080", "sec-fetch-site": "same-origin"}
    assert call(controlled, "/__labelf", ("127.0.0.1", 5), headers)[0] == 200


@pytest.fixture
def guarded() -> ControlledApp:
    return ControlledApp(create_app(), ControlAccess(_SECRET))


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token-wrong-token!!", f"Basic {_SECRET}", f"Bearer {_SECRET}x", "Bearer "]
)
def test_a_token_is_required_of_everyone_when_set(guarded: ControlledApp, authorization: str | None) -> None:
    headers = {"host": "mock.internal:8080", **({"authorization": authorization} if authorization else {})}
    status, body = call(guarded, "/__labelf/sessions", ("127.0.0.1", 5), headers)
    assert status == 401 and b"control_token_required" in body and _SECRET.encode() not in body


def test_the_right_token_opens_control_from_anywhere(guarded: ControlledApp) -> None:
    headers = {"host": "mock.internal:8080", "authorization": f"Bearer {_SECRET}"}
    assert call(guarded, "/__labelf/sessions", ("10.1.2.3", 5), headers)[0] == 200


@pytest.mark.parametrize("host", sorted(LABELF_HOSTS))
def test_labelf_host_names_never_reach_control(guarded: ControlledApp, host: str) -> None:
    headers = {"host": host, "authorization": f"Bearer {_SECRET}"}
    status, body = call(guarded, f"{DEFAULT}/faults", ("127.0.0.1", 5), headers)
    assert (status, body) == (404, b"404 page not found\n")  # what the mock (Hydra's router) answers
    assert len(guarded.mock.journal) == 1  # it went to the mock, as any request for Labelf's host does


@pytest.fixture
def intercepted_control() -> Iterator[ControlledApp]:
    controlled = ControlledApp(create_app())
    servers = MockServers(cast(MockApp, controlled))
    try:
        with intercept(servers, LABELF_HOSTS):
            yield controlled
    finally:
        servers.stop()


@pytest.mark.parametrize("url", ["https://api.app.labelf.ai", "https://auth.app.labelf.ai", "http://api.labelf.ai"])
def test_interception_gets_what_labelf_answers_not_control(intercepted_control: ControlledApp, url: str) -> None:
    with httpx.Client() as http:
        for path in ("/__labelf", "/__labelf/sessions", f"{DEFAULT}/faults"):
            response = http.get(url + path)
            assert response.status_code == 404, response.text
            assert "sessions" not in response.text and "error" not in response.text.lower()
        assert http.post(url + "/__labelf/sessions").status_code in (404, 405)
    assert intercepted_control.store.open_count == 0
    assert len(intercepted_control.mock.faults) == 0


def test_the_token_comes_from_the_environment(tmp_path: Path) -> None:
    token = control_token("0.0.0.0", None, {CONTROL_TOKEN_ENV: _SECRET})  # noqa: S104 - not bound, only named
    assert token.value == _SECRET and _SECRET not in repr(token)
    with pytest.raises(ValueError, match="shorter than 16"):
        control_token("127.0.0.1", None, {CONTROL_TOKEN_ENV: "short"})


def test_a_token_file_is_created_private_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    first = control_token("127.0.0.1", str(path), {})
    assert first.value and path.read_text().strip() == first.value
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert control_token("127.0.0.1", str(path), {}).value == first.value


def test_binding_beyond_loopback_always_makes_a_token(tmp_path: Path) -> None:
    assert control_token("127.0.0.1", None, {}).value is None
    assert control_token("::1", None, {}).value is None
    made = control_token("0.0.0.0", None, {})  # noqa: S104 - not bound, only named
    assert made.value is not None and Path(made.source).read_text().strip() == made.value
    Path(made.source).unlink()
    Path(made.source).parent.rmdir()
