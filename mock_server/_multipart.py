"""``multipart/form-data`` read the way Go's ``mime/multipart`` ``Reader.ReadForm`` reads it for Hydra.

Hydra's form parsing is Go's ``net/http`` ``Request.ParseMultipartForm(1 << 20)``, which runs
``multipart.Reader.ReadForm``.  Copied here, over the body already in memory, in one pass with no recursion
(a nested ``multipart/mixed`` part is an opaque value, as in Go):

- the limits Go added in 1.20.3 for CVE-2023-24536: at most 1,000 parts (``GODEBUG multipartmaxparts``) and
  10,000 header fields per part, and across the headers of file parts (``GODEBUG multipartmaxheaders``);
- the memory budget of ``readForm`` (``maxMemory`` + 10 MiB, 400 bytes per header block, 200 per entry);
- ``Reader.nextPart``: a preamble before the first boundary is skipped; ``\\n`` line endings are accepted if
  the first boundary line uses them; a line ``NextPart`` reads may be at most 4,096 bytes (its ``bufio``
  buffer); a body cut inside a part's headers ends the form without error (``populateHeaders`` returns
  ``io.EOF``), a body cut inside a part's data is an error;
- ``scanUntilBoundary`` / ``matchAfterPrefix``: where a part's data ends;
- ``net/textproto`` ``readMIMEHeader``: folded lines, canonical keys, invalid key or value bytes refused;
- a ``Content-Transfer-Encoding: quoted-printable`` part is decoded (``mime/quotedprintable`` ``Reader``);
- parts with a ``filename`` are files (``MultipartForm.File``), not parameters; parts without a form-data
  ``name`` are skipped (but count as parts).

Any error means Hydra's ``invalid_request`` "Unable to parse HTTP body…" (fosite ``access_request_handler.go``).
"""

from __future__ import annotations

import contextlib
import re

from ._mediatype import MediaTypeError, parse_media_type

__all__ = ["MAX_HEADERS", "MAX_PARTS", "MultipartError", "read_form"]

#: ``GODEBUG multipartmaxparts`` default (Go >= 1.20.3).
MAX_PARTS = 1000
#: ``GODEBUG multipartmaxheaders`` default (Go >= 1.20.3).
MAX_HEADERS = 10_000
_PEEK_BUFFER = 4096  # mime/multipart peekBufferSize, and bufio's default size in mime/quotedprintable
_HEADER_BLOCK_OVERHEAD = 400
_MAP_ENTRY_OVERHEAD = 200
_FILE_HEADER_SIZE = 100
_BAD_VALUE_BYTE = re.compile(rb"[^\t\x20-\x7e\x80-\xff]")
_TOKEN_OR_SPACE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z ]+")
_QP_BAD_BYTE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_QP_TOKEN = re.compile(
    rb"=([0-9A-Fa-f]{2})"  # an escape
    rb"|=([ \t\r]*)(\n|\Z)"  # a soft line break
    rb"|=(?=\r|=[ \t\r]*(?:\n|\Z))"  # an '=' Go cannot read: before a CR, or last on a soft-broken line
    rb"|(?<![ \t\r])(?!\r\n)([ \t\r]+)(\n|\Z)"  # trailing white space (a plain CRLF needs no change)
)


class MultipartError(ValueError):
    """The body is not a multipart form Go would parse (or breaks one of Go's limits)."""


class _EndOfForm(Exception):
    """Go's ``io.EOF`` from ``nextPart``: no more parts."""


def _canonical_key(raw: bytes) -> bytes:
    # textproto.canonicalMIMEHeaderKey: token bytes (and spaces, kept as they are); else malformed.
    if not _TOKEN_OR_SPACE.fullmatch(raw):
        raise MultipartError(f"malformed MIME header line: {raw[:80]!r}")
    if b" " in raw:
        return raw
    return b"-".join(word[:1].upper() + word[1:].lower() for word in raw.split(b"-"))


class _Part:
    def __init__(self, headers: dict[bytes, list[bytes]], data: bytes | None) -> None:
        self.headers = headers
        self.data = data  # None: the body ended before the closing boundary
        self.quoted_printable = False
        encoding = headers.get(b"Content-Transfer-Encoding")
        if encoding and encoding[0].lower() == b"quoted-printable":
            del headers[b"Content-Transfer-Encoding"]
            self.quoted_printable = True
        self.disposition: str = ""
        self.params: dict[str, str] = {}
        if disposition := headers.get(b"Content-Disposition"):
            with contextlib.suppress(MediaTypeError):  # Go: no disposition, so no name
                self.disposition, self.params = parse_media_type(disposition[0].decode("latin-1"))

    @property
    def form_name(self) -> str:
        return self.params.get("name", "") if self.disposition == "form-data" else ""

    @property
    def file_name(self) -> str:
        return self.params.get("filename", "")

    def read(self) -> bytes:
        if self.data is None:
            raise MultipartError("unexpected EOF")
        return _decode_quoted_printable(self.data) if self.quoted_printable else self.data


