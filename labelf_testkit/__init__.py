"""Test code that calls the Labelf API offline: a pytest plugin, in-process transports and interception.

Fixtures (see ``pytest --fixtures``): ``labelf_mock``, ``labelf_intercept``, ``labelf_mock_server``,
``labelf_config``, ``labelf_credentials``, ``labelf_target``, ``labelf_token``, ``labelf_http``.

Importing this package is cheap: each name below is imported from its module on first use, so installing the
kit does not slow down pytest runs that never use it.  The mock itself is :mod:`labelf_testkit.mock_server`;
the contract suite is :mod:`labelf_testkit.contract_tests`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

try:  # the version is written once, in pyproject.toml; installed metadata carries it here
    __version__ = importlib.metadata.version("labelf-testkit")
except importlib.metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from .handle import Credentials, LabelfMock, UnusedFaultsError
    from .interception import (
        BlockedRequestError,
        InterceptionWarning,
        LateRequestWarning,
        UnroutableRequestError,
        intercept,
    )
    from .journal_view import JournalView
    from .mock_server import (
        LABELF_HOSTS,
        AsyncInProcessTransport,
        DroppedConnection,
        Fault,
        InProcessTransport,
        JournalEntry,
        MockConfig,
        ScriptError,
        SocketServer,
        create_app,
        requests_adapter,
    )
    from .remote import RemoteMock, RemoteMockError, connect
    from .route_faults import RouteFaults, TokenFaults
    from .scripting import ModelScript
    from .standalone import RunningMock, serve_mock, start_mock
    from .target import LiveBudgetExceeded, Target

_WHERE = {
    "Credentials": ".handle",
    "LabelfMock": ".handle",
    "UnusedFaultsError": ".handle",
    "LABELF_HOSTS": ".mock_server",
    "BlockedRequestError": ".interception",
    "InterceptionWarning": ".interception",
    "LateRequestWarning": ".interception",
    "UnroutableRequestError": ".interception",
    "intercept": ".interception",
    "JournalView": ".journal_view",
    "DroppedConnection": ".mock_server",
    "Fault": ".mock_server",
    "JournalEntry": ".mock_server",
    "MockConfig": ".mock_server",
    "SocketServer": ".mock_server",
    "create_app": ".mock_server",
    "RouteFaults": ".route_faults",
    "ModelScript": ".scripting",
    "RemoteMock": ".remote",
    "RemoteMockError": ".remote",
    "connect": ".remote",
    "ScriptError": ".mock_server",
    "RunningMock": ".standalone",
    "serve_mock": ".standalone",
    "start_mock": ".standalone",
    "TokenFaults": ".route_faults",
    "LiveBudgetExceeded": ".target",
    "Target": ".target",
    "AsyncInProcessTransport": ".mock_server",
    "InProcessTransport": ".mock_server",
    "requests_adapter": ".mock_server",
}

__all__ = [
    "LABELF_HOSTS",
    "AsyncInProcessTransport",
    "BlockedRequestError",
    "Credentials",
    "DroppedConnection",
    "Fault",
    "InProcessTransport",
    "InterceptionWarning",
    "JournalEntry",
    "JournalView",
    "LabelfMock",
    "LateRequestWarning",
    "LiveBudgetExceeded",
    "MockConfig",
    "ModelScript",
    "RemoteMock",
    "RemoteMockError",
    "RouteFaults",
    "RunningMock",
    "ScriptError",
    "SocketServer",
    "Target",
    "TokenFaults",
    "UnroutableRequestError",
    "UnusedFaultsError",
    "__version__",
    "connect",
    "create_app",
    "intercept",
    "requests_adapter",
    "serve_mock",
    "start_mock",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'labelf_testkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
