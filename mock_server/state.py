"""The mutable part of a running mock: clock, revocations, planned faults and the request journal."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from starlette.requests import Request

from ._tokens import TokenMinter
from .clock import Clock, ManualClock
from .config import ClientConfig, MockConfig
from .faults import FaultPlan
from .hosts import DEFAULT_LIVE_AUTH_URL, LABELF_HOSTS, header_host
from .journal import Journal
from .replay import Replay, load_recordings, serve_recorded_models
from .scripts import Scripts

#: Discovery's issuer, and a JWT's ``iss``, when the mock is reached in-process (no served URL).
IN_PROCESS_ISSUER = DEFAULT_LIVE_AUTH_URL

__all__ = ["MockState", "state_of"]


class MockState:
    """Per-app state, reachable as ``app.state.mock``; ``reset()`` gives a test a clean slate.

    The config's recordings are loaded here (a bad one raises :class:`~.recordings.RecordingError`, a
    ``ConfigError``), and the models they hold that the config lacks are added to ``config``.
    """

    def __init__(self, config: MockConfig) -> None:
        recordings = load_recordings(config.recordings)
        config = serve_recorded_models(config, recordings)
        self.config = config
        #: Recorded live answers (``labelf-mock record``); scripts take precedence over them.
        self.replay = Replay(recordings, strict=config.recording_strict)
        self.clock: Clock = ManualClock()
        self.tokens = TokenMinter(config.token_key, tuple(c.client_id for c in config.clients))
        self.faults = FaultPlan(config.max_body_bytes)
        #: Scripted answers and per-test model states (``labelf_mock.model(2).answer(...)``).
        self.scripts = Scripts(config, self.replay)
        self.journal = Journal(config.journal_size)
        #: Overrides every client's token lifetime while set (the plugin's "token expires after T").
        self.expires_in_override: int | None = None
        #: Texts classified so far, counted against ``config.quota`` (reset with the rest).
        self.quota_used = 0
        self._quota_lock = threading.Lock()
        #: Where the mock is served (``http://127.0.0.1:PORT``), set by whoever serves it: discovery's default
        #: issuer.  ``None`` in-process, where the issuer defaults to Labelf's auth host.
        self.base_url: str | None = None
        self._served: dict[tuple[str, int], str] = {}

    def expires_in(self, client: ClientConfig) -> int:
        """The lifetime of a token issued now to ``client``."""
        return self.expires_in_override or client.expires_in or self.config.expires_in

    def served_at(self, base_url: str, address: tuple[str, int] | None = None) -> None:
        """Record that a server serves this app at ``base_url`` (listening on ``address``, when known)."""
        self.base_url = base_url
        if address is not None:
            self._served[address] = base_url

    def issuer(self, host: str | None = None, server: tuple[str, int] | None = None) -> str:
        """Discovery's ``issuer`` without its trailing ``/`` (Hydra's ``urls.self.issuer``), also a JWT's ``iss``.

        The configured one; else Labelf's auth URL when the request came for one of Labelf's hosts (interception:
        clients that read discovery must stay on the hosts interception routes); else the URL of the server the
        request arrived on (``server``: the ASGI scope's local address; one app may be served on several); else
        (in-process) Labelf's auth URL.  Any other ``Host`` header is never reflected.
        """
        if self.config.issuer:
            return self.config.issuer.rstrip("/")
        if host is not None and header_host(host) in LABELF_HOSTS:
            return IN_PROCESS_ISSUER
        served = self._served.get(server) if server is not None else None
        return (served or self.base_url or IN_PROCESS_ISSUER).rstrip("/")

    def issue_token(
        self,
        client: ClientConfig,
        scopes: Sequence[str] = (),
        audience: Sequence[str] = (),
        expires_in: int | None = None,
        host: str | None = None,
        server: tuple[str, int] | None = None,
    ) -> tuple[str, int]:
        """A new access token for ``client`` in its format (opaque or JWT), and its lifetime in seconds."""
        lifetime = expires_in or self.expires_in(client)
        now = int(self.clock.now())
        if (client.token_format or self.config.token_format) == "jwt":
            token = self.tokens.issue_jwt(
                client.client_id,
                issuer=f"{self.issuer(host, server)}/",
                scopes=scopes,
                audience=audience,
                now=now,
                expires_at=now + lifetime,
            )
        else:
            token = self.tokens.issue(client.client_id, now + lifetime)
        return token, lifetime

    def use_quota(self, texts: int) -> bool:
        """Count ``texts`` against the configured quota; ``False`` (nothing counted) when it would pass it."""
        with self._quota_lock:
            if self.config.quota is not None and self.quota_used + texts > self.config.quota:
                return False
            self.quota_used += texts
            return True

    def on_token_issued(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with every access token this mock issues from now on (kept across ``reset()``)."""
        self.tokens.listeners.append(listener)

    def reset(self) -> None:
        """Back to the wall clock, with no revocations, faults, scripts, per-test recordings, journal or lifetime
        override."""
        if isinstance(self.clock, ManualClock):
            self.clock.reset()
        self.tokens.clear_revocations()
        self.faults.clear()
        self.scripts.clear()
        self.replay.clear()
        self.journal.clear()
        self.expires_in_override = None
        self.quota_used = 0


def state_of(request: Request) -> MockState:
    """The :class:`MockState` of the app serving ``request`` (``app.mock``)."""
    state: MockState = request.app.mock
    return state
