"""The inspector in a real browser: headless Chromium (Debian's package) driven by Playwright, against
``labelf-mock serve`` on a socket.  Requests made while the page is open appear; a planned fault counts down;
the filters work; the screenshot shows the status colours; nothing secret, external or inline gets in.

Without Chromium these tests skip, saying why; with ``LABELF_REQUIRE_BROWSER=1`` (what .ci/run sets) a
missing browser is a failure instead.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, expect, sync_playwright

from tests.conftest import ServedMock, start_served_mock

pytestmark = pytest.mark.slow

#: Debian's Chromium; LABELF_CHROMIUM names another build of it.
CHROMIUM = os.environ.get("LABELF_CHROMIUM", "/usr/bin/chromium")
#: The flags every run uses (no sandbox: CI runs as root), besides Playwright's own --headless.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The status colours of the stylesheet (inspector.css: --s2xx, --s5xx).
GREEN, RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)
BASIC = ("CLIENT_ID", "CLIENT_SECRET")
DEFAULT = "/__labelf/sessions/default"

expect.set_options(timeout=20_000)  # a loaded 2-core machine: the page polls once a second


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    return None


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("LABELF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LABELF_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile, shared by the module's tests (each gets its own tab)."""
    with tempfile.TemporaryDirectory(prefix="labelf-inspector-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 1280, "height": 800}
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    served = start_served_mock(tmp_path_factory.mktemp("inspector"))
    yield served
    assert served.stop() == 0


@pytest.fixture
def http(mock: ServedMock) -> Iterator[httpx.Client]:
    """A client for the mock and its control API; the default session starts clean."""
    with httpx.Client(base_url=mock.base_url, timeout=30) as client:
        client.post(f"{DEFAULT}/reset").raise_for_status()
        yield client


class Tab:
    """One tab on the inspector, with everything it logged and every request it made."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def rows(self) -> list[dict[str, str]]:
        """The journal table, newest first: each row's cells by column."""
        columns = ["seq", "time", "method", "path", "route", "status", "ms", "fault"]
        cells: list[list[str]] = self.page.eval_on_selector_all(
            "#journal tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
        )
        return [dict(zip(columns, row, strict=True)) for row in cells]


@pytest.fixture
def tab(browser: BrowserContext, mock: ServedMock, http: httpx.Client) -> Iterator[Tab]:
    page = browser.new_page()
    opened = Tab(page)
    page.goto(f"{mock.base_url}/__labelf/inspector")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    yield opened
    page.close()
    assert opened.console == [], "the page logged errors (a CSP violation is one)"


def token(http: httpx.Client, auth: tuple[str, str] = BASIC) -> httpx.Response:
    return http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)


def classify(http: httpx.Client, bearer: str, texts: list[str], model: int = 1) -> httpx.Response:
    headers = {"authorization": f"Bearer {bearer}"}
    return http.post(f"/v2/models/{model}/inference", json={"texts": texts}, headers=headers)


def test_requests_made_while_the_page_is_open_appear(tab: Tab, http: httpx.Client) -> None:
    expect(tab.page.locator("#journal-empty")).to_be_visible()
    issued = token(http).json()["access_token"]
    assert classify(http, issued, ["where is my parcel"]).status_code == 200
    expect(tab.page.locator("#journal tbody tr")).to_have_count(2)
    newest, oldest = tab.rows()
    assert (oldest["method"], oldest["path"], oldest["route"], oldest["status"]) == (
        "POST",
        "/oauth2/token",
        "token",
        "200",
    )
    assert (newest["path"], newest["route"], newest["status"]) == ("/v2/models/1/inference", "inference", "200")
    assert newest["time"] >= oldest["time"] and len(newest["time"]) == len("22:11:48.379")
    assert int(newest["seq"]) == int(oldest["seq"]) + 1
    assert float(oldest["ms"]) >= 0 and float(newest["ms"]) >= 0  # how long each answer took, in ms
    expect(tab.page.locator("#journal-count")).to_have_text("(2)")


