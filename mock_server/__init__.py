"""A faithful mock of Labelf's auth server (an Ory Hydra) and model API, as a Starlette app.

Import what you need from here (``from labelf_testkit.mock_server import create_app, MockConfig``); the
modules whose names start with ``_`` are internal.  Each name is imported from its module on first use, so
reading a light constant does not load Starlette.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._connection_drop import DroppedConnection
    from .api_errors import ApiError
    from .app import MockApp, create_app
    from .clock import Clock, ManualClock, SystemClock
    from .config import ClientConfig, ConfigError, MockConfig, ModelConfig, load_config
    from .control import CONTROL_PREFIX, CONTROL_TOKEN_ENV
    from .endpoints import (
        API_PREFIX,
        DISCOVERY_PATH,
        ENDPOINTS,
        FAULT_ROUTES,
        JWKS_PATH,
        OPENAPI_PATH,
        REVOKE_PATH,
        TOKEN_PATH,
        Endpoint,
        HostFamily,
        endpoint_for,
        fault_routes_of,
        host_of,
    )
    from .faults import Fault, FaultKind, FaultPlan
    from .hosts import (
        AUTH_HOST,
        DEFAULT_LIVE_API_URL,
        DEFAULT_LIVE_AUTH_URL,
        LABELF_HOSTS,
        LOOPBACK_HOSTS,
        NEWER_API_HOST,
        OLDER_API_HOST,
        normalize_host,
    )
    from .inprocess import AsyncInProcessTransport, InProcessTransport, requests_adapter
    from .journal import Journal, JournalEntry
    from .matching import MatchArgs, RequestFacts, RequestMatch
    from .oauth_errors import OAuthError
    from .openapi import openapi_document
    from .recordings import RecordedModel, Recording, RecordingError, TextKey, load_recording, render_recording
    from .redaction import REDACTED, Redactor, fingerprint
    from .replay import Replay
    from .scripts import InferenceScript, ModelStatus, ScriptError, Scripts, SimilarityScript, TextMatcher
    from .server import ServerError, SocketServer, bind_socket
    from .state import MockState
    from .tls import LoopbackTLS, make_loopback_tls

_WHERE = {
    "CONTROL_PREFIX": ".control",
    "CONTROL_TOKEN_ENV": ".control",
    "AUTH_HOST": ".hosts",
    "NEWER_API_HOST": ".hosts",
    "OLDER_API_HOST": ".hosts",
    "DEFAULT_LIVE_API_URL": ".hosts",
    "DEFAULT_LIVE_AUTH_URL": ".hosts",
    "LABELF_HOSTS": ".hosts",
    "LOOPBACK_HOSTS": ".hosts",
    "normalize_host": ".hosts",
    "AsyncInProcessTransport": ".inprocess",
    "InProcessTransport": ".inprocess",
    "requests_adapter": ".inprocess",
    "API_PREFIX": ".endpoints",
    "ApiError": ".api_errors",
    "ClientConfig": ".config",
    "Clock": ".clock",
    "ConfigError": ".config",
    "DISCOVERY_PATH": ".endpoints",
    "DroppedConnection": "._connection_drop",
    "ENDPOINTS": ".endpoints",
    "Endpoint": ".endpoints",
    "FAULT_ROUTES": ".endpoints",
    "JWKS_PATH": ".endpoints",
    "Fault": ".faults",
    "FaultKind": ".faults",
    "FaultPlan": ".faults",
    "HostFamily": ".endpoints",
    "Journal": ".journal",
    "JournalEntry": ".journal",
    "LoopbackTLS": ".tls",
    "ManualClock": ".clock",
    "MockApp": ".app",
    "MockConfig": ".config",
    "MockState": ".state",
    "ModelConfig": ".config",
    "OAuthError": ".oauth_errors",
    "OPENAPI_PATH": ".endpoints",
    "REDACTED": ".redaction",
    "REVOKE_PATH": ".endpoints",
    "Redactor": ".redaction",
    "ServerError": ".server",
    "SocketServer": ".server",
    "SystemClock": ".clock",
    "TOKEN_PATH": ".endpoints",
    "bind_socket": ".server",
    "create_app": ".app",
    "endpoint_for": ".endpoints",
    "fault_routes_of": ".endpoints",
    "fingerprint": ".redaction",
    "host_of": ".endpoints",
    "load_config": ".config",
    "MatchArgs": ".matching",
    "RequestFacts": ".matching",
    "RequestMatch": ".matching",
    "InferenceScript": ".scripts",
    "ModelStatus": ".scripts",
    "ScriptError": ".scripts",
    "Scripts": ".scripts",
    "SimilarityScript": ".scripts",
    "TextMatcher": ".scripts",
    "make_loopback_tls": ".tls",
    "openapi_document": ".openapi",
    "RecordedModel": ".recordings",
    "Recording": ".recordings",
    "RecordingError": ".recordings",
    "TextKey": ".recordings",
    "load_recording": ".recordings",
    "render_recording": ".recordings",
    "Replay": ".replay",
}

__all__ = [
    "API_PREFIX",
    "AUTH_HOST",
    "CONTROL_PREFIX",
    "CONTROL_TOKEN_ENV",
    "DEFAULT_LIVE_API_URL",
    "DEFAULT_LIVE_AUTH_URL",
    "DISCOVERY_PATH",
    "ENDPOINTS",
    "FAULT_ROUTES",
    "JWKS_PATH",
    "LABELF_HOSTS",
    "LOOPBACK_HOSTS",
    "NEWER_API_HOST",
    "OLDER_API_HOST",
    "OPENAPI_PATH",
    "REDACTED",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "ApiError",
    "AsyncInProcessTransport",
    "ClientConfig",
    "Clock",
    "ConfigError",
    "DroppedConnection",
    "Endpoint",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "HostFamily",
    "InProcessTransport",
    "InferenceScript",
    "Journal",
    "JournalEntry",
    "LoopbackTLS",
    "ManualClock",
    "MatchArgs",
    "MockApp",
    "MockConfig",
    "MockState",
    "ModelConfig",
    "ModelStatus",
    "OAuthError",
    "RecordedModel",
    "Recording",
    "RecordingError",
    "Redactor",
    "Replay",
    "RequestFacts",
    "RequestMatch",
    "ScriptError",
    "Scripts",
    "ServerError",
    "SimilarityScript",
    "SocketServer",
    "SystemClock",
    "TextKey",
    "TextMatcher",
    "bind_socket",
    "create_app",
    "endpoint_for",
    "fault_routes_of",
    "fingerprint",
    "host_of",
    "load_config",
    "load_recording",
    "make_loopback_tls",
    "normalize_host",
    "openapi_document",
    "render_recording",
    "requests_adapter",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
