"""Labelf's production hosts, and hostnames compared as DNS compares them.

Sources: Labelf's "Obtaining a token" page (``auth.app.labelf.ai``), the older API docs and the official
``labelf-api`` client (``api.app.labelf.ai``), and the newer developer docs at
``labelf.ai/resources/developers`` (``api.labelf.ai``).
"""

from __future__ import annotations

__all__ = ["DEFAULT_LIVE_API_URL", "DEFAULT_LIVE_AUTH_URL", "LABELF_HOSTS", "LOOPBACK_HOSTS", "normalize_host"]

#: The production hosts: auth (Hydra), the API host of the older docs and that of the newer docs.
LABELF_HOSTS = frozenset({"auth.app.labelf.ai", "api.app.labelf.ai", "api.labelf.ai"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DEFAULT_LIVE_AUTH_URL = "https://auth.app.labelf.ai"
DEFAULT_LIVE_API_URL = "https://api.app.labelf.ai"


def normalize_host(host: str) -> str:
    """``host`` as DNS compares it: case-insensitive, without the root's trailing dot, IPv6 without brackets."""
    return host.strip("[]").rstrip(".").lower()
