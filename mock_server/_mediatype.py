"""Go's ``mime.ParseMediaType`` (``mime/mediatype.go``), which Hydra's ``net/http`` uses on every form body.

It decides whether a body is a form at all (``Content-Type``) and what a multipart part is called
(``Content-Disposition``).  Copied behaviour: the media type is lower-cased and must be ``token`` or
``token/token``; parameters are ``;``-separated ``token=token`` or ``token="quoted"``; names are lower-cased;
a repeated name with a different value is an error; a trailing ``;`` is fine; RFC 2231 extended values
(``name*=utf-8''…``) and continuations (``name*0``, ``name*1*``) are stitched together as Go does.

Go works on bytes; so does this module, with each byte as one latin-1 character (how Starlette decodes
header values), so the caller decodes a parameter it needs as text.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

__all__ = ["MediaTypeError", "parse_media_type"]

_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
# Go's unicode.IsSpace over single bytes that are whole runes (0x85 and 0xA0 alone are not valid UTF-8).
_SPACE = " \t\n\v\f\r"


class MediaTypeError(ValueError):
    """``mime.ParseMediaType`` returned an error; ``media_type`` is what Go still returns with it."""

    def __init__(self, message: str, media_type: str = "") -> None:
        super().__init__(message)
        self.media_type = media_type


def _is_token_char(char: str) -> bool:
    return " " < char < "\x7f" and char not in _TSPECIALS


def _consume_token(text: str) -> tuple[str, str]:
    end = 0
    while end < len(text) and _is_token_char(text[end]):
        end += 1
    return text[:end], text[end:]


def _consume_value(text: str) -> tuple[str, str]:
    if not text.startswith('"'):
        return _consume_token(text)
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return "".join(out), text[index + 1 :]
        # Go unescapes a backslash only before a tspecial; otherwise the backslash is kept.
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _TSPECIALS:
            out.append(text[index + 1])
            index += 2
            continue
        if char in "\r\n":
            return "", text
        out.append(char)
        index += 1
    return "", text  # no closing quote


def _consume_param(text: str) -> tuple[str, str, str]:
    rest = text.lstrip(_SPACE)
    if not rest.startswith(";"):
        return "", "", text
    name, rest = _consume_token(rest[1:].lstrip(_SPACE))
    if not name:
        return "", "", text
    rest = rest.lstrip(_SPACE)
    if not rest.startswith("="):
        return "", "", text
    rest = rest[1:].lstrip(_SPACE)
    value, after = _consume_value(rest)
    if not value and after == rest:
        return "", "", text
    return name.lower(), value, after


def _check_media_type(media_type: str) -> None:
    kind, rest = _consume_token(media_type)
    if not kind:
        raise MediaTypeError("mime: no media type")
    if not rest:
        return
    if not rest.startswith("/"):
        raise MediaTypeError("mime: expected slash after first token")
    subtype, rest = _consume_token(rest[1:])
    if not subtype:
        raise MediaTypeError("mime: expected token after slash")
    if rest:
        raise MediaTypeError("mime: unexpected content after media subtype")


def _percent_unescape(text: str) -> str | None:
    # Go's percentHexUnescape: every '%' must start a valid escape.
    for index, char in enumerate(text):
        if char == "%" and not all(c in "0123456789abcdefABCDEF" for c in text[index + 1 : index + 3].ljust(2, "g")):
            return None
    return unquote_to_bytes(text.encode("latin-1", "replace")).decode("latin-1")


def _decode_2231(value: str) -> str | None:
    parts = value.split("'", 2)
    if len(parts) != 3 or parts[0].lower() not in {"us-ascii", "utf-8"}:
        return None
    return _percent_unescape(parts[2])


def _stitch(base: str, pieces: dict[str, str]) -> str | None:
    if (single := pieces.get(base + "*")) is not None:
        return _decode_2231(single)
    out: list[str] = []
    found = False
    for n in range(len(pieces) + 1):
        if (plain := pieces.get(f"{base}*{n}")) is not None:
            out.append(plain)
        elif (encoded := pieces.get(f"{base}*{n}*")) is not None:
            decoded = _decode_2231(encoded) if n == 0 else _percent_unescape(encoded)
            out.append(decoded or "")
        else:
            break
        found = True
    return "".join(out) if found else None


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """``(media type, parameters)`` as Go returns them, or :class:`MediaTypeError`."""
    base = value.split(";", 1)[0]
    media_type = base.lower().strip(_SPACE)
    _check_media_type(media_type)
    params: dict[str, str] = {}
    extended: dict[str, dict[str, str]] = {}
    rest = value[len(base) :]
    while rest := rest.lstrip(_SPACE):
        name, param, after = _consume_param(rest)
        if not name:
            if rest.strip(_SPACE) == ";":
                break  # a trailing semicolon is not an error
            raise MediaTypeError("mime: invalid media parameter", media_type)
        target = extended.setdefault(name.split("*", 1)[0], {}) if "*" in name else params
        if name in target and target[name] != param:
            raise MediaTypeError("mime: duplicate parameter name")
        target[name] = param
        rest = after
    for base_name, pieces in extended.items():
        if (stitched := _stitch(base_name, pieces)) is not None:
            params[base_name] = stitched
    return media_type, params
