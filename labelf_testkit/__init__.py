"""Test code that calls the Labelf API offline: a pytest plugin, in-process transports and interception.

Fixtures (see ``pytest --fixtures``): ``labelf_mock``, ``labelf_intercept``, ``labelf_mock_server``,
``labelf_config``, ``labelf_credentials``, ``labelf_target``, ``labelf_token``, ``labelf_http``.

Importing this package is cheap: each name below is imported from its module on first use, so installing the
kit does not slow down pytest runs that never use it.  The mock itself is :mod:`labelf_testkit.mock_server`;
the contract suite is :mod:`labelf_testkit.contract_tests`.
"""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING

from .mock_server._lazy import attach

try:  # the version is written once, in pyproject.toml; installed metadata carries it here
    __version__ = importlib.metadata.version("labelf-testkit")
except importlib.metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"

# The public names, once: the lazy loader reads this block to find each name's module.
if TYPE_CHECKING:
    from .handle import Credentials as Credentials
    from .handle import LabelfMock as LabelfMock
    from .handle import UnusedFaultsError as UnusedFaultsError
    from .interception import BlockedRequestError as BlockedRequestError
    from .interception import InterceptionWarning as InterceptionWarning
    from .interception import LateRequestWarning as LateRequestWarning
    from .interception import UnroutableRequestError as UnroutableRequestError
    from .interception import intercept as intercept
    from .journal_view import JournalView as JournalView
    from .mock_server import AsyncInProcessTransport as AsyncInProcessTransport
    from .mock_server import InProcessTransport as InProcessTransport
    from .mock_server import JournalEntry as JournalEntry
    from .mock_server import MockConfig as MockConfig
    from .mock_server import SocketServer as SocketServer
    from .mock_server import create_app as create_app
    from .mock_server import requests_adapter as requests_adapter
    from .mock_server.internal import LABELF_HOSTS as LABELF_HOSTS
    from .mock_server.internal import DroppedConnection as DroppedConnection
    from .mock_server.internal import Fault as Fault
    from .mock_server.internal import ScriptError as ScriptError
    from .remote import RemoteMock as RemoteMock
    from .remote import RemoteMockError as RemoteMockError
    from .remote import SessionClosedError as SessionClosedError
    from .remote import connect as connect
    from .route import PlannedFault as PlannedFault
    from .route import Route as Route
    from .route import RouteFaults as RouteFaults
    from .route import TokenFaults as TokenFaults
    from .route import TokenRoute as TokenRoute
    from .scripting import ModelScript as ModelScript
    from .standalone import RunningMock as RunningMock
    from .standalone import serve_mock as serve_mock
    from .standalone import start_mock as start_mock
    from .target import LiveBudgetExceeded as LiveBudgetExceeded
    from .target import Target as Target

__getattr__, __dir__ = attach(__name__, __file__)
