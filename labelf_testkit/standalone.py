"""The mock outside pytest: unittest suites, scripts and notebooks.

Two ways in, both giving the handle the ``labelf_mock`` fixture gives (:class:`~labelf_testkit.LabelfMock`:
faults, scripted answers, clock, journal, call counts, ``base_url``, ``credentials``):

- ``with serve_mock() as labelf:`` — started on entry, stopped (threads joined, sockets closed) on exit;
- ``labelf = start_mock()`` … ``labelf.stop()`` — for ``setUpClass`` / ``tearDownClass``.

With ``intercept=True``, every connection to Labelf's production hosts from any HTTP client in the process
goes to the mock, as with the ``labelf_intercept`` fixture (:func:`labelf_testkit.intercept`); otherwise point
your code at ``labelf.base_url``.  Between tests call ``labelf.reset()``, which the fixtures do for you.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType

from .handle import LabelfMock
from .interception import intercept as intercepting
from .mock_server import MockConfig, create_app, load_config
from .mock_server.internal import LABELF_HOSTS
from .servers import MockServers

__all__ = ["RunningMock", "serve_mock", "start_mock"]


class RunningMock(LabelfMock):
    """A :class:`LabelfMock` whose servers this process started; :meth:`stop` ends them (and interception)."""

    def __init__(self, servers: MockServers, *, tls: bool, stack: ExitStack) -> None:
        server = servers.secure() if tls else servers.plain()
        ca_bundle = str(server.tls.ca_bundle) if server.tls else None
        super().__init__(servers.app, server.base_url, ca_bundle, servers.refusals)
        self._servers = servers
        self._stack = stack

    def reset(self) -> None:
        """Clean slate for the next test: requests still unanswered are dropped, then state is reset."""
        self._servers.drop_in_flight()
        super().reset()

    def stop(self) -> None:
        """End interception (if on) and stop the servers; calling it again does nothing."""
        self._stack.close()

    def __enter__(self) -> RunningMock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def start_mock(
    config: MockConfig | None = None, *, intercept: bool = False, block_other_hosts: bool = False, tls: bool = False
) -> RunningMock:
    """Start the mock on loopback and return its handle; call ``stop()`` when done.

    ``config`` defaults to what ``labelf-mock serve`` would serve (``LABELF_MOCK_CONFIG``, ``LABELF_MOCK_*``).
    ``intercept=True`` routes Labelf's production hosts to it (``block_other_hosts=True`` also refuses every
    other non-loopback host with ``BlockedRequestError``); ``tls=True`` makes ``base_url`` https, trusted
    through ``ca_bundle``.
    """
    if block_other_hosts and not intercept:
        raise ValueError("block_other_hosts=True needs intercept=True: only interception can refuse other hosts.")
    servers = MockServers(create_app(config if config is not None else load_config()))
    stack = ExitStack()
    stack.callback(servers.stop)  # registered first, so it runs last: after interception is released
    try:
        if intercept:
            stack.enter_context(intercepting(servers, LABELF_HOSTS, block_other_hosts=block_other_hosts))
        return RunningMock(servers, tls=tls, stack=stack)
    except BaseException:
        stack.close()
        raise


@contextmanager
def serve_mock(
    config: MockConfig | None = None, *, intercept: bool = False, block_other_hosts: bool = False, tls: bool = False
) -> Iterator[RunningMock]:
    """``with serve_mock(...) as labelf:`` — :func:`start_mock` on entry, ``stop()`` on exit."""
    mock = start_mock(config, intercept=intercept, block_other_hosts=block_other_hosts, tls=tls)
    try:
        yield mock
    finally:
        mock.stop()
