"""Serve an ASGI app exactly as ``labelf-mock serve`` does (uvicorn, one worker, our socket, no access log).

Usage: python bench/serve.py bare|starlette|mock|controlled PORT [h11|httptools|auto] [SESSIONS BASIC_FILE]

The third argument picks uvicorn's HTTP parser (``auto``, uvicorn's default, takes httptools when installed).
``controlled`` is the mock behind its control API with SESSIONS sessions open (default 100); the Basic header of
the first one's client is written to BASIC_FILE, for a load that authenticates as a session.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import uvicorn
from bare_app import app as bare_app
from bare_app import starlette_app

from labelf_testkit.mock_server import bind_socket, create_app
from labelf_testkit.mock_server.control import ControlledApp
from labelf_testkit.mock_server.server import STOP_GRACE_SECONDS, cancellable


def controlled(sessions: int, basic_file: str | None) -> ControlledApp:
    """The mock as labelf-mock serve serves it (control on) with ``sessions`` sessions open."""
    app = ControlledApp(create_app())
    opened = [app.store.open() for _ in range(sessions)]
    if basic_file and opened:
        pair = f"{opened[0].client_id}:{opened[0].client_secret}".encode()
        Path(basic_file).write_text("Basic " + base64.b64encode(pair).decode())
    return app


def main() -> None:
    """Serve until killed."""
    which, port = sys.argv[1], int(sys.argv[2])
    http = sys.argv[3] if len(sys.argv) > 3 else "auto"
    # The mock wrapped as labelf-mock serve wraps it (a request cancelled at a stop ends quietly).
    if which == "controlled":
        sessions = int(sys.argv[4]) if len(sys.argv) > 4 else 100
        app = cancellable(controlled(sessions, sys.argv[5] if len(sys.argv) > 5 else None))
    else:
        app = {"bare": bare_app, "starlette": starlette_app}.get(which) or cancellable(create_app())
    config = uvicorn.Config(
        app,
        access_log=False,
        log_level="warning",
        lifespan="off",
        server_header=False,
        http=http,
        timeout_graceful_shutdown=STOP_GRACE_SECONDS,
    )
    uvicorn.Server(config).run(sockets=[bind_socket("127.0.0.1", port)])


if __name__ == "__main__":
    main()
