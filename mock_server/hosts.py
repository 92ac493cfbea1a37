"""Labelf's production hosts, and hostnames compared as DNS compares them.

Sources: Labelf's "Obtaining a token" page (``auth.app.labelf.ai``), the older API docs and the official
``labelf-api`` client (``api.app.labelf.ai``), and the newer developer docs at
``labelf.ai/resources/developers`` (``api.labelf.ai``).
"""

from __future__ import annotations

import contextlib
import ipaddress
from urllib.parse import urlsplit

__all__ = [
    "AUTH_HOST",
    "DEFAULT_LIVE_API_URL",
    "DEFAULT_LIVE_AUTH_URL",
    "LABELF_HOSTS",
    "LOOPBACK_HOSTS",
    "NEWER_API_HOST",
    "OLDER_API_HOST",
    "direct_to_loopback",
    "header_host",
    "ip_address_of",
    "is_localhost_name",
    "is_loopback_host",
    "normalize_host",
]

AUTH_HOST = "auth.app.labelf.ai"
#: The API host of the older docs and the official client, and that of the newer developer docs.
OLDER_API_HOST = "api.app.labelf.ai"
NEWER_API_HOST = "api.labelf.ai"
#: The production hosts: auth (Hydra) and both API hosts.
LABELF_HOSTS = frozenset({AUTH_HOST, OLDER_API_HOST, NEWER_API_HOST})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DEFAULT_LIVE_AUTH_URL = f"https://{AUTH_HOST}"
DEFAULT_LIVE_API_URL = f"https://{OLDER_API_HOST}"


def normalize_host(host: str) -> str:
    """``host`` as DNS compares it: case-insensitive, without the root's trailing dot, IPv6 without brackets.

    A name that is not ASCII is compared after IDNA encoding, as ``socket.getaddrinfo`` encodes it before the
    resolver sees it (Python's ``idna`` codec, RFC 3490 ToASCII: ``auth。app。labelf。ai`` and full-width
    letters are ``auth.app.labelf.ai``).  A name the codec refuses stays as it is: no resolver finds it either.
    """
    name = host.strip("[]").rstrip(".").lower()
    if not name.isascii():
        with contextlib.suppress(UnicodeError):
            name = name.encode("idna").decode("ascii").rstrip(".").lower()
    return name


def header_host(value: str) -> str:
    """The host name in a ``Host`` header value (port dropped), as DNS compares it."""
    if value.startswith("["):  # an IPv6 literal, with or without a port
        return normalize_host(value.split("]", 1)[0])
    return normalize_host(value.rsplit(":", 1)[0] if value.count(":") == 1 else value)


def is_localhost_name(name: str) -> bool:
    """``localhost`` or a name under it (RFC 6761 §6.3: always loopback, never asked of a DNS server)."""
    return name == "localhost" or name.endswith(".localhost")


def ip_address_of(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address an IP literal ``name`` names (a zone ignored, an IPv4-mapped IPv6 address as its IPv4
    address, RFC 4291 §2.5.5.2), or ``None`` for a name that is not an IP literal."""
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal) certainly names this machine: ``localhost``, ``127.0.0.0/8``,
    ``::1`` (also IPv4-mapped).  Credentials may travel in cleartext to such a host (live runs, the control API).

    A name *under* ``localhost`` is not: RFC 6761 §6.3 says resolvers should answer it with loopback, but a
    system resolver that does not (glibc without nss-myhostname or systemd-resolved) asks the DNS server, whose
    answer may be any machine."""
    name = normalize_host(host)
    address = ip_address_of(name)
    return name == "localhost" or (address is not None and address.is_loopback)


def direct_to_loopback(*urls: str) -> dict[str, None]:
    """httpx ``mounts`` that send requests for the loopback hosts among ``urls`` straight to them, past any proxy
    in the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, as company CI sets them): a proxy runs on
    another machine, or answers for its own loopback, never this one's, so the kit's clients for a mock on this
    machine (the control API, drift and record against a local mock) would reach nothing through it.  Other hosts
    keep the environment's proxies.  (In httpx a mount of ``None`` is the client's own, direct transport.)"""
    mounts: dict[str, None] = {}
    for url in urls:
        host = urlsplit(url).hostname
        if host and is_loopback_host(host):
            mounts[f"all://[{host}]" if ":" in host else f"all://{host}"] = None
    return mounts
