"""``labelf-mock serve``: the mock on a real socket, with uvicorn."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from .app import MockApp, create_app
from .config import (
    API_GENERATIONS,
    TOKEN_FORMATS,
    ClientConfig,
    ConfigError,
    MockConfig,
    load_config,
    parse_client_spec,
)
from .control.operator import Control
from .drift.command import COMMANDS, add_commands
from .endpoints import API_PREFIX, REVOKE_PATH, TOKEN_PATH
from .server import STOP_GRACE_SECONDS, bind_socket, cancellable
from .tls import LoopbackTLS, make_loopback_tls

__all__ = ["main"]

_DOCUMENTED = ClientConfig("CLIENT_ID", "CLIENT_SECRET")


def _port(text: str) -> int:
    """``--port``'s value: a TCP port number, 0 to 65535 (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected a number from 0 to 65535") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: expected a number from 0 to 65535 (0 picks a free one)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labelf-mock", description="A faithful mock of the Labelf API.")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {importlib.metadata.version('labelf-testkit')}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the mock over HTTP(S) with uvicorn")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=_port, default=8080, help="port to bind; 0 picks a free one (default: 8080)")
    serve.add_argument("--config", metavar="FILE", help="TOML or JSON configuration file")
    serve.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="register a client (repeatable; split at the first ':'); replaces the default client",
    )
    serve.add_argument("--expires-in", type=int, metavar="SECONDS", help="token lifetime reported as expires_in")
    serve.add_argument(
        "--token-format",
        choices=TOKEN_FORMATS,
        help="access tokens as Hydra's opaque ory_at_ tokens (default) or RS256 JWTs (JWKS at /.well-known/jwks.json)",
    )
    serve.add_argument(
        "--api-generation",
        choices=API_GENERATIONS,
        help="model API response shapes when the host does not pick them: older (default, the official client's) "
        "or newer (labelf.ai/resources/developers)",
    )
    serve.add_argument(
        "--recording",
        action="append",
        default=[],
        metavar="FILE",
        help="answer from a recording of live answers (labelf-mock record); repeatable, the last one wins a text",
    )
    serve.add_argument(
        "--recording-strict",
        action="store_true",
        default=None,
        help="a text no recording holds answers 400 TEXT_NOT_RECORDED (default: its deterministic answer)",
    )
    serve.add_argument("--tls", action="store_true", help="serve https with a certificate from a throwaway CA")
    serve.add_argument("--tls-dir", metavar="DIR", help="where --tls writes its CA bundle and certificate")
    serve.add_argument(
        "--access-log", action=argparse.BooleanOptionalAction, default=True, help="log each request (default: on)"
    )
    serve.add_argument(
        "--ready-file",
        metavar="FILE",
        help="write {base_url, port, ca_bundle, control_url, control_token_file} as JSON once listening",
    )
    serve.add_argument(
        "--control",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the control API under /__labelf (default: on; loopback clients only unless a token is set)",
    )
    serve.add_argument(
        "--control-token-file",
        metavar="FILE",
        help="the control API's token: read from FILE, or a new one written there (owner-readable); required "
        "of every control request.  Also LABELF_MOCK_CONTROL_TOKEN",
    )
    serve.add_argument("--max-sessions", type=int, default=200, metavar="N", help="open control sessions at most")
    serve.add_argument(
        "--session-idle-timeout", type=float, default=600.0, metavar="SECONDS", help="close a session idle this long"
    )
    add_commands(commands)
    return parser


def _config(args: argparse.Namespace) -> MockConfig:
    config = load_config(args.config)
    if args.client:
        config = replace(config, clients=tuple(parse_client_spec(spec) for spec in args.client))
    if args.expires_in is not None:
        config = replace(config, expires_in=args.expires_in)
    if args.token_format is not None:
        config = replace(config, token_format=args.token_format)
    if args.api_generation is not None:
        config = replace(config, api_generation=args.api_generation)
    if args.recording:
        config = replace(config, recordings=(*config.recordings, *args.recording))
    if args.recording_strict:
        config = replace(config, recording_strict=True)
    return config


def _credentials_line(client: ClientConfig) -> str:
    # The documented example credentials are public; any other secret is never printed.
    shown = client.client_secret if client == _DOCUMENTED else "(as configured, not shown)"
    return f"  client id:     {client.client_id}\n  client secret: {shown}"