class _Reader:
    """``multipart.Reader`` over a complete body."""

    def __init__(self, body: bytes, boundary: bytes) -> None:
        self.body = body
        self.pos = 0
        self.nl = b"\r\n"
        self.dash_boundary = b"--" + boundary
        self.parts_read = 0
        self.part_end: int | None = None

    def _read_slice(self) -> tuple[bytes, bool]:
        """``bufio.Reader.ReadSlice('\\n')``: the line and whether the body ended before a newline."""
        end = self.body.find(b"\n", self.pos, self.pos + _PEEK_BUFFER)
        if end < 0:
            if len(self.body) - self.pos >= _PEEK_BUFFER:
                raise MultipartError("multipart: NextPart: bufio: buffer full")
            line, self.pos = self.body[self.pos :], len(self.body)
            return line, True
        line, self.pos = self.body[self.pos : end + 1], end + 1
        return line, False

    def _is_final(self, line: bytes) -> bool:
        prefix = self.dash_boundary + b"--"
        if not line.startswith(prefix):
            return False
        rest = line[len(prefix) :].lstrip(b" \t")
        return not rest or rest == self.nl

    def _is_delimiter(self, line: bytes) -> bool:
        if not line.startswith(self.dash_boundary):
            return False
        rest = line[len(self.dash_boundary) :].lstrip(b" \t")
        if self.parts_read == 0 and rest == b"\n":
            self.nl = b"\n"  # Go accepts bare-LF bodies when the first boundary line is one
        return rest == self.nl

    def next_part(self, max_header_bytes: int, max_headers: int) -> _Part:
        """The next part, or :class:`_EndOfForm`."""
        if self.part_end is not None:
            self.pos = self.part_end  # Part.Close: skip what the caller did not read
        if self.dash_boundary == b"--":
            raise MultipartError("multipart: boundary is empty")
        expect_new_part = False
        while True:
            line, at_end = self._read_slice()
            if at_end and self._is_final(line):
                raise _EndOfForm
            if at_end:
                raise MultipartError("multipart: NextPart: EOF")
            if self._is_delimiter(line):
                self.parts_read += 1
                return self._new_part(max_header_bytes, max_headers)
            if self._is_final(line):
                raise _EndOfForm
            if expect_new_part:
                raise MultipartError(f"multipart: expecting a new Part; got line {line[:80]!r}")
            if self.parts_read == 0:
                continue  # the preamble
            if line == self.nl:
                expect_new_part = True
                continue
            raise MultipartError(f"multipart: unexpected line in Next(): {line[:80]!r}")

    def _new_part(self, max_header_bytes: int, max_headers: int) -> _Part:
        headers = _HeaderReader(self).read(max_header_bytes, max_headers)
        end = self._data_end(self.pos)
        data = None if end is None else self.body[self.pos : end]
        self.part_end = len(self.body) if end is None else end
        return _Part(headers, data)

    def _match_after(self, at: int) -> int:
        """``matchAfterPrefix`` once the whole body is known: +1 boundary, -1 not."""
        if at == len(self.body):
            return 1
        char = self.body[at : at + 1]
        if char in {b" ", b"\t", b"\r", b"\n"}:
            return 1
        return 1 if char == b"-" and self.body[at + 1 : at + 2] == b"-" else -1

    def _data_end(self, start: int) -> int | None:
        """Where the data starting at ``start`` ends (``scanUntilBoundary``); ``None`` if it never does."""
        scan = start
        if self.body.startswith(self.dash_boundary, start):
            if self._match_after(start + len(self.dash_boundary)) > 0:
                return start  # an empty part written without the leading newline
            scan = start + len(self.dash_boundary)
        nl_dash_boundary = self.nl + self.dash_boundary
        while (found := self.body.find(nl_dash_boundary, scan)) >= 0:
            if self._match_after(found + len(nl_dash_boundary)) > 0:
                return found
            scan = found + len(nl_dash_boundary)
        return None


