"""Serve an ASGI app exactly as ``labelf-mock serve`` does (uvicorn, one worker, our socket, no access log).

Usage: python bench/serve.py bare|starlette|mock PORT [h11|httptools|auto]

The third argument picks uvicorn's HTTP parser (``auto``, uvicorn's default, takes httptools when installed).
"""

from __future__ import annotations

import sys

import uvicorn
from bare_app import app as bare_app
from bare_app import starlette_app

from labelf_testkit.mock_server import bind_socket, create_app
from labelf_testkit.mock_server.server import STOP_GRACE_SECONDS, cancellable


def main() -> None:
    """Serve until killed."""
    which, port = sys.argv[1], int(sys.argv[2])
    http = sys.argv[3] if len(sys.argv) > 3 else "auto"
    # The mock wrapped as labelf-mock serve wraps it (a request cancelled at a stop ends quietly).
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
