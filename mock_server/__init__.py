"""A faithful mock of Labelf's auth server (an Ory Hydra) and model API, as a Starlette app.

Import what you need from here (``from labelf_testkit.mock_server import create_app, MockConfig``); ``__all__``
is what a user needs (the list in the docs' API reference).  Modules whose names start with ``_``, and
:mod:`.internal` (what the kit's own plugin reaches), are internal; the names the package exported before 0.3
that are not in ``__all__`` now are internal too, and still importable from here.  Each name is imported from
its module on first use, so reading a light constant does not load Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

# The public names, once: the lazy loader reads this block to find each name's module.
if TYPE_CHECKING:
    from .app import MockApp as MockApp
    from .app import create_app as create_app
    from .config import ClientConfig as ClientConfig
    from .config import ConfigError as ConfigError
    from .config import MockConfig as MockConfig
    from .config import ModelConfig as ModelConfig
    from .config import load_config as load_config
    from .inprocess import AsyncInProcessTransport as AsyncInProcessTransport
    from .inprocess import InProcessTransport as InProcessTransport
    from .inprocess import requests_adapter as requests_adapter
    from .journal import JournalEntry as JournalEntry
    from .recordings import Recording as Recording
    from .recordings import RecordingError as RecordingError
    from .recordings import TextKey as TextKey
    from .recordings import load_recording as load_recording
    from .recordings import render_recording as render_recording
    from .server import SocketServer as SocketServer

__getattr__, __dir__ = attach(__name__, __file__, internal=".internal")
