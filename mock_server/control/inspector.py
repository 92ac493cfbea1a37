"""The inspector: a page in the browser, served by the mock under the control prefix, that shows one session's
live journal, planned faults and clock, and the open sessions.

The page is static: an HTML shell, one same-origin script and one stylesheet, shipped in the wheel
(``inspector_assets/``), with no external asset, so it works offline.  Everything it shows it reads from the
control API with ``fetch``, already redacted there; the page itself holds no data and no secret.

- **Who may open it** is the control API's rule (:mod:`.access`), with one difference when the mock has a
  control token: a browser cannot put a header on the address bar's request, so the shell is served without
  the token, and every data request the page makes carries it (``Authorization: Bearer``, typed into the
  page, kept in the tab's ``sessionStorage``, never in a URL).  Without a token, the page and its data are
  for loopback clients under a loopback host name only, as the control API is.  Never through Labelf's host
  names, never framed, never loaded by another site.
- **Strict Content-Security-Policy**: scripts and styles from the mock's own origin only (no inline script or
  style, no ``eval``), requests to the mock's own origin only, no frames, no forms, and Trusted Types
  required, so no text from a journal entry can ever become markup.
"""

from __future__ import annotations

import functools
import html
from importlib import resources
from string import Template

from starlette.types import Receive, Scope, Send

from ..endpoints import FAULT_ROUTES
from ._errors import ControlError
from .access import ControlAccess

__all__ = ["CONTENT_SECURITY_POLICY", "INSPECTOR", "serve_inspector"]

#: The inspector's path under the control prefix: ``GET /__labelf/inspector``.
INSPECTOR = "/inspector"

#: Everything the page may load, run or reach: its own origin only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
)

#: What every answer of the inspector carries besides its type.
_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}

#: Each asset, by its path after ``/inspector``: the file in ``inspector_assets/`` and its media type.
_ASSETS = {
    "": ("inspector.html", "text/html; charset=utf-8"),
    "/": ("inspector.html", "text/html; charset=utf-8"),
    "/inspector.js": ("inspector.js", "text/javascript; charset=utf-8"),
    "/inspector.css": ("inspector.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}


@functools.cache
def _asset(name: str, prefix: str) -> bytes:
    """One asset's bytes; the page's ``$prefix`` and ``$route_options`` filled in (from the endpoint table)."""
    text = resources.files(__package__).joinpath("inspector_assets", name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        options = "\n".join(
            f'          <option value="{html.escape(route)}">{html.escape(route)}</option>' for route in FAULT_ROUTES
        )
        text = Template(text).substitute(prefix=html.escape(prefix), route_options=options.lstrip())
    return text.encode("utf-8")


def _check(access: ControlAccess, scope: Scope) -> None:
    """The control API's rules for a static page (see the module's docstring): all of them without a token;
    with one, the browser's (same origin), since the page's own data requests carry the token."""
    if access.token is None:
        access.check(scope)
    else:
        access.check_browser(scope)


async def serve_inspector(access: ControlAccess, prefix: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request for the inspector's page or one of its assets (``scope["path"]`` under
    ``{prefix}/inspector``), or refuse it as the control API would."""
    try:
        _check(access, scope)
        found = _ASSETS.get(scope["path"][len(prefix) + len(INSPECTOR) :])
        if found is None:
            raise ControlError(
                404,
                "not_found",
                f"No inspector asset {scope['path']}; the inspector is at {prefix}{INSPECTOR}.",
                "path",
                [f"{prefix}{INSPECTOR}{suffix}" for suffix in _ASSETS if suffix != "/"],
            )
        if scope["method"] not in ("GET", "HEAD"):
            raise ControlError(
                405,
                "method_not_allowed",
                f"{scope['path']} takes GET, not {scope['method']}.",
                "method",
                ["GET"],
                {"allow": "GET, HEAD"},
            )
    except ControlError as refused:
        await refused.response()(scope, receive, send)
        return
    name, media_type = found
    body = _asset(name, prefix)
    headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(key.encode(), value.encode()) for key, value in _HEADERS.items()]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
