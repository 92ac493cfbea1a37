"""What ``labelf-mock serve`` does for the control API: where its token comes from, and what it announces.

The token is never printed.  It comes from ``LABELF_MOCK_CONTROL_TOKEN``, or from the file
``--control-token-file`` names (created with a new token from :mod:`secrets`, readable by its owner only, when
it does not exist).  A mock bound beyond loopback always has one: without either, a new one is written to a
file in a fresh private directory, and the banner (and ``--ready-file``) give that file's path.
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..app import MockApp
from ..hosts import LOOPBACK_HOSTS
from .access import ControlAccess, is_loopback_address
from .app import CONTROL_PREFIX, ControlledApp
from .inspector import INSPECTOR
from .sessions import SessionLimits

__all__ = ["CONTROL_TOKEN_ENV", "Control", "ControlToken", "control_token"]

CONTROL_TOKEN_ENV = "LABELF_MOCK_CONTROL_TOKEN"  # noqa: S105 - the variable's name, not a token


@dataclass(frozen=True)
class ControlToken:
    """The token (never in ``repr``) and where the operator reads it."""

    value: str | None
    source: str

    def __repr__(self) -> str:
        return f"ControlToken(source={self.source!r})"


def _binds_loopback(host: str) -> bool:
    return host.strip("[]").lower() in LOOPBACK_HOSTS or is_loopback_address(host.strip("[]"))


def _from_file(path: Path) -> str:
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            raise ValueError(f"The control token in {path} is shorter than 16 characters; write a longer one.")
        return token
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token


def control_token(host: str, token_file: str | None, environ: dict[str, str] | None = None) -> ControlToken:
    """The control token for a mock bound to ``host``: from the environment, the file, a new file when bound
    beyond loopback, or none (loopback peers only)."""
    env = os.environ if environ is None else environ
    if env.get(CONTROL_TOKEN_ENV):
        token = env[CONTROL_TOKEN_ENV]
        if len(token) < 16:
            raise ValueError(f"{CONTROL_TOKEN_ENV} is shorter than 16 characters; use a longer token.")
        return ControlToken(token, f"${CONTROL_TOKEN_ENV}")
    if token_file:
        path = Path(token_file)
        return ControlToken(_from_file(path), str(path))
    if _binds_loopback(host):
        return ControlToken(None, "none (loopback clients only)")
    folder = Path(tempfile.mkdtemp(prefix="labelf-mock-control-"))
    path = folder / "control-token"
    return ControlToken(_from_file(path), str(path))


@dataclass
class Control:
    """The control API as ``labelf-mock serve`` runs it: its token and session limits, and its app once built."""

    token: ControlToken
    limits: SessionLimits
    app: ControlledApp | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Control | None:
        """From ``serve``'s options; ``None`` with ``--no-control``.  ``ValueError``/``OSError`` when the token
        or a limit cannot be used."""
        if not args.control:
            return None
        if args.max_sessions < 0 or args.session_idle_timeout <= 0:
            raise ValueError("--max-sessions takes 0 or more, --session-idle-timeout a positive number of seconds")
        limits = SessionLimits(args.max_sessions, args.session_idle_timeout)
        return cls(control_token(args.host, args.control_token_file), limits)

    def wrap(self, app: MockApp) -> ControlledApp:
        """``app`` behind the control API."""
        self.app = ControlledApp(app, ControlAccess(self.token.value), self.limits)
        return self.app

    def banner(self, base_url: str) -> list[str]:
        """The banner's lines about control: where it is, who may use it, how many sessions are open."""
        who = f"control token in {self.token.source}" if self.token.value else "loopback clients only, no token"
        open_now = self.app.store.open_count if self.app is not None else 0
        return [
            f"  control API:   {base_url}{CONTROL_PREFIX}  ({who})",
            f"  inspector:     {base_url}{CONTROL_PREFIX}{INSPECTOR}  (open it in a browser)",
            f"  sessions:      {open_now} open, at most {self.limits.max_sessions}, closed after "
            f"{self.limits.idle_timeout:g} s idle",
        ]

    def ready(self, base_url: str) -> dict[str, str | None]:
        """What ``--ready-file`` adds: the control URL and the token file (never the token)."""
        token_file = self.token.source if self.token.value and not self.token.source.startswith("$") else None
        return {"control_url": f"{base_url}{CONTROL_PREFIX}", "control_token_file": token_file}
