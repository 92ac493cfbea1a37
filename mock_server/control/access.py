"""Who may use the control API: the operator's rules, checked before any control handler runs.

- **Never through Labelf's host names.**  A request whose ``Host`` is ``auth.app.labelf.ai``,
  ``api.app.labelf.ai`` or ``api.labelf.ai`` (what interception sends) is not a control request at all: it
  goes to the mock, which answers what Labelf answers for an unknown path (404).
- **With a control token** (the operator gave one, or the mock listens beyond loopback): every control
  request carries ``Authorization: Bearer <token>``, compared in constant time (``hmac.compare_digest``);
  otherwise 401.
- **Without one**: only loopback peers (127.0.0.0/8, ::1, or in-process), and only under a loopback
  ``Host`` name (``127.0.0.1``, ``localhost``, ``[::1]``), so a web page that rebinds its own domain to
  127.0.0.1 cannot reach it; otherwise 403.
- **Never cross-site from a browser**: a request whose ``Origin`` is not the control API's own, or whose
  ``Sec-Fetch-Site`` says ``cross-site``, is refused (403), so a page open in the developer's browser cannot
  plant faults in a mock on their machine.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.types import Scope

from ..hosts import LABELF_HOSTS, LOOPBACK_HOSTS, header_host, ip_address_of
from ._errors import ControlError

__all__ = ["ControlAccess", "is_loopback_address", "serves_labelf_host"]

_REALM = 'Bearer realm="labelf-control"'


def is_loopback_address(host: str) -> bool:
    """Whether ``host`` (an IP address as a socket reports it) is a loopback address."""
    address = ip_address_of(host)
    return address is not None and address.is_loopback


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def serves_labelf_host(scope: Scope) -> bool:
    """Whether the request names one of Labelf's production hosts (it then never reaches control)."""
    host = _header(scope, b"host")
    return host is not None and header_host(host) in LABELF_HOSTS


def _is_loopback_name(host: str) -> bool:
    name = header_host(host)
    return name in LOOPBACK_HOSTS or is_loopback_address(name)


@dataclass(frozen=True)
class ControlAccess:
    """The rules for one server: ``token`` set means every control request must carry it."""

    token: str | None = field(default=None, repr=False)

    def check(self, scope: Scope) -> None:
        """Raise the :class:`ControlError` (401/403) that refuses this control request, if any."""
        self.check_browser(scope)
        if self.token is not None:
            sent = _header(scope, b"authorization") or ""
            scheme, _, credential = sent.strip().partition(" ")
            expected = self.token.encode()
            if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), expected):
                raise ControlError(
                    401,
                    "control_token_required",
                    "This control API needs its control token: send 'Authorization: Bearer <token>'. The operator "
                    "finds it in the file named by labelf-mock serve's --control-token-file (or sets it with "
                    "LABELF_MOCK_CONTROL_TOKEN).",
                    headers={"www-authenticate": _REALM},
                )
            return
        client = scope.get("client")
        if client is not None and not is_loopback_address(str(client[0])):
            raise ControlError(
                403,
                "control_loopback_only",
                f"The control API answers loopback clients only, and this request came from {client[0]}. To "
                "control the mock from elsewhere, start it with a control token (labelf-mock serve "
                "--control-token-file FILE, or LABELF_MOCK_CONTROL_TOKEN) and send it as a bearer token.",
            )
        host = _header(scope, b"host")
        if host is not None and not _is_loopback_name(host):
            raise ControlError(
                403,
                "control_loopback_only",
                f"Without a control token the control API answers only under a loopback host name "
                f"(127.0.0.1, localhost, [::1]), not {header_host(host)!r}.",
            )

    @staticmethod
    def check_browser(scope: Scope) -> None:
        """Raise the 403 that refuses a request a web page of another origin made (the rule every control
        request and the inspector's page follow)."""
        origin = _header(scope, b"origin")
        host = _header(scope, b"host")
        cross_site = (_header(scope, b"sec-fetch-site") or "").lower() == "cross-site"
        if origin is not None and origin != "null":
            parts = urlsplit(origin)
            cross_site = cross_site or host is None or parts.netloc.lower() != host.lower()
        elif origin == "null":
            cross_site = True
        if cross_site:
            sent = f"Origin {origin}" if origin is not None else "Sec-Fetch-Site: cross-site"
            raise ControlError(
                403,
                "control_cross_site",
                f"The control API refuses requests made by a web page of another origin ({sent}; this mock is "
                f"{host or 'unnamed'}); call it from a script, curl, or a page the mock itself serves.",
            )
