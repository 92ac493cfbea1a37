"""labelf_intercept beside pytest-httpx, respx, responses and vcrpy (pytest-recording), as a user runs them.

For each tool: a test using only the tool behaves exactly as with the tool alone (even for Labelf's URLs),
in either order around labelf tests; a test using both sends Labelf's hosts to the mock and the rest to the
tool.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")

COMMON = """
import pytest
TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")
CANNED = {"access_token": "canned"}
"""


def run_both_orders(pytester: pytest.Pytester, source: str, *args: str) -> None:
    pytester.makepyfile(test_inner=COMMON + source)
    names = ["test_tool_alone", "test_labelf_alone", "test_both", "test_tool_alone_again"]
    for order in (names, names[::-1]):
        nodes = [f"test_inner.py::{name}" for name in order]
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args, *nodes)
        result.assert_outcomes(passed=4)


def test_pytest_httpx(pytester: pytest.Pytester) -> None:
    run_both_orders(
        pytester,
        """
import httpx

def test_tool_alone(httpx_mock):
    httpx_mock.add_response(url=TOKEN_URL, json=CANNED)
    assert httpx.post(TOKEN_URL).json() == CANNED

test_tool_alone_again = test_tool_alone

def test_labelf_alone(labelf_intercept):
    assert httpx.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"

@pytest.mark.httpx_mock(should_mock=lambda request: request.url.path != "/unmocked")
def test_both(labelf_intercept, httpx_mock):
    httpx_mock.add_response(url="https://example.com/", text="from httpx_mock")
    assert httpx.get("https://example.com/").text == "from httpx_mock"
    assert httpx.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"
    assert len(labelf_intercept.journal.token_requests) == 1
""",
    )


def test_responses(pytester: pytest.Pytester) -> None:
    run_both_orders(
        pytester,
        """
import requests
import responses

@responses.activate
def test_tool_alone():
    responses.post(TOKEN_URL, json=CANNED)
    assert requests.post(TOKEN_URL).json() == CANNED

test_tool_alone_again = test_tool_alone

def test_labelf_alone(labelf_intercept):
    assert requests.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"

def test_both(labelf_intercept):
    with responses.RequestsMock() as mocked:
        mocked.get("https://example.com/", body="from responses")
        assert requests.get("https://example.com/").text == "from responses"
        assert requests.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"
    assert len(labelf_intercept.journal.token_requests) == 1
""",
    )


def test_respx(pytester: pytest.Pytester) -> None:
    run_both_orders(
        pytester,
        """
import httpx

def test_tool_alone(respx_mock):
    respx_mock.post(TOKEN_URL).respond(json=CANNED)
    assert httpx.post(TOKEN_URL).json() == CANNED

test_tool_alone_again = test_tool_alone

def test_labelf_alone(labelf_intercept):
    assert httpx.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"

def test_both(labelf_intercept, respx_mock):
    respx_mock.get("https://example.com/").respond(text="from respx")
    assert httpx.get("https://example.com/").text == "from respx"
    assert httpx.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"
    assert len(labelf_intercept.journal.token_requests) == 1
""",
    )


def test_vcr_records_and_replays_everything_but_labelf(pytester: pytest.Pytester) -> None:
    # "The rest" is a local service (tests never reach the network): the cassette holds it and only it.
    pytester.makeconftest(
        """
import http.server, threading, pytest

class Other(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"from the other service"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

@pytest.fixture(scope="module")
def vcr_config():
    return {"match_on": ["method", "scheme", "host", "path"]}  # the local service's port changes every run

@pytest.fixture(scope="session")
def other_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
"""
    )
    source = """
import requests

@pytest.mark.vcr
def test_tool_alone(other_url):
    assert requests.get(other_url).text == "from the other service"

test_tool_alone_again = test_tool_alone

def test_labelf_alone(labelf_intercept):
    assert requests.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"

@pytest.mark.vcr
def test_both(labelf_intercept, other_url):
    assert requests.get(other_url).text == "from the other service"
    assert requests.post(TOKEN_URL, data=GRANT, auth=AUTH).json()["token_type"] == "bearer"
    assert len(labelf_intercept.journal.token_requests) == 1
"""
    run_both_orders(pytester, source, "--record-mode=once")
    cassette = (pytester.path / "cassettes" / "test_inner" / "test_both.yaml").read_text()
    assert "127.0.0.1" in cassette and "labelf" not in cassette
    run_both_orders(pytester, source, "--record-mode=none")  # replay: Labelf still reaches the mock