def test_a_busy_mock_loses_no_row_between_rounds(tab: Tab, http: httpx.Client) -> None:
    token(http)
    expect(tab.page.locator("#journal tbody tr")).to_have_count(1)
    for _ in range(299):  # more than the 200 newest between two rounds, while the page keeps polling
        token(http)
    expect(tab.page.locator("#journal tbody tr")).to_have_count(300)
    seqs = [int(row["seq"]) for row in tab.rows()]
    assert seqs == list(range(seqs[0], seqs[0] - 300, -1))  # newest first, none missing, none twice
    expect(tab.page.locator("#journal-count")).to_have_text("(300)")
    rounds = [url for url in tab.requests if "/journal?" in url]
    assert "since=" not in rounds[0] and all("since=" in url for url in rounds[1:])  # only what is new
    http.post(f"{DEFAULT}/reset").raise_for_status()  # the journal is emptied: so is the page
    expect(tab.page.locator("#journal tbody tr")).to_have_count(0)
    expect(tab.page.locator("#journal-empty")).to_be_visible()


def test_a_click_shows_the_requests_redacted_headers_and_body(tab: Tab, http: httpx.Client) -> None:
    issued = token(http).json()["access_token"]
    classify(http, issued, ["<img src=x onerror=window.__pwned=1>"])
    expect(tab.page.locator("#journal tbody tr")).to_have_count(2)
    tab.page.click('#journal tbody tr[data-route="token"]')
    detail = tab.page.locator("#detail")
    expect(detail).to_be_visible()
    expect(tab.page.locator("#detail-summary")).to_have_text("POST /oauth2/token -> 200")
    expect(tab.page.locator("#detail-headers")).to_contain_text("Basic [REDACTED]")
    expect(tab.page.locator("#detail-body")).to_have_text("grant_type = client_credentials")
    expect(tab.page.locator("#detail-facts")).to_contain_text("CLIENT_ID")
    tab.page.click('#journal tbody tr[data-route="inference"]')
    expect(tab.page.locator("#detail-body")).to_contain_text('"<img src=x onerror=window.__pwned=1>"')
    assert tab.page.locator("#detail-body img").count() == 0  # shown as text, never as markup
    assert tab.page.evaluate("window.__pwned") is None
    expect(tab.page.locator("#detail-facts")).to_contain_text("sha256:")
    everything = tab.page.content() + tab.page.evaluate("document.body.innerText")
    assert "CLIENT_SECRET" not in everything and issued not in everything


def test_each_row_shows_how_long_its_answer_took(tab: Tab, http: httpx.Client) -> None:
    assert http.post(f"{DEFAULT}/faults", json={"kind": "delay", "route": "token", "seconds": 0.05}).status_code == 201
    assert token(http).status_code == 200
    expect(tab.page.locator("#journal tbody tr")).to_have_count(1)
    (row,) = tab.rows()
    assert float(row["ms"]) >= 50  # the fault's delay is inside it
    tab.page.click("#journal tbody tr")
    expect(tab.page.locator("#detail-facts")).to_contain_text(f"{row['ms']} ms")
    (entry,) = http.get(f"{DEFAULT}/journal").json()["entries"]
    expect(tab.page.locator("#detail-facts")).to_contain_text(f"arrived{entry['arrived_at_iso']}")  # dt, then dd


def test_a_planned_fault_counts_down(tab: Tab, http: httpx.Client) -> None:
    planned = {"kind": "fail", "route": "token", "status": 503, "times": 2}
    assert http.post(f"{DEFAULT}/faults", json=planned).status_code == 201
    fault = tab.page.locator('#faults tr[data-fault-id="0"]')
    expect(fault.locator(".remaining")).to_have_text("2")
    expect(tab.page.locator("#faults-count")).to_have_text("(1 pending)")
    assert token(http).status_code == 503
    expect(fault.locator(".remaining")).to_have_text("1")
    expect(fault.locator(".hits")).to_have_text("1")
    assert token(http).status_code == 503
    expect(fault.locator(".remaining")).to_have_text("0")
    expect(fault).to_have_class("spent")
    expect(tab.page.locator("#faults-count")).to_have_text("(0 pending)")
    assert token(http).status_code == 200
    expect(tab.page.locator("#journal tbody tr")).to_have_count(3)
    assert [row["status"] for row in tab.rows()] == ["200", "503", "503"]
    assert tab.rows()[1]["fault"] == "token: status 503 (2/2 used)"


