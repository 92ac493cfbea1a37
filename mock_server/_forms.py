"""Request bodies read the way Go's ``net/http`` reads them for Hydra.

fosite's ``NewAccessRequest`` (``access_request_handler.go``) calls ``r.ParseMultipartForm(1 << 20)`` and then
reads ``r.PostForm``.  So: only ``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies
produce parameters (media type parsed by ``mime.ParseMediaType``); anything else, JSON included, yields an
empty form; a malformed url-encoded pair is dropped silently (``url.ParseQuery`` skips it and
``ParseMultipartForm`` returns ``ErrNotMultipart`` instead of its error); the query string is never read.
Multipart bodies go through :mod:`._multipart` (Go's ``mime/multipart`` limits included).  Values keep every
occurrence; ``first`` is Go's ``Values.Get``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from ._mediatype import MediaTypeError, parse_media_type
from ._multipart import MultipartError, read_form
from .oauth_errors import invalid_request

__all__ = ["BodyTooLarge", "Form", "go_query_unescape", "parse_form", "read_body", "receive_body"]

_HEX = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_UNPARSABLE_HINT = "Unable to parse HTTP body, make sure to send a properly formatted form request body."


class BodyTooLarge(Exception):
    """The request body passed the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class Form(dict[str, list[str]]):
    """Parsed parameters: every value of every key, in order."""

    def first(self, key: str) -> str:
        """Go's ``url.Values.Get``: the first value, or ``""``."""
        values = self.get(key)
        return values[0] if values else ""


def go_query_unescape(raw: str | bytes) -> str | None:
    """Go's ``url.QueryUnescape``: ``+`` is a space, ``%XX`` a byte; ``None`` for a bad escape.

    Bytes that are not UTF-8 survive as surrogate escapes, as Go strings keep arbitrary bytes.
    """
    if isinstance(raw, str):
        if "%" not in raw and "+" not in raw:
            return raw  # nothing to unescape (the usual client id and secret)
        data = raw.encode("utf-8", "surrogateescape")
    else:
        data = raw
    if b"%" in data:
        if _HEX.search(data):
            return None
        # Every '%' is now followed by two hex digits, so unquote_to_bytes decodes exactly what Go would.
        data = unquote_to_bytes(data.replace(b"+", b" "))
    elif b"+" in data:
        data = data.replace(b"+", b" ")
    return data.decode("utf-8", "surrogateescape")


def _parse_urlencoded(body: bytes) -> Form:
    # Go's url.parseQuery: split on '&', skip empty pairs and pairs with ';', split at the first '='.
    form = Form()
    if b"%" not in body and b"+" not in body and b";" not in body:
        # Nothing to unescape or skip (what nearly every client sends): the same pairs, decoded once.
        for text in body.decode("utf-8", "surrogateescape").split("&"):
            if text:
                name, _, text_value = text.partition("=")
                form.setdefault(name, []).append(text_value)
        return form
    for pair in body.split(b"&"):
        if not pair or b";" in pair:
            continue
        raw_key, _, raw_value = pair.partition(b"=")
        key, value = go_query_unescape(raw_key), go_query_unescape(raw_value)
        if key is None or value is None:
            continue
        form.setdefault(key, []).append(value)
    return form


def _media_type(content_type: str) -> tuple[str, dict[str, str] | None]:
    if content_type == "application/x-www-form-urlencoded":  # what nearly every client sends
        return content_type, {}
    try:
        return parse_media_type(content_type)
    except MediaTypeError as error:  # Go still returns the media type when only a parameter is bad
        return error.media_type, None


def _parse_multipart(params: dict[str, str] | None, body: bytes) -> Form:
    if params is None:
        return Form()  # multipartReader: ErrNotMultipart, which fosite ignores
    boundary = params.get("boundary")
    if boundary is None:
        raise invalid_request(_UNPARSABLE_HINT)  # http.ErrMissingBoundary
    try:
        return Form(read_form(boundary, body))
    except MultipartError:
        raise invalid_request(_UNPARSABLE_HINT) from None


def parse_form(content_type: str | None, body: bytes) -> Form:
    """The POST parameters Go would find in ``body`` sent with ``content_type``.

    Raises Hydra's ``invalid_request`` "Unable to parse HTTP body…" for a multipart body Go refuses.
    """
    # Go reads a missing Content-Type as application/octet-stream (RFC 7231 §3.1.1.5): not a form.
    media_type, params = _media_type(content_type or "application/octet-stream")
    if media_type == "application/x-www-form-urlencoded":
        return _parse_urlencoded(body)
    if media_type == "multipart/form-data":
        return _parse_multipart(params, body)
    return Form()


async def receive_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """The whole body read from ``receive``, or :class:`BodyTooLarge` as soon as it passes ``limit`` bytes.

    ``declared`` is the request's ``Content-Length``, refused up front when it already passes the limit.
    Reads the ASGI messages itself (Starlette's ``Request.stream`` is an async generator, a measurable part
    of a token request's cost); a client that goes away raises Starlette's ``ClientDisconnect`` as it does.
    """
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        body: bytes = message.get("body", b"")
        if not chunks and not message.get("more_body", False):
            if len(body) > limit:
                raise BodyTooLarge(limit)
            return body  # the usual case: one message, no copy
        chunks += body
        if len(chunks) > limit:
            raise BodyTooLarge(limit)
        if not message.get("more_body", False):
            return bytes(chunks)


async def read_body(request: Request, limit: int) -> bytes:
    """:func:`receive_body` for a Starlette request."""
    return await receive_body(request.receive, request.headers.get("content-length"), limit)
