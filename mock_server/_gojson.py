"""Strings as Go's ``encoding/json`` writes them.

The mock keeps what Go keeps in a string: arbitrary bytes.  A body's bytes that are not UTF-8 survive as
surrogate escapes (see :func:`~._forms.go_query_unescape`), and ``json.loads`` keeps a lone ``\\uD800`` as a
lone surrogate.  Go's encoder writes each byte that is not UTF-8 as U+FFFD (``encode.go``, ``appendString``)
and its decoder turns a lone surrogate escape into U+FFFD (``decode.go``, ``unquoteBytes``), so no answer the
mock writes carries a surrogate that strict JSON parsers refuse.
"""

from __future__ import annotations

import re

__all__ = ["go_json_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def go_json_text(text: str) -> str:
    """``text`` with U+FFFD for each surrogate (a byte that was not UTF-8, or a lone surrogate escape)."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)