def test_the_screenshot_shows_a_failure_red_and_a_success_green(tab: Tab, http: httpx.Client) -> None:
    http.post(f"{DEFAULT}/faults", json={"kind": "fail", "route": "token", "status": 503})
    token(http)
    token(http)
    expect(tab.page.locator("#journal tbody tr")).to_have_count(2)
    shot = tab.page.screenshot(full_page=True)
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    colours = image.getcolors(image.size[0] * image.size[1])
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and image.size[0] == 1280 and colours is not None and len(colours) > 20
    for status, colour in (("503", RED), ("200", GREEN)):
        box = tab.page.locator(f'#journal .status[data-status="{status}"]').bounding_box()
        assert box is not None
        chip = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
        counts = dict((pixel, count) for count, pixel in chip.getcolors(chip.size[0] * chip.size[1]) or [])
        share = counts.get(colour, 0) / (chip.size[0] * chip.size[1])
        assert share > 0.5, f"the {status} chip is {share:.0%} {colour}"
    header = image.crop((0, 0, 1280, 30)).getcolors(1280 * 30)
    assert header is not None and max(header)[1] == (0x1F, 0x4E, 0x79)  # the accent bar


def test_the_clock_shows_the_sessions_time(tab: Tab, http: httpx.Client) -> None:
    expect(tab.page.locator("#clock-state")).to_have_text("wall time")
    http.post(f"{DEFAULT}/clock/freeze", json={"at": 1767225600})
    expect(tab.page.locator("#clock-now")).to_have_text("2026-01-01T00:00:00.000Z")
    expect(tab.page.locator("#clock-state")).to_have_text("frozen")
    http.post(f"{DEFAULT}/clock/advance", json={"seconds": 90})
    expect(tab.page.locator("#clock-now")).to_have_text("2026-01-01T00:01:30.000Z")
    token(http)
    expect(tab.page.locator("#journal tbody td").nth(1)).to_have_text("00:01:30.000")


def test_filters_by_route_and_status(tab: Tab, http: httpx.Client) -> None:
    http.post(f"{DEFAULT}/faults", json={"kind": "fail", "route": "inference", "status": 503})
    issued = token(http).json()["access_token"]
    classify(http, issued, ["one"])
    classify(http, issued, ["two"])
    expect(tab.page.locator("#journal tbody tr")).to_have_count(3)
    tab.page.select_option("#route", "inference")
    expect(tab.page.locator("#journal tbody tr")).to_have_count(2)
    assert {row["route"] for row in tab.rows()} == {"inference"}
    tab.page.fill("#status", "5xx")
    tab.page.press("#status", "Enter")
    expect(tab.page.locator("#journal tbody tr")).to_have_count(1)
    assert tab.rows()[0]["status"] == "503"
    assert "route=inference" in tab.page.url and "status=5xx" in tab.page.url  # a view to bookmark
    tab.page.fill("#status", "teapot")
    tab.page.press("#status", "Enter")
    expect(tab.page.locator("#problem")).to_contain_text("status takes a status code")
    expect(tab.page.locator("#problem")).to_contain_text("(field: status)")
    tab.console.clear()  # the 400 that said so is logged by the browser


def test_filters_by_session(tab: Tab, http: httpx.Client) -> None:
    opened = http.post("/__labelf/sessions").json()
    try:
        token(http)  # the default session's client
        token(http, (opened["client_id"], opened["client_secret"]))
        token(http, (opened["client_id"], opened["client_secret"]))
        row = tab.page.locator(f'#sessions tr[data-session="{opened["id"]}"]')
        expect(row).to_be_visible()
        expect(row.locator("td").nth(2)).to_have_text("2")
        tab.page.evaluate("window.__option = document.querySelector('#session option:last-child')")
        token(http, (opened["client_id"], opened["client_secret"]))
        expect(row.locator("td").nth(2)).to_have_text("3")
        assert tab.page.evaluate("window.__option.isConnected")  # the list is not rebuilt as counts change
        expect(tab.page.locator("#journal tbody tr")).to_have_count(1)
        tab.page.select_option("#session", opened["id"])
        expect(tab.page.locator("#journal tbody tr")).to_have_count(3)
        assert f"session={opened['id']}" in tab.page.url
        everything = tab.page.content()
        assert opened["client_secret"] not in everything and opened["api_key"] not in everything
        http.delete(f"/__labelf/sessions/{opened['id']}")
        expect(tab.page.locator("#problem")).to_contain_text(f"Session {opened['id']} is closed")
        expect(tab.page.locator("#session")).to_have_value("default")
        expect(tab.page.locator("#journal tbody tr")).to_have_count(1)
        tab.console.clear()  # the 404 that said so is logged by the browser
    finally:
        http.delete(f"/__labelf/sessions/{opened['id']}")


