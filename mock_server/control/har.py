"""The journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), for browser dev tools and HAR
viewers.  Redacted as the journal is: what is not kept is marked, never invented.

The journal keeps each request (redacted), its status and how long the mock took to answer it, not the
answer's headers or body: each entry's ``response.content`` is empty with ``size`` 0 and ``response.headers``
is empty.  The mock measures from when it began handling the request to when its answer was complete, which is
HAR's ``wait`` (waiting for the server); ``time`` is that too (HAR: the sum of the known timings).  ``send`` and
``receive`` happen on the client's side of the socket: the spec requires them and allows no -1, so they are 0;
the optional ``blocked``, ``dns``, ``connect`` and ``ssl`` are -1 (does not apply / not known).  A request the
mock never answered (a drop) has ``time`` and ``wait`` 0.  The entry's ``comment`` names its fault, if any.
``startedDateTime`` is when the request arrived (the entry's ``arrived_at``), not when its answer was recorded
(its ``at``, ``duration`` later).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from ..journal import JournalEntry
from ._views import iso

__all__ = ["har_document"]


def _version() -> str:
    try:
        return importlib.metadata.version("labelf-testkit")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0"


def _status_text(status: int | None) -> str:
    if status is None:
        return ""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _entry(entry: JournalEntry, base_url: str) -> dict[str, Any]:
    url = f"{base_url}{entry.path}" + (f"?{entry.query}" if entry.query else "")
    request: dict[str, Any] = {
        "method": entry.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in entry.headers.items()],
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(entry.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(entry.body.encode()),
    }
    if entry.body:
        post: dict[str, Any] = {"mimeType": entry.headers.get("content-type", ""), "text": entry.body}
        if entry.form:
            post["params"] = [{"name": name, "value": value} for name, values in entry.form.items() for value in values]
        request["postData"] = post
    comment = "; ".join(
        part
        for part in (
            f"fault: {entry.fault}" if entry.fault else "",
            "no answer (dropped)" if entry.status is None else "",
            "truncated: the journal keeps 16 KiB of headers and of body" if entry.truncated else "",
        )
        if part
    )
    wait = 0.0 if entry.duration is None else round(entry.duration * 1000, 3)
    return {
        "startedDateTime": iso(entry.at if entry.arrived_at is None else entry.arrived_at),
        "time": wait,
        "request": request,
        "response": {
            "status": entry.status or 0,
            "statusText": _status_text(entry.status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": wait, "receive": 0, "ssl": -1},
        "comment": comment,
    }


def har_document(entries: Sequence[JournalEntry], base_url: str) -> dict[str, Any]:
    """A HAR 1.2 ``log`` of ``entries`` as requests to ``base_url``."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "labelf-mock", "version": _version()},
            "pages": [],
            "entries": [_entry(entry, base_url) for entry in entries],
            "comment": "Recorded by labelf-mock; secrets redacted and bearer tokens fingerprinted, as in its journal.",
        }
    }