class _HeaderReader:
    """``net/textproto`` ``readMIMEHeader`` with the limits ``mime/multipart`` passes it."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def _line(self, limit: int) -> bytes | None:
        """``readLineSlice``: one line without its ``\\r\\n``; ``None`` at the end of the body."""
        body, pos = self.reader.body, self.reader.pos
        if pos >= len(body):
            return None
        end = body.find(b"\n", pos)
        if end < 0:
            line, self.reader.pos = body[pos:], len(body)
        else:
            line, self.reader.pos = body[pos:end], end + 1
            if line.endswith(b"\r"):
                line = line[:-1]
        if 0 <= limit < len(line):
            raise MultipartError("message too large")
        return line

    def _skip_space(self) -> int:
        body, start = self.reader.body, self.reader.pos
        while self.reader.pos < len(body) and body[self.reader.pos] in b" \t":
            self.reader.pos += 1
        return self.reader.pos - start

    def _continued_line(self, limit: int) -> bytes | None:
        line = self._line(limit)
        if not line:
            return line
        if b":" not in line:
            raise MultipartError(f"malformed MIME header: missing colon: {line[:80]!r}")
        joined = bytearray(line.strip(b" \t"))
        limit = (limit if limit >= 0 else 1 << 62) - len(joined)
        while self._skip_space() > 0:
            joined += b" "
            if len(joined) >= limit:
                raise MultipartError("message too large")
            more = self._line(limit - len(joined))
            if more is None:
                break
            joined += more.strip(b" \t")
        return bytes(joined)

    def read(self, max_memory: int, max_headers: int) -> dict[bytes, list[bytes]]:
        body, pos = self.reader.body, self.reader.pos
        if body[pos : pos + 1] in {b" ", b"\t"}:
            raise MultipartError("malformed MIME header initial line")
        headers: dict[bytes, list[bytes]] = {}
        max_memory -= _HEADER_BLOCK_OVERHEAD
        while True:
            line = self._continued_line(max_memory)
            if line is None:
                raise _EndOfForm  # populateHeaders' io.EOF: ReadForm stops without an error
            if not line:
                return headers
            raw_key, _, value = line.partition(b":")
            key = _canonical_key(raw_key)
            if _BAD_VALUE_BYTE.search(value):
                raise MultipartError(f"malformed MIME header line: {line[:80]!r}")
            max_headers -= 1
            if max_headers < 0:
                raise MultipartError("message too large")
            value = value.lstrip(b" \t")
            if key not in headers:
                max_memory -= len(key) + _MAP_ENTRY_OVERHEAD
            max_memory -= len(value)
            if max_memory < 0:
                raise MultipartError("message too large")
            headers.setdefault(key, []).append(value)


def _quoted_printable_token(match: re.Match[bytes]) -> bytes:
    escape, soft_space, soft_end, space, space_end = match.groups()
    if escape is not None:
        return bytes([int(escape, 16)])
    if soft_end is not None:
        # A soft break: '=' then a newline, or '=' ending a non-empty last line.
        at = match.start()
        ok = soft_space in {b"", b"\r"} if soft_end else not soft_space and at > 0 and match.string[at - 1] != 0x0A
        if not ok:
            raise MultipartError("quotedprintable: invalid bytes after =")
        return b""
    if space_end is not None:  # trailing white space is dropped; the line keeps its own newline
        return (b"\r\n" if space.endswith(b"\r") else b"\n") if space_end else b""
    raise MultipartError("quotedprintable: invalid '=' escape")


def _decode_quoted_printable(raw: bytes) -> bytes:
    """``mime/quotedprintable`` ``Reader``: soft line breaks, ``=XX`` (either case), lenient literal ``=``,
    trailing white space dropped; lines longer than its 4 KiB ``bufio`` buffer are an error.

    One regular-expression pass instead of Go's line loop, so a 1 MiB part costs linear time.
    """
    if max(map(len, raw.split(b"\n"))) >= _PEEK_BUFFER:
        raise MultipartError("quotedprintable: bufio: buffer full")
    if _QP_BAD_BYTE.search(raw):
        raise MultipartError("quotedprintable: invalid unescaped byte in body")
    return _QP_TOKEN.sub(_quoted_printable_token, raw)


def read_form(boundary: str, body: bytes, max_memory: int = 1 << 20) -> dict[str, list[str]]:
    """The form values Go's ``ReadForm(max_memory)`` finds in ``body``, or :class:`MultipartError`.

    ``boundary`` is the Content-Type's parameter as latin-1 text (one character per byte of the header).
    """
    reader = _Reader(body, boundary.encode("latin-1", "replace"))
    values: dict[str, list[str]] = {}
    parts_left, headers_left = MAX_PARTS, MAX_HEADERS
    memory_left, file_memory_left = max_memory + (10 << 20), max_memory
    while True:
        try:
            part = reader.next_part(memory_left, headers_left)
        except _EndOfForm:
            return values
        if parts_left <= 0:
            raise MultipartError("multipart: message too large")
        parts_left -= 1
        name = part.form_name
        if not name:
            continue
        memory_left -= len(name) + _MAP_ENTRY_OVERHEAD
        if not part.file_name:
            data = part.read()
            memory_left -= len(data)
            if memory_left < 0:
                raise MultipartError("multipart: message too large")
            text_name = name.encode("latin-1").decode("utf-8", "surrogateescape")
            values.setdefault(text_name, []).append(data.decode("utf-8", "surrogateescape"))
            continue
        memory_left -= _header_size(part.headers) + _MAP_ENTRY_OVERHEAD + _FILE_HEADER_SIZE
        if memory_left < 0:
            raise MultipartError("multipart: message too large")
        headers_left -= sum(len(v) for v in part.headers.values())
        size = len(part.read())
        if size <= file_memory_left:  # Go keeps it in memory; larger files go to a temporary file
            file_memory_left -= size
            memory_left -= size


def _header_size(headers: dict[bytes, list[bytes]]) -> int:
    return _HEADER_BLOCK_OVERHEAD + sum(len(k) + _MAP_ENTRY_OVERHEAD + sum(map(len, vs)) for k, vs in headers.items())
