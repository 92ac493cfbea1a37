"""Property tests: credential encoding round-trips, and no input ever produces a 5xx."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelf_testkit.mock_server import ClientConfig, InProcessTransport, MockConfig, create_app
from labelf_testkit.mock_server._forms import go_query_unescape, parse_form
from tests.helpers import FORM, GRANT, basic

# Printable and non-ASCII text, rich in the characters that break naive encoders.
credential = st.text(
    alphabet=st.one_of(st.sampled_from(':%+ &=/?#"\\ü€😀'), st.characters(blacklist_categories=["Cs"])),
    min_size=1,
    max_size=40,
)
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(client_id=credential, secret=credential)
def test_any_credentials_round_trip_when_correctly_encoded(client_id: str, secret: str) -> None:
    app = create_app(MockConfig(clients=(ClientConfig(client_id, secret),)))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://t") as http:
        ok = http.post("/oauth2/token", content=GRANT, headers={**FORM, "authorization": basic(client_id, secret)})
        assert ok.status_code == 200, ok.text
        wrong = http.post(
            "/oauth2/token", content=GRANT, headers={**FORM, "authorization": basic(client_id, secret + "x")}
        )
        assert wrong.status_code == 401


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"])))
def test_query_unescape_inverts_quote_plus(text: str) -> None:
    from urllib.parse import quote_plus

    assert go_query_unescape(quote_plus(text)) == text


@given(st.binary(max_size=300))
def test_form_parser_never_raises_on_urlencoded_bytes(body: bytes) -> None:
    form = parse_form("application/x-www-form-urlencoded", body)
    assert all(isinstance(k, str) and all(isinstance(v, str) for v in vs) for k, vs in form.items())


@given(st.binary(max_size=120).filter(lambda b: not set(b) & set(b"%+;")), st.data())
def test_form_parser_reads_a_body_the_same_with_any_byte_percent_encoded(body: bytes, data: st.DataObject) -> None:
    # A body with nothing to unescape takes the parser's shortcut; percent-encoding one byte (not a separator)
    # sends it down the unescaping path, and Go's ParseQuery reads both bodies alike.
    positions = [i for i, byte in enumerate(body) if byte not in b"&="]
    if not positions:
        return
    at = data.draw(st.sampled_from(positions))
    escaped = body[:at] + b"%%%02X" % body[at] + body[at + 1 :]
    content_type = "application/x-www-form-urlencoded"
    assert parse_form(content_type, body) == parse_form(content_type, escaped)


_CONFIG = MockConfig(
    clients=(
        ClientConfig("CLIENT_ID", "CLIENT_SECRET"),
        ClientConfig("p", "q", token_endpoint_auth_method="client_secret_post"),
    )
)


@pytest.fixture(scope="module")
def shared_client() -> Iterator[httpx.Client]:
    """One client for the many examples of the never-5xx properties."""
    with httpx.Client(transport=InProcessTransport(create_app(_CONFIG)), base_url="http://t") as http:
        yield http


header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=80
)
basic_headers = st.one_of(
    header_text,
    st.binary(max_size=60).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    st.tuples(st.sampled_from(["Basic ", "basic ", "BASIC ", "Bearer ", "Basic  "]), st.binary(max_size=60)).map(
        lambda pair: pair[0] + base64.b64encode(pair[1]).decode()
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    authorization=basic_headers, body=st.binary(max_size=200), path=st.sampled_from(["/oauth2/token", "/oauth2/revoke"])
)
def test_random_basic_headers_and_bodies_never_5xx(
    shared_client: httpx.Client, authorization: str, body: bytes, path: str
) -> None:
    headers = [(b"content-type", FORM["content-type"].encode()), (b"authorization", authorization.encode("latin-1"))]
    response = shared_client.post(path, content=body, headers=headers)
    assert response.status_code in {200, 400, 401}, response.text


form_values = st.text(max_size=30)
form_bodies = st.lists(
    st.tuples(
        st.sampled_from(["grant_type", "scope", "client_id", "client_secret", "audience", "token", "x"]), form_values
    ),
    max_size=6,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=form_bodies,
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json", "text/plain"]
    ),
)
def test_random_form_bodies_never_5xx(shared_client: httpx.Client, body: bytes, content_type: str) -> None:
    for path in ("/oauth2/token", "/oauth2/revoke"):
        response = shared_client.post(
            path,
            content=body,
            headers={"content-type": content_type, "authorization": basic("CLIENT_ID", "CLIENT_SECRET")},
        )
        assert response.status_code < 500, response.text
        assert response.status_code in {200, 400, 401}