def test_the_page_reaches_only_the_mock(tab: Tab, http: httpx.Client, mock: ServedMock) -> None:
    token(http)
    expect(tab.page.locator("#journal tbody tr")).to_have_count(1)
    tab.page.click("#journal tbody tr")
    assert tab.requests and all(url.startswith(f"{mock.base_url}/__labelf/") for url in tab.requests), tab.requests
    # The page's own requests are control requests: none is in the journal it shows.
    assert http.get(f"{DEFAULT}/journal").json()["total"] == 1


def test_pause_stops_the_updates(tab: Tab, http: httpx.Client) -> None:
    tab.page.click("#pause")
    expect(tab.page.locator("#live")).to_have_attribute("data-state", "paused")
    token(http)
    polled = len(tab.requests)
    tab.page.wait_for_timeout(2500)
    assert len(tab.requests) == polled and tab.page.locator("#journal tbody tr").count() == 0
    tab.page.click("#pause")
    expect(tab.page.locator("#journal tbody tr")).to_have_count(1)


def test_a_token_is_typed_into_the_page_and_never_put_in_a_url(browser: BrowserContext, tmp_path: Path) -> None:
    token_file = tmp_path / "control-token"
    served = start_served_mock(tmp_path, "--control-token-file", str(token_file))
    page = browser.new_page()
    tab = Tab(page)
    try:
        secret = token_file.read_text().strip()
        page.goto(f"{served.base_url}/__labelf/inspector")
        expect(page.locator("#token-form")).to_be_visible()
        page.fill("#token", "not-the-token-0123456789")
        page.press("#token", "Enter")
        expect(page.locator("#problem")).to_contain_text("That control token was refused")
        page.fill("#token", secret)
        page.click("#token-form button")
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        expect(page.locator("#token-form")).to_be_hidden()
        with httpx.Client(base_url=served.base_url) as http:
            token(http)
        expect(page.locator("#journal tbody tr")).to_have_count(1)
        assert page.evaluate("sessionStorage.getItem('labelf-mock-control-token')") == secret
        assert all(secret not in url for url in [page.url, *tab.requests])
        assert secret not in page.content() and page.input_value("#token") == ""
        page.click("#forget-token")
        expect(page.locator("#token-form")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        page.close()
        assert served.stop() == 0
    assert secret not in served.output()
    assert not [line for line in tab.console if "401" not in line], tab.console  # only the refusals logged


def test_the_page_needs_no_network_but_the_mock(browser: BrowserContext, mock: ServedMock, http: httpx.Client) -> None:
    # Everything outside the mock's origin fails: the page still renders and updates (no external asset).
    page = browser.new_page()
    refused: list[str] = []

    def outside(route: object) -> None:  # pragma: no cover - called only if the page reaches out
        refused.append(str(getattr(getattr(route, "request", None), "url", "?")))
        route.abort()  # type: ignore[attr-defined]

    page.route(lambda url: not url.startswith(mock.base_url), outside)
    try:
        page.goto(f"{mock.base_url}/__labelf/inspector")
        token(http)
        expect(page.locator("#journal tbody tr")).to_have_count(1)
        colour = page.eval_on_selector(".status", "chip => getComputedStyle(chip).backgroundColor")
        assert colour == "rgb(46, 125, 50)"  # the stylesheet loaded
    finally:
        page.close()
    assert refused == []


def test_the_banner_names_the_page(mock: ServedMock, http: httpx.Client) -> None:
    assert f"  inspector:     {mock.base_url}/__labelf/inspector  (open it in a browser)" in mock.output()
    ready = json.loads(next(mock.log.parent.glob("ready-*.json")).read_text())
    page = http.get(f"{ready['control_url']}/inspector")
    assert page.status_code == 200 and "<title>labelf-mock inspector</title>" in page.text
