"""What interception cannot reach, said where it can be seen in-process.

- A module that bound ``socket.getaddrinfo`` / ``gethostbyname`` to a name of its own before interception
  started (``from socket import getaddrinfo``) resolves through that reference, which no patch reaches:
  :func:`warn_about_escapes` names each such module once, as an :class:`InterceptionWarning`.
- A subprocess is another process: interception does not exist there.  A subprocess started with one of
  Labelf's host names in its arguments while interception is active gets an :class:`InterceptionWarning`
  (:func:`subprocess_patches`).
- truststore (``truststore.inject_into_ssl()``) verifies a certificate against the system's store after the
  handshake, where the mock's throwaway CA is not: for Labelf's host names, on a connection interception
  already verified against the mock's CA, that second check is skipped (:func:`truststore_patches`), also
  when truststore is injected during a test.
"""

from __future__ import annotations

import _socket
import subprocess
import sys
import warnings
from typing import Any

from ._routing import current

__all__ = ["InterceptionWarning", "subprocess_patches", "truststore_patches", "warn_about_escapes"]

_Patch = tuple[Any, str, Any]
_GUIDE = 'See the interception guide, "Out of reach".'


class InterceptionWarning(UserWarning):
    """Something in this process is out of interception's reach: its requests to Labelf may not reach the mock."""


_scanned: set[str] = set()


def _resolvers() -> dict[int, str]:
    import socket

    functions = {"getaddrinfo": socket.getaddrinfo, "gethostbyname": socket.gethostbyname}
    real = {name: getattr(_socket, name) for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex")}
    # socket.getaddrinfo is socket.py's wrapper of _socket's; either one, bound elsewhere, escapes.
    found = {id(f): n for n, f in real.items()}
    for name, function in functions.items():  # socket.py's own, or what stands in its place now
        if not getattr(function, "__labelf_testkit__", False):
            found[id(function)] = name
    return found


def warn_about_escapes() -> None:
    """Warn once for each module (not scanned before) that holds its own reference to a resolver function.

    Called at the start of every interception: only the modules imported since the last call are read (one set
    difference, in C, finds them), not every module in the process again."""
    new = {name for name in sys.modules.keys() - _scanned if sys.modules.get(name) is not None}
    if not new:
        return
    resolvers = _resolvers()
    for module_name, module in list(sys.modules.items()):  # in import order, as the warnings were
        if module_name not in new:
            continue
        _scanned.add(module_name)
        if module_name in {"socket", "_socket"} or module_name.startswith("labelf_testkit"):
            continue
        try:
            bound = [(key, resolvers[id(value)]) for key, value in vars(module).items() if id(value) in resolvers]
        except TypeError:  # a module-like object without a __dict__
            continue
        for key, function in bound:
            warnings.warn(
                InterceptionWarning(
                    f"labelf-testkit: module {module_name!r} holds its own reference to socket.{function} (as "
                    f"{module_name}.{key}, e.g. `from socket import {function}`), bound before interception "
                    "started: names it resolves through it are out of interception's reach and may reach the "
                    f"network. Call socket.{function}(...) through the module instead. {_GUIDE}"
                ),
                stacklevel=2,
            )


def subprocess_patches() -> list[_Patch]:
    """Warn when a subprocess is started with a Labelf host name in its arguments while intercepting."""
    original = subprocess.Popen.__init__

    def __init__(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
        route = current()
        if route is not None:
            words = [args] if isinstance(args, str | bytes) else list(args) if isinstance(args, list | tuple) else []
            text = " ".join(w.decode("utf-8", "replace") if isinstance(w, bytes) else str(w) for w in words)
            named = sorted(host for host in route.hosts if host in text.lower())
            if named:
                warnings.warn(
                    InterceptionWarning(
                        f"labelf-testkit: a subprocess was started with {', '.join(named)} in its arguments; "
                        "interception does not reach other processes, so its requests go to the real host. Give "
                        f"it labelf_mock.base_url (and labelf_mock.ca_bundle for https) instead. {_GUIDE}"
                    ),
                    stacklevel=2,
                )
        original(self, args, *rest, **kwargs)

    return [(subprocess.Popen, "__init__", __init__)]


def truststore_patches() -> list[_Patch]:
    """truststore's system-store check, skipped for Labelf's names on connections verified by the mock's CA."""
    api = sys.modules.get("truststore._api")
    if api is None:
        return []
    original = api.__dict__["_verify_peercerts"]
    if getattr(original, "__labelf_testkit__", False):
        return []

    def _verify_peercerts(sock_or_sslobj: Any, server_hostname: Any) -> Any:
        route = current()
        verified = route is not None and sock_or_sslobj.context is route.servers.client_context()
        if verified and route is not None and route.takes(server_hostname):  # checked against the mock's CA
            return None
        return original(sock_or_sslobj, server_hostname=server_hostname)

    _verify_peercerts.__labelf_testkit__ = True  # type: ignore[attr-defined]
    return [(api, "_verify_peercerts", _verify_peercerts)]
