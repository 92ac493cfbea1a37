"""Live mode's safety rules, in one place: one request budget for the whole run whatever the process model,
TLS unless the target is on loopback, credentials only from the environment, and a stop (not a cascade of
failures) when the target rejects the credentials or cannot be reached.

The budget is a small file locked around each read-modify-write (``fcntl.flock``, ``msvcrt.locking`` on
Windows).  The first process of a run creates it; pytest-xdist workers get its path through ``workerinput``;
``--forked`` children, reruns (pytest-rerunfailures) and repeats (pytest-repeat) share the process's copy.
So however the run is split, at most ``--labelf-max-live-requests`` requests leave it.  Imports nothing but
pytest and the standard library.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote_plus, urlsplit

import pytest

from .mock_server.internal import is_loopback_host

__all__ = [
    "LIVE_BUDGET",
    "LiveBudgetExceeded",
    "LiveGuard",
    "LiveTargetStopped",
    "RequestBudget",
    "SharedBudget",
    "configure_live",
    "live_budget",
    "on_loopback",
    "require_tls_or_loopback",
    "start_live_run",
    "trust",
]

#: The run's live request budget (set by :func:`configure_live`).
LIVE_BUDGET: pytest.StashKey[RequestBudget] = pytest.StashKey()
_WORKER_KEY = "labelf_live_budget"
_CREDENTIALS = ("LABELF_CLIENT_ID", "LABELF_CLIENT_SECRET")


class LiveBudgetExceeded(RuntimeError):
    """More requests than ``--labelf-max-live-requests`` were about to be sent to a live target."""


class LiveTargetStopped(LiveBudgetExceeded):
    """The live target rejected the credentials or could not be reached: nothing more is sent this run."""


class RequestBudget:
    """A hard cap on requests, counted before each one is sent, and the reason the run stopped (if it did).

    This one lives in memory (one process); :class:`SharedBudget` is the same across processes.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._state: dict[str, Any] = {"spent": 0, "stopped": None}
        self._lock = threading.Lock()

    @contextmanager
    def _update(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            yield self._state

    @property
    def spent(self) -> int:
        """Requests sent so far (by every process of the run, for a shared budget)."""
        with self._update() as state:
            return int(state["spent"])

    @property
    def stopped(self) -> str | None:
        """Why the run stopped sending, or ``None``."""
        with self._update() as state:
            return state["stopped"]  # type: ignore[no-any-return]

    def spend(self, method: str, url: str) -> None:
        """Count one request; refuse it when the run has stopped or the cap is reached."""
        with self._update() as state:
            if state["stopped"]:
                raise LiveTargetStopped(f"not sent: {state['stopped']}")
            if self.limit is not None and state["spent"] >= self.limit:
                raise LiveBudgetExceeded(
                    f"Refusing {method} {urlsplit(url).path}: the cap of {self.limit} live requests "
                    "(--labelf-max-live-requests) is reached."
                )
            state["spent"] += 1

    def spend_request(self, request: Any) -> None:
        """:meth:`spend` for an httpx ``request`` event hook."""
        self.spend(request.method, str(request.url))

    def stop(self, reason: str) -> None:
        """Send nothing more this run; the first reason given is kept."""
        with self._update() as state:
            state["stopped"] = state["stopped"] or reason


class SharedBudget(RequestBudget):
    """A :class:`RequestBudget` kept in a locked file, so every process of a run spends the same one."""

    def __init__(self, limit: int | None, path: str) -> None:
        super().__init__(limit)
        self.path = path

    @classmethod
    def create(cls, limit: int | None) -> SharedBudget:
        """A fresh budget file (the caller removes it at the end of the run)."""
        fd, path = tempfile.mkstemp(prefix="labelf-live-budget-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump({"spent": 0, "stopped": None}, out)
        return cls(limit, path)

    @contextmanager
    def _update(self) -> Iterator[dict[str, Any]]:
        with self._lock, open(self.path, "r+", encoding="utf-8") as handle:
            _lock_file(handle)
            state = json.loads(handle.read() or "{}")
            before = dict(state)
            yield state
            if state != before:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(state))
                handle.flush()
            # Closing the file releases the lock.


def _lock_file(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def on_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (``127.0.0.0/8``, ``::1``, ``localhost``): no proxy can reach it."""
    host = urlsplit(url).hostname
    return bool(host) and is_loopback_host(host or "")


def require_tls_or_loopback(url: str, option: str) -> None:
    """Refuse a live URL that would carry credentials in cleartext: https, or plain http only on loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme != "http" or not on_loopback(url):
        raise pytest.UsageError(
            f"{option}={url}: a live target must use https (plain http is accepted only on loopback, e.g. "
            "http://127.0.0.1:8080), because client credentials and tokens would travel in cleartext."
        )


def trust(ca_bundle: str | None) -> ssl.SSLContext:
    """TLS verification for every client of a live run: the usual CAs (certifi's, as httpx and requests use),
    plus ``--labelf-ca-bundle`` when given.  Verification is never turned off."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def basic_headers(client_id: str, secret: str) -> frozenset[str]:
    """The ``Authorization`` values a client may send for these credentials (RFC 6749 §2.3.1 encoded or not)."""
    pairs = {f"{client_id}:{secret}", f"{quote_plus(client_id)}:{quote_plus(secret)}"}
    return frozenset("Basic " + base64.b64encode(pair.encode()).decode() for pair in pairs)


@dataclass(frozen=True)
class LiveGuard:
    """What every live request goes through, whichever HTTP library sends it: the budget before it, and after
    it the run's verdict on the target (credentials rejected, unreachable) and the tokens it handed out."""

    budget: RequestBudget
    token_url: str
    credentials: frozenset[str]
    learn_token: Callable[[str], None] | None = None
    live: bool = True

    def before(self, method: str, url: str) -> None:
        """Spend one request (raises :class:`LiveBudgetExceeded` / :class:`LiveTargetStopped`)."""
        self.budget.spend(method, url)

    def unreachable(self, url: str, error: BaseException) -> LiveTargetStopped:
        """Stop the run: the target could not be reached at all (connection or TLS failure)."""
        host = urlsplit(url)
        reason = (
            f"the live target {host.scheme}://{host.netloc} is unreachable ({type(error).__name__}: {error}); "
            "check --labelf-auth-url / --labelf-api-url, the network and --labelf-ca-bundle"
        )
        if self.live:
            self.budget.stop(reason)
        return LiveTargetStopped(reason)

    def after(self, method: str, url: str, status: int, authorization: str | None, body: Callable[[], bytes]) -> None:
        """Learn an issued token; stop the run when the configured credentials are refused (401)."""
        if method != "POST" or url.split("?", 1)[0] != self.token_url:
            return
        if status == 200 and self.learn_token is not None:
            try:
                token = json.loads(body()).get("access_token")
            except (ValueError, AttributeError):
                return
            if isinstance(token, str):
                self.learn_token(token)
        elif status == 401 and self.live and authorization in self.credentials:
            reason = (
                f"the live target rejected LABELF_CLIENT_ID / LABELF_CLIENT_SECRET: POST {self.token_url} answered "
                "401 to the documented token request; check the credentials (nothing else was sent)"
            )
            self.budget.stop(reason)
            raise LiveTargetStopped(reason)


def live_budget(config: pytest.Config) -> RequestBudget | None:
    """The run's live budget (``None`` outside live mode)."""
    return config.stash.get(LIVE_BUDGET, None)


def _limit(config: pytest.Config, value: str | None) -> int:
    if value is None or not value.isdigit():
        raise pytest.UsageError(f"--labelf-max-live-requests takes a whole number, got {value!r}")
    return int(value)


def configure_live(
    config: pytest.Config, settings: Callable[[str], str | None], skip_without_credentials: bool
) -> tuple[str, str] | None:
    """Check a live run before it sends anything; set up its shared budget.  Returns the live credentials
    (``None`` when they are missing and ``skip_without_credentials``, ``--labelf-skip-without-credentials``,
    allows that).

    ``settings`` reads a ``--labelf-*`` option by dest name.  Raises :class:`pytest.UsageError` (exit 4,
    one line) for plain http off loopback and for missing credentials.
    """
    for name, option in (("labelf_auth_url", "--labelf-auth-url"), ("labelf_api_url", "--labelf-api-url")):
        require_tls_or_loopback(settings(name) or "", option)
    limit = _limit(config, settings("labelf_max_live_requests"))
    client_id, secret = (os.environ.get(name) for name in _CREDENTIALS)
    if not (client_id and secret) and not skip_without_credentials:
        missing = " and ".join(name for name, value in zip(_CREDENTIALS, (client_id, secret), strict=True) if not value)
        raise pytest.UsageError(
            f"--labelf-target=live needs LABELF_CLIENT_ID and LABELF_CLIENT_SECRET in the environment ({missing} "
            "not set); to skip the live tests instead, pass --labelf-skip-without-credentials."
        )
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and _WORKER_KEY in workerinput:
        path = str(workerinput[_WORKER_KEY])
        if not os.path.exists(path):
            raise pytest.UsageError(
                f"live run: this worker cannot open the run's request budget {path}; live runs need every worker "
                "on this machine (--tx popen)"
            )
        config.stash[LIVE_BUDGET] = SharedBudget(limit, path)
    else:
        budget = SharedBudget.create(limit)
        config.stash[LIVE_BUDGET] = budget
        config.add_cleanup(lambda: _remove(budget.path))
    config.pluginmanager.register(LiveRunHooks(config), "labelf-live")
    return (client_id, secret) if client_id and secret else None


def start_live_run(config: pytest.Config) -> None:
    """Live mode's part of ``pytest_configure``: :func:`configure_live` with the run's ``--labelf-*`` settings,
    and the live credentials redacted from the run's output."""
    from ._redaction_hooks import redactor
    from .options import enabled, setting

    credentials = configure_live(
        config, lambda name: setting(config, name), enabled(config, "labelf_skip_without_credentials")
    )
    if credentials is not None:
        redactor(config).add_credentials(*credentials)


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)


class LiveRunHooks:
    """Hands the budget to xdist workers and ends the run once the target has been found unusable."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.session: pytest.Session | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: every worker spends this run's budget file."""
        budget = live_budget(self.config)
        if isinstance(budget, SharedBudget):
            node.workerinput[_WORKER_KEY] = budget.path

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Remember the session, to stop it."""
        self.session = session

    def pytest_runtest_logreport(self) -> None:
        """After any test (here, on xdist's controller, or in the parent of a ``--forked`` child): stop the
        run once the target was found unusable, with that reason as pytest's one "Interrupted" line."""
        budget = live_budget(self.config)
        reason = budget.stopped if budget is not None else None
        if reason is None or self.session is None:
            return
        self.session.shouldstop = f"labelf live run stopped: {reason}"
        dsession = self.config.pluginmanager.get_plugin("dsession")  # xdist's controller keeps its own flag
        if dsession is not None:
            dsession.shouldstop = self.session.shouldstop
