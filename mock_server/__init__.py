"""A faithful mock of Labelf's auth server (an Ory Hydra) and model API, as a Starlette app.

Import what you need from here (``from labelf_testkit.mock_server import create_app, MockConfig``); the
modules whose names start with ``_`` are internal.
"""

from .api_errors import ApiError
from .app import MockApp, create_app
from .clock import Clock, ManualClock, SystemClock
from .config import ClientConfig, ConfigError, MockConfig, ModelConfig, load_config
from .faults import DroppedConnection, Fault, FaultKind, FaultPlan
from .journal import Journal, JournalEntry
from .oauth_errors import OAuthError
from .redaction import REDACTED, Redactor, fingerprint
from .routes import (
    API_PREFIX,
    DISCOVERY_PATH,
    ENDPOINTS,
    FAULT_ROUTES,
    OPENAPI_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    Endpoint,
    HostFamily,
    endpoint_for,
    host_of,
    openapi_document,
)
from .server import ServerError, SocketServer, bind_socket
from .state import MockState
from .tls import LoopbackTLS, make_loopback_tls

__all__ = [
    "API_PREFIX",
    "DISCOVERY_PATH",
    "ENDPOINTS",
    "FAULT_ROUTES",
    "OPENAPI_PATH",
    "REDACTED",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "ApiError",
    "ClientConfig",
    "Clock",
    "ConfigError",
    "DroppedConnection",
    "Endpoint",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "HostFamily",
    "Journal",
    "JournalEntry",
    "LoopbackTLS",
    "ManualClock",
    "MockApp",
    "MockConfig",
    "MockState",
    "ModelConfig",
    "OAuthError",
    "Redactor",
    "ServerError",
    "SocketServer",
    "SystemClock",
    "bind_socket",
    "create_app",
    "endpoint_for",
    "fingerprint",
    "host_of",
    "load_config",
    "make_loopback_tls",
    "openapi_document",
]
