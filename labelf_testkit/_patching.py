"""The kit's patches: installed while at least one interception holds them, removed when the last one ends.

A patch that someone replaced on top of the kit's meanwhile (``monkeypatch.setattr(socket, "getaddrinfo",
...)`` in a test body, undone after the kit's fixture ended) cannot be removed then; it is removed as soon as
it is back in place (:func:`repair`, which the plugin calls after every test and every interception calls
when it starts).  An attribute the owner only inherited is deleted again, not shadowed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["adopt", "hold", "installed", "release", "repair"]

_Patch = tuple[Any, str, Any]
_ABSENT = object()  # the attribute was inherited, not set on its owner: restoring deletes it

_lock = threading.RLock()
_holders = 0
_installed: list[tuple[Any, str, Any, Any]] = []  # owner, name, original, replacement
_pending: list[tuple[Any, str, Any, Any]] = []
_finders: list[Any] = []  # on sys.meta_path while held  # covered by someone else's patch: restored once back in place


def hold(patches: Callable[[], list[_Patch]], finder: Any = None) -> None:
    """One more holder; the first one installs ``patches()``, and ``finder`` first on ``sys.meta_path``."""
    global _holders
    with _lock:
        repair()
        wanted = patches() if _holders == 0 else []  # may raise (a warning turned error): nothing held then
        _holders += 1
        for owner, name, replacement in wanted:
            _install(owner, name, replacement)
        if finder is not None and _holders == 1:
            sys.meta_path.insert(0, finder)
            _finders.append(finder)


def release() -> None:
    """One holder fewer; the last one removes every patch (or leaves it pending, see :func:`repair`)."""
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0:
            for finder in _finders:
                if finder in sys.meta_path:
                    sys.meta_path.remove(finder)
            _finders.clear()
            for entry in reversed(_installed):
                if not _restore(*entry):
                    _pending.append(entry)
            _installed.clear()


def adopt(patches: list[_Patch]) -> None:
    """Install more patches while held, for a client imported after interception started."""
    with _lock:
        if _holders:
            for owner, name, replacement in patches:
                _install(owner, name, replacement)


def _install(owner: Any, name: str, replacement: Any) -> None:
    _installed.append((owner, name, owner.__dict__.get(name, _ABSENT), replacement))
    setattr(owner, name, replacement)


def _restore(owner: Any, name: str, original: Any, replacement: Any) -> bool:
    """Put ``original`` back if the kit's ``replacement`` is what is installed; whether it was."""
    if owner.__dict__.get(name, _ABSENT) is not replacement:
        return False
    if original is _ABSENT:
        delattr(owner, name)
    else:
        setattr(owner, name, original)
    return True


def repair(final: bool = False) -> None:
    """Remove the kit's patches that were covered by someone else's when interception ended and are back in
    place now.  ``final`` (the plugin, once every fixture of a test has ended): forget the others, which
    whoever covered them has put away for good."""
    with _lock:
        still = [entry for entry in reversed(_pending) if not _restore(*entry)][::-1]
        _pending[:] = [] if final else still


def installed() -> list[str]:
    """What of the kit is installed right now, as ``owner.attribute`` names (empty when nothing is): patches
    held by an active interception, and patches still covered by someone else's."""
    with _lock:
        found = [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name, _, _ in _installed + _pending]
        return found + [f"sys.meta_path: {finder!r}" for finder in sys.meta_path if finder in _finders]
