"""Not public: what labelf-testkit's own plugin and handles reach inside the mock.

Users import from :mod:`labelf_testkit.mock_server` (its ``__all__``); the names here may change in any release.
Each is importable from :mod:`labelf_testkit.mock_server` too (outside its ``__all__``): the ones that were
public before 0.3 keep working where a user's code imports them.  This module exists so the plugin's use of
internals is explicit, in one place, and checked (import-linter's contracts and tests/test_architecture.py).
Like the package, it imports each name from its module on first use (the one lazy loader), so a plugin module
that reads a host name does not load Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

# The internal names, once: the lazy loader reads this block to find each name's module.
if TYPE_CHECKING:
    from ._connection_drop import DroppedConnection as DroppedConnection
    from .api_errors import ApiError as ApiError
    from .clock import Clock as Clock
    from .clock import ManualClock as ManualClock
    from .clock import SystemClock as SystemClock
    from .control import CONTROL_PREFIX as CONTROL_PREFIX
    from .control import CONTROL_TOKEN_ENV as CONTROL_TOKEN_ENV
    from .endpoints import API_PREFIX as API_PREFIX
    from .endpoints import DISCOVERY_PATH as DISCOVERY_PATH
    from .endpoints import ENDPOINTS as ENDPOINTS
    from .endpoints import FAULT_ROUTES as FAULT_ROUTES
    from .endpoints import JWKS_PATH as JWKS_PATH
    from .endpoints import OPENAPI_PATH as OPENAPI_PATH
    from .endpoints import REVOKE_PATH as REVOKE_PATH
    from .endpoints import TOKEN_PATH as TOKEN_PATH
    from .endpoints import Endpoint as Endpoint
    from .endpoints import HostFamily as HostFamily
    from .endpoints import check_route as check_route
    from .endpoints import endpoint_for as endpoint_for
    from .endpoints import fault_routes_of as fault_routes_of
    from .endpoints import host_of as host_of
    from .endpoints import on_route as on_route
    from .faults import Fault as Fault
    from .faults import FaultKind as FaultKind
    from .faults import FaultPlan as FaultPlan
    from .faults import retry_after_header as retry_after_header
    from .hosts import AUTH_HOST as AUTH_HOST
    from .hosts import DEFAULT_LIVE_API_URL as DEFAULT_LIVE_API_URL
    from .hosts import DEFAULT_LIVE_AUTH_URL as DEFAULT_LIVE_AUTH_URL
    from .hosts import LABELF_HOSTS as LABELF_HOSTS
    from .hosts import LOOPBACK_HOSTS as LOOPBACK_HOSTS
    from .hosts import NEWER_API_HOST as NEWER_API_HOST
    from .hosts import OLDER_API_HOST as OLDER_API_HOST
    from .hosts import direct_to_loopback as direct_to_loopback
    from .hosts import ip_address_of as ip_address_of
    from .hosts import is_localhost_name as is_localhost_name
    from .hosts import is_loopback_host as is_loopback_host
    from .hosts import normalize_host as normalize_host
    from .journal import CAPTURE_LIMIT as CAPTURE_LIMIT
    from .journal import EntryFields as EntryFields
    from .journal import Journal as Journal
    from .matching import MatchArgs as MatchArgs
    from .matching import RequestFacts as RequestFacts
    from .matching import RequestMatch as RequestMatch
    from .oauth_errors import OAuthError as OAuthError
    from .openapi import openapi_document as openapi_document
    from .recordings import RecordedModel as RecordedModel
    from .redaction import REDACTED as REDACTED
    from .redaction import Redactor as Redactor
    from .redaction import fingerprint as fingerprint
    from .replay import Replay as Replay
    from .scripts import InferenceScript as InferenceScript
    from .scripts import ModelStatus as ModelStatus
    from .scripts import ScriptError as ScriptError
    from .scripts import Scripts as Scripts
    from .scripts import SimilarityScript as SimilarityScript
    from .scripts import TextMatcher as TextMatcher
    from .server import ServerError as ServerError
    from .server import bind_socket as bind_socket
    from .state import MockState as MockState
    from .tls import LoopbackTLS as LoopbackTLS
    from .tls import make_loopback_tls as make_loopback_tls
    from .unused_faults import describe_unused as describe_unused

__getattr__, __dir__ = attach(__name__, __file__)
