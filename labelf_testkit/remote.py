"""``connect(url, token=…)``: the ``labelf_mock`` handle for a mock running in another process or container.

The handle opens a control session of its own on a ``labelf-mock serve`` (its own client id, secret and API
key; its own faults, scripts, model states, clock and journal) and steers it through the control API, with the
same methods as the in-process handle.  What cannot cross a process boundary says so: a predicate as a text
matcher or ``match_json``, connection refusals (a connection is refused before the mock can tell whose it is).
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Unpack

from ._addresses import MockAddresses
from ._control_client import ControlClient, RemoteMockError, SessionClosedError
from .handle import Credentials, UnusedFaultsError
from .mock_server import ModelConfig, Recording, RecordingError, load_recording, render_recording
from .mock_server.internal import CONTROL_TOKEN_ENV, FAULT_ROUTES, MatchArgs, ScriptError
from .remote_faults import RemoteJwksRoute, RemoteRouteFaults, RemoteTokenFaults
from .remote_journal import RemoteJournal, criteria

__all__ = ["RemoteClock", "RemoteMock", "RemoteMockError", "RemoteModelScript", "SessionClosedError", "connect"]

TextMatcherLike = str | re.Pattern[str]
#: Why a remote handle cannot refuse connections, and what to use instead.
REFUSAL_IS_LOCAL = (
    "A remote mock cannot refuse connections for one session: a connection is refused before any byte is sent, so "
    "the mock cannot tell whose it is, and its one listening socket serves every session (refusing there would "
    "refuse every session's connections). Use drop() on a route (labelf_mock.token.drop(): the connection is "
    "closed without an answer, for this session only), or run the test locally with labelf_intercept, where "
    "refuse_connections() fails the connections of this process."
)
_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))


def _matcher(value: object, name: str) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
        return {"pattern": value.pattern, "flags": "".join(letter for flag, letter in _FLAGS if value.flags & flag)}
    if callable(value):
        raise ScriptError(
            f"{name}: a callable ({getattr(value, '__name__', type(value).__name__)}) cannot be sent to a mock in "
            "another process; use an exact text or a compiled pattern, matched with re.search "
            "(re.compile(r'refund', re.IGNORECASE))."
        )
    raise ScriptError(f"{name}: a remote mock takes exact texts and compiled patterns, not {value!r}")


def _matchers(texts: object, name: str) -> list[object]:
    items = texts if isinstance(texts, list | tuple) else [texts]
    return [_matcher(item, name) for item in items]


class RemoteClock:
    """The session's clock: ``now()``, ``freeze(at=None)``, ``advance(seconds)``, ``reset()``."""

    def __init__(self, control: ControlClient, session: str) -> None:
        self._control = control
        self._path = f"/sessions/{session}/clock"

    def now(self) -> float:
        """The session's current time, Unix seconds."""
        return float(self._control.call("GET", self._path)["now"])

    @property
    def frozen(self) -> bool:
        """Whether time stands still."""
        return bool(self._control.call("GET", self._path)["frozen"])

    def freeze(self, at: float | None = None) -> None:
        """Stop time at ``at`` (Unix seconds), or now."""
        self._control.call("POST", f"{self._path}/freeze", {"at": at})

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, frozen or not."""
        if seconds < 0:
            raise ValueError(f"advance() takes a non-negative number of seconds, got {seconds!r}")
        self._control.call("POST", f"{self._path}/advance", {"seconds": seconds})

    def reset(self) -> None:
        """Follow the wall clock again."""
        self._control.call("POST", f"{self._path}/reset")


class RemoteModelScript:
    """One configured model of the remote session: ``answer(texts, scores)``, ``archive()``, ``train()``,
    ``remove()``, ``restore()``."""

    __test__ = False

    def __init__(self, control: ControlClient, session: str, config: ModelConfig) -> None:
        self._control = control
        self._path = f"/sessions/{session}/models/{config.model_id}"
        self.config = config

    @property
    def model_id(self) -> str:
        """The model's id, as the API path carries it."""
        return self.config.model_id

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's labels: the only names :meth:`answer` accepts."""
        return self.config.labels

    def answer(
        self,
        texts: TextMatcherLike | Sequence[TextMatcherLike],
        scores: Mapping[str, float],
        *,
        times: int | None = None,
        **match: Unpack[MatchArgs],
    ) -> dict[str, Any]:
        """Give ``texts`` (exact texts or compiled patterns) these ``scores``; ``ScriptError`` naming the model's
        labels for a label it lacks or a score out of range.  Returns the script as the mock shows it."""
        body = {"texts": _matchers(texts, "texts"), "scores": dict(scores), "times": times, **criteria(match)}
        answer: dict[str, Any] = self._control.call("POST", f"{self._path}/answer", body, error=ScriptError)
        return answer

    def _state(self, action: str) -> None:
        self._control.call("POST", f"{self._path}/{action}", error=ScriptError)

    def archive(self) -> None:
        """Archive the model in this session: inference answers 400 "Model is archived"."""
        self._state("archive")

    def train(self) -> None:
        """Put the model in training in this session: inference answers 409 ``MODEL_TRAINING``."""
        self._state("train")

    def remove(self) -> None:
        """Remove the model in this session: every call naming it answers 404."""
        self._state("remove")

    def restore(self) -> None:
        """Back to the configured model (scripted answers stay)."""
        self._state("restore")

    def __repr__(self) -> str:
        return f"<RemoteModelScript {self.model_id!r} ({self.config.name}): {', '.join(self.labels)}>"


