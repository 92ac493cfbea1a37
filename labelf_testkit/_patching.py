"""The kit's patches: installed while at least one holder holds them, removed when the last one lets go.

A patch that someone replaced on top of the kit's meanwhile (``monkeypatch.setattr(socket, "getaddrinfo",
...)`` in a test body, undone after the kit's fixture ended) cannot be removed then; it is removed as soon as
it is back in place (:meth:`PatchSet.repair`, which the plugin calls after every test and every holder calls
when it starts).  An attribute the owner only inherited is deleted again, not shadowed.

Two sets exist: interception's (:data:`INTERCEPTION`), and the late-request guard's (:data:`LATE_GUARD`, a
``connect`` observer held by ``labelf_mock`` while threads a finished test left running are alive).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["INTERCEPTION", "LATE_GUARD", "PatchSet", "adopt", "hold", "installed", "release", "repair"]

_Patch = tuple[Any, str, Any]
_Entry = tuple[Any, str, Any, Any]  # owner, name, original, replacement
_ABSENT = object()  # the attribute was inherited, not set on its owner: restoring deletes it


class PatchSet:
    """Patches installed by the first holder and removed by the last."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._holders = 0
        self._installed: list[_Entry] = []
        self._pending: list[_Entry] = []  # covered by someone else's patch: restored once back in place
        self._finders: list[Any] = []  # on sys.meta_path while held

    def hold(self, patches: Callable[[], list[_Patch]], finder: Any = None) -> None:
        """One more holder; the first one installs ``patches()``, and ``finder`` first on ``sys.meta_path``."""
        with self._lock:
            self.repair()
            wanted = patches() if self._holders == 0 else []  # may raise (a warning turned error): nothing held
            self._holders += 1
            for owner, name, replacement in wanted:
                self._install(owner, name, replacement)
            if finder is not None and self._holders == 1:
                sys.meta_path.insert(0, finder)
                self._finders.append(finder)

    def release(self) -> None:
        """One holder fewer; the last one removes every patch (or leaves it pending, see :meth:`repair`)."""
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                for finder in self._finders:
                    if finder in sys.meta_path:
                        sys.meta_path.remove(finder)
                self._finders.clear()
                for entry in reversed(self._installed):
                    if not _restore(*entry):
                        self._pending.append(entry)
                self._installed.clear()

    def adopt(self, patches: list[_Patch]) -> None:
        """Install more patches while held, for a client imported after the holder started."""
        with self._lock:
            if self._holders:
                for owner, name, replacement in patches:
                    self._install(owner, name, replacement)

    def _install(self, owner: Any, name: str, replacement: Any) -> None:
        self._installed.append((owner, name, owner.__dict__.get(name, _ABSENT), replacement))
        setattr(owner, name, replacement)

    def repair(self, final: bool = False) -> None:
        """Remove the patches that were covered by someone else's when released and are back in place now.
        ``final`` (the plugin, once every fixture of a test has ended): forget the others, which whoever
        covered them has put away for good."""
        with self._lock:
            still = [entry for entry in reversed(self._pending) if not _restore(*entry)][::-1]
            self._pending[:] = [] if final else still

    def installed(self) -> list[str]:
        """What is installed right now, as ``owner.attribute`` names: held patches, and patches still covered
        by someone else's."""
        with self._lock:
            found = [f"{getattr(o, '__name__', o)}.{name}" for o, name, _, _ in self._installed + self._pending]
            return found + [f"sys.meta_path: {finder!r}" for finder in sys.meta_path if finder in self._finders]


def _restore(owner: Any, name: str, original: Any, replacement: Any) -> bool:
    """Put ``original`` back if the kit's ``replacement`` is what is installed; whether it was."""
    if owner.__dict__.get(name, _ABSENT) is not replacement:
        return False
    if original is _ABSENT:
        delattr(owner, name)
    else:
        setattr(owner, name, original)
    return True


INTERCEPTION = PatchSet()
LATE_GUARD = PatchSet()
hold, release, adopt = INTERCEPTION.hold, INTERCEPTION.release, INTERCEPTION.adopt


def repair(final: bool = False) -> None:
    """:meth:`PatchSet.repair` for every set."""
    for patches in (INTERCEPTION, LATE_GUARD):
        patches.repair(final)


def installed() -> list[str]:
    """What of the kit is installed right now, in every set (empty when nothing is)."""
    return INTERCEPTION.installed() + LATE_GUARD.installed()
