"""A faithful mock of Labelf's auth server (an Ory Hydra) and model API, as a Starlette app.

Import what you need from here (``from labelf_testkit.mock_server import create_app, MockConfig``); ``__all__``
is what a user needs.  Modules whose names start with ``_``, and :mod:`.internal` (what the kit's own plugin
reaches), are internal.  Each name is imported from its module on first use, so reading a light constant does
not load Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

# The public names, once: the lazy loader reads this block to find each name's module.
if TYPE_CHECKING:
    from ._connection_drop import DroppedConnection as DroppedConnection
    from .api_errors import ApiError as ApiError
    from .app import MockApp as MockApp
    from .app import create_app as create_app
    from .clock import Clock as Clock
    from .clock import ManualClock as ManualClock
    from .clock import SystemClock as SystemClock
    from .config import ClientConfig as ClientConfig
    from .config import ConfigError as ConfigError
    from .config import MockConfig as MockConfig
    from .config import ModelConfig as ModelConfig
    from .config import load_config as load_config
    from .control import CONTROL_PREFIX as CONTROL_PREFIX
    from .control import CONTROL_TOKEN_ENV as CONTROL_TOKEN_ENV
    from .endpoints import API_PREFIX as API_PREFIX
    from .endpoints import DISCOVERY_PATH as DISCOVERY_PATH
    from .endpoints import FAULT_ROUTES as FAULT_ROUTES
    from .endpoints import JWKS_PATH as JWKS_PATH
    from .endpoints import OPENAPI_PATH as OPENAPI_PATH
    from .endpoints import REVOKE_PATH as REVOKE_PATH
    from .endpoints import TOKEN_PATH as TOKEN_PATH
    from .endpoints import HostFamily as HostFamily
    from .endpoints import host_of as host_of
    from .faults import Fault as Fault
    from .faults import FaultKind as FaultKind
    from .hosts import AUTH_HOST as AUTH_HOST
    from .hosts import DEFAULT_LIVE_API_URL as DEFAULT_LIVE_API_URL
    from .hosts import DEFAULT_LIVE_AUTH_URL as DEFAULT_LIVE_AUTH_URL
    from .hosts import LABELF_HOSTS as LABELF_HOSTS
    from .hosts import LOOPBACK_HOSTS as LOOPBACK_HOSTS
    from .hosts import NEWER_API_HOST as NEWER_API_HOST
    from .hosts import OLDER_API_HOST as OLDER_API_HOST
    from .hosts import normalize_host as normalize_host
    from .inprocess import AsyncInProcessTransport as AsyncInProcessTransport
    from .inprocess import InProcessTransport as InProcessTransport
    from .inprocess import requests_adapter as requests_adapter
    from .journal import JournalEntry as JournalEntry
    from .matching import MatchArgs as MatchArgs
    from .matching import RequestMatch as RequestMatch
    from .oauth_errors import OAuthError as OAuthError
    from .openapi import openapi_document as openapi_document
    from .recordings import RecordedModel as RecordedModel
    from .recordings import Recording as Recording
    from .recordings import RecordingError as RecordingError
    from .recordings import TextKey as TextKey
    from .recordings import load_recording as load_recording
    from .recordings import render_recording as render_recording
    from .redaction import REDACTED as REDACTED
    from .redaction import Redactor as Redactor
    from .redaction import fingerprint as fingerprint
    from .replay import Replay as Replay
    from .scripts import InferenceScript as InferenceScript
    from .scripts import ModelStatus as ModelStatus
    from .scripts import ScriptError as ScriptError
    from .scripts import SimilarityScript as SimilarityScript
    from .scripts import TextMatcher as TextMatcher
    from .server import ServerError as ServerError
    from .server import SocketServer as SocketServer
    from .server import bind_socket as bind_socket
    from .tls import LoopbackTLS as LoopbackTLS
    from .tls import make_loopback_tls as make_loopback_tls

__getattr__, __dir__ = attach(__name__, __file__, internal=".internal")
