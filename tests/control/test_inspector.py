"""The inspector's page and assets as the mock serves them: headers (a strict Content-Security-Policy), the
control API's access rules (the page alone skips the control token: it holds no data), and what the page is
built from.  In-process; tests/control/test_inspector_browser.py drives the page in Chromium."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from labelf_testkit.mock_server import InProcessTransport, MockConfig, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp
from labelf_testkit.mock_server.control.inspector import CONTENT_SECURITY_POLICY
from labelf_testkit.mock_server.endpoints import FAULT_ROUTES

PAGE = "/__labelf/inspector"
ASSETS = {
    PAGE: "text/html; charset=utf-8",
    f"{PAGE}/": "text/html; charset=utf-8",
    f"{PAGE}/inspector.js": "text/javascript; charset=utf-8",
    f"{PAGE}/inspector.css": "text/css; charset=utf-8",
    f"{PAGE}/favicon.svg": "image/svg+xml",
}
_TOKEN = "inspector-control-token-0123456789"


def call(
    app: ControlledApp,
    path: str,
    *,
    method: str = "GET",
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into the app, from the peer and with the headers given: status, headers, body."""
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1:8080", **(headers or {})}.items()],
        "client": client,
        "server": ("127.0.0.1", 8080),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return cast(int, answer["status"]), cast(dict[str, str], answer["headers"]), cast(bytes, answer["body"])


@pytest.fixture
def tokened(mock_config: MockConfig) -> ControlledApp:
    """The mock behind a control API that requires a token (as when bound beyond loopback)."""
    return ControlledApp(create_app(mock_config), ControlAccess(_TOKEN))


@pytest.mark.parametrize(("path", "media_type"), ASSETS.items())
def test_each_asset_is_served_with_a_strict_policy(controlled: ControlledApp, path: str, media_type: str) -> None:
    status, headers, body = call(controlled, path)
    assert status == 200 and headers["content-type"] == media_type and body
    assert headers["content-length"] == str(len(body))
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"


def test_the_policy_allows_the_pages_own_origin_and_nothing_else() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    for own in ("script-src", "style-src", "img-src", "connect-src"):
        assert directives[own] == "'self'", own
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'none'"
    assert directives["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_the_page_loads_nothing_from_elsewhere_and_runs_no_inline_code(controlled: ControlledApp) -> None:
    page = call(controlled, PAGE)[2].decode()
    assert "<style" not in page and " style=" not in page and not re.search(r"\son\w+=", page)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/__labelf/inspector/inspector.js" defer>']
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL) == [""]  # no inline code
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(url.startswith("/__labelf/inspector/") for url in urls), urls
    script = call(controlled, f"{PAGE}/inspector.js")[2].decode()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "://"):
        assert sink not in script, sink


def test_the_route_filter_offers_every_fault_route(controlled: ControlledApp) -> None:
    page = call(controlled, PAGE)[2].decode()
    select = page.split('<select id="route">', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)">', select) == ["", *FAULT_ROUTES]
    assert '<html lang="en" data-control="/__labelf">' in page and "$" not in page


def test_head_answers_without_a_body(controlled: ControlledApp) -> None:
    status, headers, body = call(controlled, PAGE, method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_a_write_to_the_page_is_a_405_naming_the_methods(controlled: ControlledApp) -> None:
    status, headers, body = call(controlled, PAGE, method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert httpx.Response(405, content=body).json() == {
        "error": "method_not_allowed",
        "message": "/__labelf/inspector takes GET, not POST.",
        "field": "method",
        "allowed": ["GET"],
    }


def test_an_unknown_asset_is_a_404_listing_the_assets(controlled: ControlledApp) -> None:
    status, _, body = call(controlled, f"{PAGE}/secrets.txt")
    answer = httpx.Response(status, content=body).json()
    assert status == 404 and answer["error"] == "not_found" and answer["field"] == "path"
    assert answer["allowed"] == [PAGE, *[path for path in ASSETS if path.startswith(f"{PAGE}/") and path != f"{PAGE}/"]]


def test_a_name_that_only_starts_like_the_page_is_the_control_apis_404(controlled: ControlledApp) -> None:
    status, _, body = call(controlled, "/__labelf/inspectorx")
    assert status == 404 and b"No control route GET /__labelf/inspectorx" in body


def test_without_a_token_the_page_is_for_loopback_only(controlled: ControlledApp) -> None:
    assert call(controlled, PAGE, client=("10.1.2.3", 4000))[0] == 403
    assert call(controlled, PAGE, headers={"host": "rebound.example:8080"})[0] == 403
    assert call(controlled, PAGE, client=("127.0.0.5", 4000))[0] == 200


def test_never_through_labelfs_host_names(controlled: ControlledApp) -> None:
    status, headers, _ = call(controlled, PAGE, headers={"host": "api.app.labelf.ai"})
    assert status == 404 and "content-security-policy" not in headers


def test_another_site_cannot_load_the_page(controlled: ControlledApp, tokened: ControlledApp) -> None:
    for app in (controlled, tokened):
        assert call(app, PAGE, headers={"sec-fetch-site": "cross-site"})[0] == 403
        assert call(app, f"{PAGE}/inspector.js", headers={"origin": "http://evil.test"})[0] == 403


def test_with_a_token_the_page_is_served_but_its_data_needs_the_token(tokened: ControlledApp) -> None:
    # The page holds no data: a browser cannot send a header on the address bar's request, so it is served to
    # whoever reaches the port; everything it shows comes from control requests that carry the token.
    status, _, page = call(tokened, PAGE, client=("10.1.2.3", 4000), headers={"host": "mock.internal:8080"})
    assert status == 200 and _TOKEN.encode() not in page
    assert call(tokened, "/__labelf/sessions", client=("10.1.2.3", 4000))[0] == 401
    bearer = {"authorization": f"Bearer {_TOKEN}"}
    assert call(tokened, "/__labelf/sessions", client=("10.1.2.3", 4000), headers=bearer)[0] == 200


def test_the_assets_ship_in_the_package() -> None:
    import labelf_testkit.mock_server.control as control

    folder = Path(control.__file__).parent / "inspector_assets"
    assert sorted(p.name for p in folder.iterdir()) == [
        "favicon.svg",
        "inspector.css",
        "inspector.html",
        "inspector.js",
    ]


def test_a_mock_without_control_serves_no_inspector(mock_config: MockConfig) -> None:
    # What `labelf-mock serve --no-control` serves: the mock alone, for which the path is Labelf's unknown path.
    with httpx.Client(transport=InProcessTransport(create_app(mock_config)), base_url="http://127.0.0.1:8080") as http:
        answer = http.get(PAGE)
    assert answer.status_code == 404 and "content-security-policy" not in answer.headers
