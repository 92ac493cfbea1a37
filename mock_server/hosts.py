"""Labelf's production hosts, and hostnames compared as DNS compares them.

Sources: Labelf's "Obtaining a token" page (``auth.app.labelf.ai``), the older API docs and the official
``labelf-api`` client (``api.app.labelf.ai``), and the newer developer docs at
``labelf.ai/resources/developers`` (``api.labelf.ai``).
"""

from __future__ import annotations

import contextlib

__all__ = [
    "AUTH_HOST",
    "DEFAULT_LIVE_API_URL",
    "DEFAULT_LIVE_AUTH_URL",
    "LABELF_HOSTS",
    "LOOPBACK_HOSTS",
    "NEWER_API_HOST",
    "OLDER_API_HOST",
    "header_host",
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
