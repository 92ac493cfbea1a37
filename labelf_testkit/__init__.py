"""Test code that calls the Labelf API offline: a pytest plugin, in-process transports and interception.

Fixtures (see ``pytest --fixtures``): ``labelf_mock``, ``labelf_intercept``, ``labelf_mock_server``,
``labelf_config``, ``labelf_credentials``, ``labelf_target``, ``labelf_token``, ``labelf_http``.
"""

from .handle import Credentials, LabelfMock, UnusedFaultsError
from .intercept import LABELF_HOSTS, BlockedRequestError, intercept
from .server import SocketServer
from .target import LiveBudgetExceeded, Target
from .transport import AsyncInProcessTransport, InProcessTransport, requests_adapter

__all__ = [
    "LABELF_HOSTS",
    "AsyncInProcessTransport",
    "BlockedRequestError",
    "Credentials",
    "InProcessTransport",
    "LabelfMock",
    "LiveBudgetExceeded",
    "SocketServer",
    "Target",
    "UnusedFaultsError",
    "intercept",
    "requests_adapter",
]
