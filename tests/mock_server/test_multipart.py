"""Multipart token bodies read as Go's ``mime/multipart`` reads them for Hydra, limits included.

The limit cases are those of Go's own ``TestReadFormLimits`` (``mime/multipart/formdata_test.go``).
"""

from __future__ import annotations

import httpx
import pytest

from labelf_testkit.mock_server import InProcessTransport, create_app
from labelf_testkit.mock_server._forms import parse_form
from labelf_testkit.mock_server._mediatype import MediaTypeError, parse_media_type
from labelf_testkit.mock_server._multipart import (
    MAX_HEADERS,
    MAX_PARTS,
    MultipartError,
    _decode_quoted_printable,
    read_form,
)
from labelf_testkit.mock_server.oauth_errors import OAuthError
from tests.helpers import IR, assert_oauth_error, basic

GOOD_BASIC = basic("CLIENT_ID", "CLIENT_SECRET")
UNPARSABLE = f"{IR} Unable to parse HTTP body, make sure to send a properly formatted form request body."


def field(name: str, value: str, *headers: str, boundary: str = "B") -> bytes:
    lines = [f"--{boundary}", f'Content-Disposition: form-data; name="{name}"', *headers, "", value]
    return "\r\n".join(lines).encode() + b"\r\n"


def form(*parts: bytes, boundary: str = "B") -> bytes:
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


GRANT = field("grant_type", "client_credentials")


def test_values_files_and_unnamed_parts() -> None:
    file_part = b'--B\r\nContent-Disposition: form-data; name="grant_type"; filename="a.txt"\r\n\r\nfile\r\n'
    unnamed = b"--B\r\nContent-Disposition: attachment\r\n\r\nx\r\n"
    assert read_form("B", form(GRANT, file_part, unnamed, field("scope", "a b"))) == {
        "grant_type": ["client_credentials"],
        "scope": ["a b"],
    }


def test_preamble_epilogue_and_bare_lf_bodies() -> None:
    assert read_form("B", b"preamble\r\n" + form(GRANT) + b"epilogue") == {"grant_type": ["client_credentials"]}
    lf = b'--B\n Content-Disposition: form-data; name="a"\n\nv\n--B--\n'.replace(b"\n ", b"\n")
    assert read_form("B", lf) == {"a": ["v"]}


def test_nested_multipart_is_an_opaque_value_however_deep() -> None:
    inner = b"".join(
        f"--I{i}\r\nContent-Type: multipart/mixed; boundary=I{i + 1}\r\n\r\n".encode() for i in range(2000)
    )
    body = form(GRANT, field("nested", inner.decode(), "Content-Type: multipart/mixed; boundary=I0"))
    assert read_form("B", body)["nested"] == [inner.decode()]


def test_quoted_printable_parts_are_decoded() -> None:
    body = form(field("a", "caf=C3=A9 =3d=\r\nsoft", "Content-Transfer-Encoding: Quoted-Printable"))
    assert read_form("B", body) == {"a": ["café =soft"]}
    with pytest.raises(MultipartError):
        read_form("B", form(field("a", "bad\x01byte", "Content-Transfer-Encoding: quoted-printable")))


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (b"x=4=\r\n1", b"x=41"),  # '=' with one character left on its line is a literal
        (b"= x=3d", b"= x="),
        (b"a  \r\nb \t\nc \t", b"a\r\nb\nc"),  # trailing white space goes, each line keeps its newline
        (b"ab=", b"ab"),  # a soft break may end the body
        (b"a\r\n\r\n", b"a\r\n\r\n"),
        (b"x==\r\nA", None),  # '=' last on a soft-broken line
        (b"=\rx", None),
        (b"=", None),
        (b"ab= ", None),
        (b"a= \r\nb", None),
        (b"x" * 4096, None),  # longer than quotedprintable's 4 KiB line buffer
    ],
)
def test_quoted_printable_edge_cases(raw: bytes, decoded: bytes | None) -> None:
    if decoded is None:
        with pytest.raises(MultipartError):
            _decode_quoted_printable(raw)
    else:
        assert _decode_quoted_printable(raw) == decoded


@pytest.mark.parametrize(
    ("parts", "ok"),
    [(MAX_PARTS, True), (MAX_PARTS + 1, False)],
)
def test_at_most_1000_parts(parts: int, ok: bool) -> None:
    body = form(*(field(f"f{i}", "v") for i in range(parts)))
    if ok:
        assert len(read_form("B", body)) == parts
    else:
        with pytest.raises(MultipartError, match="too large"):
            read_form("B", body)


def file_with_headers(extra: int) -> bytes:
    headers = "".join(f"X-{i}: v\r\n" for i in range(extra))
    return (
        f'--B\r\nContent-Disposition: form-data; name="f"; filename="f"\r\nContent-Type: text/plain\r\n'
        f"{headers}\r\ndata\r\n"
    ).encode()


def test_at_most_10000_headers_per_part() -> None:
    assert read_form("B", form(file_with_headers(MAX_HEADERS - 2))) == {}
    with pytest.raises(MultipartError, match="too large"):
        read_form("B", form(file_with_headers(MAX_HEADERS)))


