"""Not public: what labelf-testkit's own plugin and handles reach inside the mock.

Users import from :mod:`labelf_testkit.mock_server` (its ``__all__``); the names here may change in any release.
They stay importable from :mod:`labelf_testkit.mock_server` too (outside its ``__all__``), as they were before
0.3.  This module exists so the plugin's use of internals is explicit, in one place, and checked (import-linter's
contracts and tests/test_architecture.py).
"""

from __future__ import annotations

from .endpoints import ENDPOINTS, Endpoint, check_route, endpoint_for, fault_routes_of, on_route
from .faults import FaultPlan, retry_after_header
from .journal import CAPTURE_LIMIT, EntryFields, Journal
from .matching import RequestFacts
from .scripts import Scripts
from .state import MockState
from .unused_faults import describe_unused

__all__ = [
    "CAPTURE_LIMIT",
    "ENDPOINTS",
    "Endpoint",
    "EntryFields",
    "FaultPlan",
    "Journal",
    "MockState",
    "RequestFacts",
    "Scripts",
    "check_route",
    "describe_unused",
    "endpoint_for",
    "fault_routes_of",
    "on_route",
    "retry_after_header",
]
