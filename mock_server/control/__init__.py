"""The control API: steer a running mock over HTTP (faults, scripts, clock, tokens, journal, verification)
from any language, in sessions of its own.  It sits above the mock and uses the mock's own objects.

``ControlledApp(create_app(config), ControlAccess(token))`` is what ``labelf-mock serve`` serves; the API is
under :data:`CONTROL_PREFIX` and described by :func:`control_openapi` (served at ``/__labelf/openapi.json``).
"""

from __future__ import annotations

from .access import ControlAccess, is_loopback_address
from .app import CONTROL_PREFIX, ControlledApp
from .openapi import control_openapi
from .operator import CONTROL_TOKEN_ENV
from .sessions import DEFAULT_SESSION, Session, SessionLimits, SessionStore

__all__ = [
    "CONTROL_PREFIX",
    "CONTROL_TOKEN_ENV",
    "DEFAULT_SESSION",
    "ControlAccess",
    "ControlledApp",
    "Session",
    "SessionLimits",
    "SessionStore",
    "control_openapi",
    "is_loopback_address",
]