def _banner(base_url: str, config: MockConfig, tls: LoopbackTLS | None, control: Control | None) -> str:
    lines = [
        f"labelf-mock serving on {base_url}",
        f"  token URL:     {base_url}{TOKEN_PATH}",
        f"  revoke URL:    {base_url}{REVOKE_PATH}",
        f"  API base:      {base_url}{API_PREFIX}",
        *(_credentials_line(client) for client in config.clients),
        *(f"  recording:     {path}" for path in config.recordings),
    ]
    if control is not None:
        lines += control.banner(base_url)
    if tls is not None:
        lines.append(f"  CA bundle:     {tls.ca_bundle}  (trust it: REQUESTS_CA_BUNDLE / SSL_CERT_FILE / --cacert)")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server that runs ``on_serving`` once its listening socket really accepts connections."""

    def __init__(self, config: uvicorn.Config, on_serving: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_serving = on_serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_serving()


def _announce(
    base_url: str,
    port: int,
    config: MockConfig,
    tls: LoopbackTLS | None,
    ready_file: str | None,
    control: Control | None,
) -> None:
    print(_banner(base_url, config, tls, control), flush=True)
    if ready_file:
        ready = {
            "base_url": base_url,
            "port": port,
            "ca_bundle": str(tls.ca_bundle) if tls else None,
            **(control.ready(base_url) if control is not None else {"control_url": None, "control_token_file": None}),
        }
        _write_atomically(Path(ready_file), json.dumps(ready))


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees no file or the whole file, never part of it: a temporary file
    in the same directory (same file system), then ``os.replace`` (atomic on POSIX and Windows)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666: the umask applies, so the file gets the permissions Path.write_text would give it.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _uvicorn_config(app: ASGIApp, args: argparse.Namespace, tls: LoopbackTLS | None) -> uvicorn.Config:
    config = uvicorn.Config(
        cancellable(app),
        access_log=args.access_log,
        log_level="info" if args.access_log else "warning",
        ssl_certfile=str(tls.cert_chain) if tls else None,
        ssl_keyfile=str(tls.private_key) if tls else None,
        lifespan="off",
        server_header=False,  # Hydra sends no Server header
        timeout_graceful_shutdown=STOP_GRACE_SECONDS,  # a half-sent request must not keep a stop waiting
    )
    config.load()  # builds the TLS context now, so a bad certificate fails before anything is announced
    return config


def serve(args: argparse.Namespace) -> int:
    """Bind, serve, and print where to connect (and write ``--ready-file``) once serving; until SIGINT/SIGTERM.

    Without ``--tls-dir``, the temporary directory holding the TLS key is removed at exit.
    """
    try:
        config = _config(args)
        app = create_app(config)  # loads the recordings: a bad one is refused before anything listens
    except ConfigError as exc:
        print(f"labelf-mock: {exc}", file=sys.stderr)
        return 2
    tls = make_loopback_tls(args.tls_dir) if args.tls else None
    try:
        return _serve(args, app, tls)
    finally:
        if tls is not None and not args.tls_dir:
            shutil.rmtree(tls.ca_bundle.parent, ignore_errors=True)


def _serve(args: argparse.Namespace, app: MockApp, tls: LoopbackTLS | None) -> int:
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"labelf-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    with sock:
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        base_url = f"{'https' if tls else 'http'}://{host}:{port}"
        config = app.mock.config
        app.mock.served_at(base_url)  # discovery's issuer unless the config names one
        try:
            control = Control.from_args(args)
        except (OSError, ValueError) as exc:
            print(f"labelf-mock: control API: {exc}", file=sys.stderr)
            return 2
        served: ASGIApp = control.wrap(app) if control is not None else app
        try:
            uvicorn_config = _uvicorn_config(served, args, tls)
        except (OSError, ssl.SSLError) as exc:
            print(f"labelf-mock: cannot serve https with {tls.cert_chain if tls else '?'}: {exc}", file=sys.stderr)
            return 1
        server = _AnnouncingServer(
            uvicorn_config, lambda: _announce(base_url, port, config, tls, args.ready_file, control)
        )
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal into the handler that was
        # installed before it started; a no-op handler there makes a requested stop exit with status 0.
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: None)
        server.run(sockets=[sock])
        return 0 if server.started else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``labelf-mock`` command."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve" and args.tls_dir and not args.tls:
        parser.error("--tls-dir DIR is where --tls writes its files: add --tls, or leave --tls-dir out")
    if args.command in COMMANDS:
        return COMMANDS[args.command](args)
    return serve(args)


if __name__ == "__main__":  # pragma: no cover - `python -m labelf_testkit.mock_server.cli`
    sys.exit(main())
