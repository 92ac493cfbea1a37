"""``LabelfMock``: what a test holds to steer the mock (faults, clock, journal) and read where it lives."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._addresses import MockAddresses
from .journal_view import JournalView
from .mock_server import MockApp, Recording, load_recording
from .mock_server.internal import FAULT_ROUTES, REDACTED, ManualClock
from .route import JwksRoute, Route, TokenRoute, describe_unused
from .scripting import Scripting

if TYPE_CHECKING:
    from .servers import ConnectionRefusals, RefusedConnection

__all__ = ["Credentials", "LabelfMock", "UnusedFaultsError"]


@dataclass(frozen=True)
class Credentials:
    """A client id and secret; the secret never appears in ``repr`` (so never in pytest's output)."""

    client_id: str
    client_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret='{REDACTED}')"

    @property
    def auth(self) -> tuple[str, str]:
        """``(client_id, client_secret)`` for ``requests``' and ``httpx``'s ``auth=``."""
        return (self.client_id, self.client_secret)


class UnusedFaultsError(AssertionError):
    """A test planned faults that its code never triggered."""


class LabelfMock(MockAddresses, Scripting):
    """The mock as a test sees it; the ``labelf_mock`` fixture gives a fresh one (state reset) per test.

    One :class:`~labelf_testkit.route.Route` per route name of the endpoint table is an attribute: ``token``,
    ``revoke``, ``discovery``, ``jwks``, ``models``, ``inference``, ``similarity``, ``api`` and ``any`` plan
    faults on their route and count its calls; :meth:`route` gives the same handle for a name or an exact path.
    :meth:`model` and :meth:`similarity_score` script answers; ``clock`` moves the mock's time; ``journal``
    lists what the mock received; :meth:`use_recording` answers from recorded live answers.
    """

    __test__ = False

    # One Route per name of FAULT_ROUTES, made in __init__ from the table (tests/plugin check these agree).
    token: TokenRoute
    revoke: Route
    discovery: Route
    jwks: JwksRoute
    models: Route
    inference: Route
    similarity: Route
    api: Route
    any: Route

    def __init__(
        self, app: MockApp, base_url: str, ca_bundle: str | None = None, refusals: ConnectionRefusals | None = None
    ) -> None:
        self.app = app
        #: Where the session's server listens: ``http://127.0.0.1:PORT`` (``https`` with ``--labelf-mock-tls``).
        self.base_url = base_url
        #: With ``--labelf-mock-tls``: the CA bundle to trust for ``base_url`` (verification stays on); else ``None``.
        self.ca_bundle = ca_bundle
        self._refusals = refusals
        state = app.mock
        super().__init__(state.scripts)
        special = {"token": TokenRoute, "jwks": JwksRoute}
        for name in FAULT_ROUTES:
            setattr(self, name, special.get(name, Route)(state, name))
        self.journal = JournalView(state.journal)

    @property
    def credentials(self) -> Credentials:
        """The first configured client (``CLIENT_ID`` / ``CLIENT_SECRET`` by default)."""
        first = self.app.mock.config.clients[0]
        return Credentials(first.client_id, first.client_secret)

    @property
    def clock(self) -> ManualClock:
        """The mock's clock: ``freeze()``, ``advance(seconds)``; reset to wall time after each test."""
        clock = self.app.mock.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("This mock was built with a custom clock; steer that clock directly.")
        return clock

    def route(self, name_or_path: str) -> Route:
        """The handle of a route name (one of ``FAULT_ROUTES``: ``labelf_mock.route("inference")`` is
        ``labelf_mock.inference``) or of an exact path such as ``/v2/models/7/inference``.

        :param name_or_path: the route name, or a path starting with ``/``; anything else is a ``ValueError``
            listing the names.
        """
        if name_or_path in FAULT_ROUTES:
            route: Route = getattr(self, name_or_path)
            return route
        return Route(self.app.mock, name_or_path)

    def use_recording(self, recording: str | Path | Recording, *, strict: bool | None = None) -> Recording:
        """Answer from a recording of live answers (``labelf-mock record``) until the test ends (``reset()``).

        ``recording`` is a file (TOML or JSON; relative to the working directory) or a loaded
        :class:`~labelf_testkit.mock_server.Recording`.  Its models must be configured with its labels.  Scripts
        take precedence; ``strict=True`` makes a text no recording holds a 400 ``TEXT_NOT_RECORDED`` naming the
        nearest recorded texts.  A bad file is a ``RecordingError`` naming it and the field.

        :param recording: a recording file, or a loaded :class:`~labelf_testkit.mock_server.Recording`.
        :param strict: whether a text the recording lacks is an error (``None``: as the recording says).
        """
        loaded = recording if isinstance(recording, Recording) else load_recording(recording)
        state = self.app.mock
        state.replay.use(loaded, state.config, strict)
        return loaded

    def issue_token(self, client_id: str | None = None, expires_in: int | None = None) -> str:
        """A valid access token minted directly, without an HTTP call (not in the journal).

        :param client_id: a configured client's id (``None``: the first client).
        :param expires_in: its lifetime in seconds (``None``: the client's configured one).
        """
        state = self.app.mock
        client = state.config.client(client_id or self.credentials.client_id)
        if client is None:
            raise ValueError(
                f"No client {client_id!r} is configured; configured: {[c.client_id for c in state.config.clients]}"
            )
        return state.issue_token(client, expires_in=expires_in)[0]

    def token_claims(self, token: str) -> dict[str, Any]:
        """What ``token`` says, for assertions: a JWT's verified claims (``iss``, ``sub``, ``aud``, ``exp``,
        ``scp``, ``jti``, …), or for an opaque token ``client_id`` and ``exp``.  Expiry and revocation are not
        checked here; ``ValueError`` if this mock did not issue it.

        :param token: an access token this mock issued.
        """
        tokens = self.app.mock.tokens
        if (signed := tokens.jwt.verify(token)) is not None:
            return dict(signed.claims)
        issued = tokens.decode(token)
        if issued is None:
            raise ValueError("That token was not issued by this mock (or was altered).")
        return {"client_id": issued.client_id, "exp": issued.expires_at}

    def revoke_token(self, token: str) -> None:
        """Revoke ``token`` as its own client would, without an HTTP call.

        :param token: an access token this mock issued (else ``ValueError``).
        """
        state = self.app.mock
        issued = state.tokens.decode(token)
        if issued is None:
            raise ValueError("That token was not issued by this mock.")
        state.tokens.revoke(token, issued.client_id, state.clock.now())

    def unused_faults(self) -> list[str]:
        """Descriptions of planned faults (and connection refusals) that were not (fully) used."""
        refusals = self._refusals.unused() if self._refusals is not None else []
        return [fault.describe() for fault in self.app.mock.faults.unused()] + refusals

    def assert_all_faults_used(self) -> None:
        """Fail, listing them, if any planned fault was never triggered."""
        __tracebackhide__ = True
        unused = self.app.mock.faults.unused()
        refusals = self._refusals.unused() if self._refusals is not None else []
        if unused or refusals:
            listing = "\n".join(
                [describe_unused(unused, self.app.mock.journal.entries())] * bool(unused)
                + [f"  - {r}" for r in refusals]
            )
            raise UnusedFaultsError(
                "These planned faults were never triggered, so the code under test never made those calls "
                "(under a fault with criteria, each request its route received and how it differs):\n"
                f"{listing}\n"
                "Remove them, or turn the check off with @pytest.mark.labelf(assert_all_faults_used=False)."
            )

    def refuse_connections(self, times: int = 1, host: str | None = None) -> None:
        """Refuse the next ``times`` connections to ``host`` (one of Labelf's hosts; any of them by default) made
        through interception: the client's own connect fails with ``ConnectionRefusedError`` (``httpx.ConnectError``,
        urllib3's ``NewConnectionError``), so its connect retries run.  See :attr:`refused_connections`.

        :param times: how many connection attempts to refuse.
        :param host: one of Labelf's hosts, compared as DNS does (``None``: any of them).
        """
        self._connection_refusals().plan(times, host)

    @property
    def refused_connections(self) -> list[RefusedConnection]:
        """Each connection refused so far, as ``(host, port)``: they never reach the server, so not the journal."""
        return list(self._connection_refusals().refused)

    def _connection_refusals(self) -> ConnectionRefusals:
        if self._refusals is None:
            raise RuntimeError("This handle was built without interception's servers; use labelf_intercept.")
        return self._refusals

    def reset(self) -> None:
        """Clean slate: wall clock, no revocations, faults, scripts, journal or lifetime override."""
        self.app.mock.reset()
        if self._refusals is not None:
            self._refusals.reset()

    def __repr__(self) -> str:
        return f"<LabelfMock {self.base_url} faults={len(self.app.mock.faults)} requests={len(self.journal)}>"