class RemoteMock(MockAddresses):
    """A remote mock's session, steered like ``labelf_mock``: ``token``, ``revoke``, ``inference``,
    ``similarity``, ``models``, ``api`` and ``any`` plan faults and count calls; :meth:`model` and
    :meth:`similarity_score` script answers; ``clock`` moves the session's time; ``journal`` lists what the
    session received.  :meth:`close` (or leaving a ``with`` block) closes the session."""

    __test__ = False

    token: RemoteTokenFaults
    revoke: RemoteRouteFaults
    discovery: RemoteRouteFaults
    jwks: RemoteJwksRoute
    models: RemoteRouteFaults
    inference: RemoteRouteFaults
    similarity: RemoteRouteFaults
    api: RemoteRouteFaults
    any: RemoteRouteFaults

    def __init__(self, control: ControlClient, opened: Mapping[str, Any], owned: bool = True) -> None:
        self._control = control
        self._owned = owned
        self.session_id: str = opened["id"]
        #: Where the mock serves Labelf's endpoints: ``http://host:port``.
        self.base_url: str = control.base_url
        #: With an https mock: the CA bundle given to :func:`connect`; else ``None``.
        self.ca_bundle: str | None = None
        self._credentials = Credentials(opened["client_id"], opened["client_secret"])
        #: The session's static API key (``lbl_sk_…``), accepted as a bearer credential by the session only.
        self.api_key: str = opened.get("api_key", "")
        #: The mock's ``--session-idle-timeout``: seconds without a request or control call before it closes the
        #: session (:meth:`reset`, :meth:`resume` and :meth:`ensure_open` reopen it).
        self.idle_timeout: float = float(opened.get("expires_after_idle") or 600.0)
        session = self.session_id
        self.journal = RemoteJournal(control, session)
        # One handle per route name of the endpoint table, as on the local handle.
        special: dict[str, type[RemoteRouteFaults]] = {"token": RemoteTokenFaults, "jwks": RemoteJwksRoute}
        for name in FAULT_ROUTES:
            setattr(self, name, special.get(name, RemoteRouteFaults)(control, session, name, self.journal))
        self._clock = RemoteClock(control, session)
        self._models: dict[str, ModelConfig] | None = None

    def _path(self, suffix: str = "") -> str:
        return f"/sessions/{self.session_id}{suffix}"

    @property
    def clock(self) -> RemoteClock:
        """The session's clock: ``now()``, ``freeze(at=None)``, ``advance(seconds)``, ``reset()``."""
        return self._clock

    @property
    def credentials(self) -> Credentials:
        """The session's client: requests with it see only this session's faults, scripts and clock."""
        return self._credentials

    def route(self, name_or_path: str) -> RemoteRouteFaults:
        """Faults for a named route or an exact path such as ``/v2/models/7/inference``."""
        return RemoteRouteFaults(self._control, self.session_id, name_or_path, self.journal)

    def model(self, model_id: str | int) -> RemoteModelScript:
        """Script one configured model for this session; ``ScriptError`` listing the models for an unknown one."""
        if self._models is None:
            views = self._control.call("GET", self._path("/models"))["models"]
            self._models = {v["model_id"]: ModelConfig(v["model_id"], v["name"], tuple(v["labels"])) for v in views}
        config = self._models.get(str(model_id))
        if config is None:
            known = ", ".join(f"{m.model_id!r} ({m.name})" for m in self._models.values())
            raise ScriptError(f"No model {str(model_id)!r} is configured; the configured models are {known}.")
        return RemoteModelScript(self._control, self.session_id, config)

    def similarity_score(
        self,
        *,
        score: float,
        compare: TextMatcherLike | None = None,
        base: TextMatcherLike | None = None,
        compare_id: str | int | None = None,
        base_id: str | int | None = None,
        times: int | None = None,
        **match: Unpack[MatchArgs],
    ) -> dict[str, Any]:
        """Script the similarity of (compare, base) pairs, picked by text or id."""
        body = {
            "score": score,
            "compare": None if compare is None else _matcher(compare, "compare"),
            "base": None if base is None else _matcher(base, "base"),
            "compare_id": compare_id,
            "base_id": base_id,
            "times": times,
            **criteria(match),
        }
        scripted: dict[str, Any] = self._control.call("POST", self._path("/similarity_score"), body, error=ScriptError)
        return scripted

    def issue_token(self, client_id: str | None = None, expires_in: int | None = None) -> str:
        """A valid access token for the session's client, minted without an HTTP call to the token endpoint."""
        issued = self._control.call("POST", self._path("/tokens"), {"client_id": client_id, "expires_in": expires_in})
        return str(issued["access_token"])

    def token_claims(self, token: str) -> dict[str, Any]:
        """What ``token`` says; ``ValueError`` if this session did not issue it."""
        claims: dict[str, Any] = self._control.call("POST", self._path("/tokens/claims"), {"token": token})
        return claims

    def revoke_token(self, token: str) -> None:
        """Revoke ``token`` as its own client would."""
        self._control.call("POST", self._path("/tokens/revoke"), {"token": token})

    def unused_faults(self) -> list[str]:
        """Descriptions of planned faults that were not (fully) used."""
        return [item["fault"] for item in self._control.call("GET", self._path("/unused_faults"))["unused"]]

    def assert_all_faults_used(self) -> None:
        """Fail, listing them and how each request their route received differs, if any fault never fired."""
        __tracebackhide__ = True
        verdict = self._control.call("POST", self._path("/verify/all_faults_used"), verdict=True)
        if verdict["ok"]:
            return
        lines = []
        for item in verdict["unused"]:
            lines.append(f"  - {item['fault']}")
            lines += [
                f"      {r['request']} — {'differs: ' + r['differs'] if r['differs'] else 'matched'}"
                for r in item["received"]
            ]
        raise UnusedFaultsError(
            "These planned faults were never triggered, so the code under test never made those calls:\n"
            + "\n".join(lines)
            + "\nRemove them, or turn the check off with @pytest.mark.labelf(assert_all_faults_used=False)."
        )

    def use_recording(self, recording: str | Path | Recording, *, strict: bool | None = None) -> Recording:
        """Answer this session from a recording of live answers (``labelf-mock record``) until :meth:`reset`, as
        ``labelf_mock.use_recording`` does: the file (TOML or JSON, relative to the working directory) is read
        and checked here, then sent to the mock (``POST …/recordings``).  A bad file, or a model whose labels
        differ from the mock's, is a ``RecordingError`` naming the field.  A recording of keyed hashes
        (``--redact-texts``) needs ``LABELF_RECORDING_KEY`` here and where the mock runs."""
        if isinstance(recording, Recording):
            loaded, body, kind = recording, render_recording(recording, json_format=True).encode(), "application/json"
        else:
            loaded = load_recording(recording)
            body = Path(recording).read_bytes()
            kind = "application/json" if Path(recording).suffix.lower() == ".json" else "application/toml"
        params = {"name": Path(loaded.source).name}
        if strict is not None:
            params["strict"] = "true" if strict else "false"
        path = self._path("/recordings")
        self._control.call("POST", path, params=params, content=(body, kind), error=RecordingError)
        self._models = None  # the recording may bring models the mock did not serve
        return loaded

    def refuse_connections(self, times: int = 1, host: str | None = None) -> None:
        """Not available remotely: see :data:`REFUSAL_IS_LOCAL`."""
        raise RuntimeError(REFUSAL_IS_LOCAL)

    @property
    def refused_connections(self) -> list[Any]:
        """Not available remotely: see :data:`REFUSAL_IS_LOCAL`."""
        raise RuntimeError(REFUSAL_IS_LOCAL)

    def reset(self) -> None:
        """Clean slate: wall clock, no revocations, faults, scripts, recordings, journal or lifetime override.  A
        session the mock closed after its idle timeout is reopened, with the same id and credentials (a reopened
        session is a clean slate): see :meth:`resume`."""
        self._models = None  # models a recording brought are gone
        try:
            self._control.call("POST", self._path("/reset"))
        except SessionClosedError:
            self.resume()

    def ensure_open(self) -> bool:
        """Make sure the session is open before requests are sent with its credentials: when more than half the
        mock's idle timeout has passed since this handle's last control call, :meth:`resume` it (one control
        call; none otherwise).  Whether it had to be reopened.  The plugin calls it before each test."""
        if time.monotonic() - self._control.last_call <= self.idle_timeout / 2:
            return False
        return self.resume()

    def resume(self) -> bool:
        """Reopen this session if the mock closed it (idle for longer than its ``--session-idle-timeout``, or
        closed through the control API), with the same id, credentials and API key, so tokens fetched before
        work again; whether it had to.  A reopened session starts from a clean slate: what was planned in it
        before is gone.  ``RemoteMockError`` if the mock restarted since (its sessions cannot be resumed)."""
        body = {"client_secret": self._credentials.client_secret}
        return bool(self._control.call("POST", self._path("/resume"), body, error=RemoteMockError)["resumed"])

    def close(self) -> None:
        """Close the session (its credentials stop working) and the connections; calling it again does nothing."""
        if self._owned:
            self._owned = False
            with contextlib.suppress(RemoteMockError, ValueError):  # already closed or expired: nothing to close
                self._control.call("DELETE", self._path())
        self._control.close()

    def __enter__(self) -> RemoteMock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RemoteMock {self.base_url} session {self.session_id}>"


def connect(url: str, token: str | None = None, *, ca_bundle: str | None = None) -> RemoteMock:
    """A handle on the ``labelf-mock serve`` at ``url``, in a new session of its own.

    ``token`` is the mock's control token, if it has one (default: ``$LABELF_MOCK_CONTROL_TOKEN``).  ``ca_bundle``
    verifies an https mock's certificate (``labelf-mock serve --tls`` prints it); verification is never off.
    """
    base = url.rstrip("/").removesuffix("/__labelf")
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
    control = ControlClient(base, token if token is not None else os.environ.get(CONTROL_TOKEN_ENV) or None, verify)
    try:
        opened = control.call("POST", "/sessions", error=RemoteMockError)
    except BaseException:
        control.close()
        raise
    handle = RemoteMock(control, opened)
    handle.ca_bundle = ca_bundle
    return handle