def test_file_headers_count_across_parts() -> None:
    half = MAX_HEADERS // 2 - 2
    assert read_form("B", form(file_with_headers(half), file_with_headers(half))) == {}
    with pytest.raises(MultipartError, match="too large"):
        read_form("B", form(file_with_headers(half), file_with_headers(half), file_with_headers(2)))


@pytest.mark.parametrize(
    "body",
    [
        GRANT,  # no closing boundary: the data never ends
        b"--B\r\n" + b"x" * 5000,  # a line NextPart reads is longer than its 4 KiB buffer
        b"x" * 5000 + b"\r\n" + form(GRANT),  # same, in the preamble
        form(field("a", "v", "Bad Header\x01: x")),
        form(field("a", "v", "X-Ctl: a\x7fb")),
        form(field("a", "v", "no colon here")),
        b"--B\r\n Leading: space\r\n\r\nv\r\n--B--",
        form(GRANT).replace(b"\r\n--B--", b"\r\n--B-- junk"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(MultipartError):
        read_form("B", body)


def test_body_cut_inside_headers_ends_the_form_quietly() -> None:
    # populateHeaders returns io.EOF, which ReadForm takes for the end of the parts.
    assert read_form("B", GRANT + b'--B\r\nContent-Disposition: form-data; name="x"') == {
        "grant_type": ["client_credentials"]
    }


def test_empty_boundary_is_refused() -> None:
    with pytest.raises(MultipartError, match="boundary is empty"):
        read_form("", b"--\r\n\r\n")


def test_media_types_as_go_parses_them() -> None:
    assert parse_media_type("Multipart/Form-Data; Boundary=\"a b\"; x*=utf-8''%C3%A9") == (
        "multipart/form-data",
        {"boundary": "a b", "x": "é".encode().decode("latin-1")},
    )
    assert parse_media_type("text/plain;")[1] == {}
    assert parse_media_type("a/b; n*0=x; n*1*=%41")[1] == {"n": "xA"}
    for bad in ("a/b; c", "a/b; c=1; c=2", "a/", "/b", "a/b c"):
        with pytest.raises(MediaTypeError):
            parse_media_type(bad)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("multipart/form-data; boundary=B; junk", {}),  # ErrNotMultipart: an empty form
        ("multipart/mixed; boundary=B", {}),
        ("application/x-www-form-urlencoded; charset", {"a": ["1"]}),  # Go keeps the media type
        ("application/x-www-form-urlencoded; a=1; a=2", {}),  # a duplicate parameter loses it
        (None, {}),
    ],
)
def test_content_type_decides_whether_a_body_is_a_form(content_type: str | None, expected: dict[str, object]) -> None:
    body = b"a=1" if "urlencoded" in (content_type or "") else form(field("a", "1"))
    assert parse_form(content_type, body) == expected


def test_missing_boundary_is_unparsable() -> None:
    with pytest.raises(OAuthError):
        parse_form("multipart/form-data", form(GRANT))


def test_token_endpoint_answers_hydras_error_for_too_many_parts() -> None:
    body = form(GRANT, *(field(f"f{i}", "v") for i in range(MAX_PARTS)))
    with httpx.Client(transport=InProcessTransport(create_app()), base_url="http://mock") as http:
        headers = {"authorization": GOOD_BASIC, "content-type": "multipart/form-data; boundary=B"}
        refused = http.post("/oauth2/token", content=body, headers=headers)
        accepted = http.post("/oauth2/token", content=form(GRANT), headers=headers)
    assert_oauth_error(refused, 400, "invalid_request", UNPARSABLE)
    assert accepted.status_code == 200


def _form(*parts: bytes, boundary: bytes = b"b") -> bytes:
    return b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"


def test_folded_header_lines_are_joined_with_one_space() -> None:
    from labelf_testkit.mock_server._multipart import read_form

    body = _form(b'Content-Disposition: form-data;\r\n\t name="grant_type"\r\n\r\nclient_credentials')
    assert read_form("b", body) == {"grant_type": ["client_credentials"]}


def test_values_past_the_memory_limit_are_refused_as_go_refuses_them() -> None:
    from labelf_testkit.mock_server._multipart import MultipartError, read_form

    body = _form(b'Content-Disposition: form-data; name="a"\r\n\r\n' + b"x" * 64)
    # Go's ReadForm allows maxMemory + 10 MiB of values; leave room for 16 bytes only.
    with pytest.raises(MultipartError, match="message too large"):
        read_form("b", body, max_memory=16 - (10 << 20))
    file_part = b'Content-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\n' + b"y" * 64
    with pytest.raises(MultipartError, match="message too large"):
        read_form("b", _form(file_part), max_memory=16 - (10 << 20))


def test_files_are_not_form_values_and_parts_without_a_name_are_skipped() -> None:
    from labelf_testkit.mock_server._multipart import read_form

    body = _form(
        b'Content-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\ncontent',
        b"Content-Type: text/plain\r\n\r\nno name",
        b'Content-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials',
    )
    assert read_form("b", body) == {"grant_type": ["client_credentials"]}


def test_a_header_line_that_is_not_a_header_is_an_error() -> None:
    from labelf_testkit.mock_server._multipart import MultipartError, read_form

    with pytest.raises(MultipartError, match="malformed MIME header"):
        read_form("b", _form(b"not a header\r\n\r\nvalue"))
