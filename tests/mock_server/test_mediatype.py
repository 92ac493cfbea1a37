"""Go's ``mime.ParseMediaType``, case by case: the results Go's ``mime/mediatype.go`` gives for them."""

from __future__ import annotations

import pytest

from labelf_testkit.mock_server._mediatype import MediaTypeError, parse_media_type


@pytest.mark.parametrize(
    ("value", "media_type", "params"),
    [
        ("form-data; name=foo", "form-data", {"name": "foo"}),
        (' FORM-DATA ;  name="foo bar" ', "form-data", {"name": "foo bar"}),
        ('form-data; name="foo\\"bar"', "form-data", {"name": 'foo"bar'}),  # backslash before a tspecial
        ('form-data; name="C:\\\\dir\\\\file"', "form-data", {"name": "C:\\dir\\file"}),
        ('form-data; name="a\\bc"', "form-data", {"name": "a\\bc"}),  # kept before a non-tspecial
        ("text/plain;", "text/plain", {}),  # a trailing semicolon is fine
        ("attachment; filename*=UTF-8''foo-%c3%a4.html", "attachment", {"filename": "foo-Ã¤.html"}),
        ('attachment; filename*0="foo."; filename*1="html"', "attachment", {"filename": "foo.html"}),
        ("attachment; filename*0*=us-ascii''foo%20; filename*1*=bar%2e", "attachment", {"filename": "foo bar."}),
        ("attachment; filename*=iso-8859-1''foo", "attachment", {}),  # charsets Go does not decode are dropped
        ("attachment; filename*=utf-8''bad%zz", "attachment", {}),
        ("multipart/form-data; boundary=x; boundary=x", "multipart/form-data", {"boundary": "x"}),
    ],
)
def test_media_types_parse_as_go_parses_them(value: str, media_type: str, params: dict[str, str]) -> None:
    assert parse_media_type(value) == (media_type, params)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/plain", "mime: no media type"),
        ("text plain", "mime: expected slash after first token"),
        ("text/", "mime: expected token after slash"),
        ("text/plain/x", "mime: unexpected content after media subtype"),
        ('text/plain; charset="unterminated', "mime: invalid media parameter"),
        ('text/plain; charset="a\nb"', "mime: invalid media parameter"),
        ("text/plain; =x", "mime: invalid media parameter"),
        ("text/plain; charset", "mime: invalid media parameter"),
        ("text/plain; charset=", "mime: invalid media parameter"),
        ("multipart/form-data; boundary=x; boundary=y", "mime: duplicate parameter name"),
    ],
)
def test_malformed_media_types_fail_as_in_go(value: str, message: str) -> None:
    with pytest.raises(MediaTypeError, match=message):
        parse_media_type(value)


def test_the_error_keeps_the_media_type_go_returns_with_it() -> None:
    with pytest.raises(MediaTypeError) as error:
        parse_media_type('Text/Plain; charset="x')
    assert error.value.media_type == "text/plain"
