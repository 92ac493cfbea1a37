"""Tests of interception with real clients over real sockets; the only host they may reach is loopback."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

_LOCAL = {"127.0.0.1", "::1", "localhost", None}


def _loopback(host: object) -> bool:
    if host in _LOCAL:
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup or connection to a non-loopback host fails the test loudly (so nothing can escape)."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if not _loopback(name):
            raise AssertionError(f"network lookup of {name!r} during an interception test")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not _loopback(address[0]):
            raise AssertionError(f"connection to {address!r} during an interception test")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
