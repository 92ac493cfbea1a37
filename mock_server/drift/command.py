"""The ``labelf-mock drift`` and ``labelf-mock snapshot`` subcommands: options, exit codes, output.

Exit codes of ``drift``: 0 when every finding is accepted by an unexpired baseline entry (or there is none),
1 when there is new drift, 2 for a usage, credential or connection problem, said in one line.
``snapshot`` exits 0 or 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from ..endpoints import REVOKE_PATH, TOKEN_PATH
from ..hosts import DEFAULT_LIVE_API_URL, DEFAULT_LIVE_AUTH_URL
from ..redaction import Redactor
from .baseline import Baseline, classify
from .cases import revoke_request, token_request
from .live import DEFAULT_MAX_REQUESTS, DriftError, LiveCap, LiveService, credentials_from_env, live_url
from .record_command import add_record, add_recording_options, check, record
from .report import summary_lines, write_report
from .runner import DriftOptions, run_drift
from .snapshot import PLACEHOLDER_SECRET, build, read_models, render, token_of

__all__ = ["COMMANDS", "add_commands"]

_README = "see the labelf-testkit docs, 'Drift sentinel' (docs/drift.md)"


def _count(minimum: int) -> Any:
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {text!r}")
        return int(text)

    return parse


def _live_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--live-auth-url",
        default=DEFAULT_LIVE_AUTH_URL,
        help=f"live auth base URL, https or loopback (default: production, {DEFAULT_LIVE_AUTH_URL})",
    )
    parser.add_argument(
        "--live-api-url",
        default=DEFAULT_LIVE_API_URL,
        help=f"live API base URL, https or loopback (default: production, {DEFAULT_LIVE_API_URL})",
    )
    parser.add_argument("--ca-bundle", metavar="FILE", help="an extra CA to trust (verification is never turned off)")
    parser.add_argument(
        "--max-requests",
        type=_count(1),
        default=DEFAULT_MAX_REQUESTS,
        metavar="N",
        help=(
            f"hard cap on requests to the live service, retries included (default {DEFAULT_MAX_REQUESTS}); "
            "drift's calls to its in-process mock are not counted"
        ),
    )


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    # argparse prints the whole usage before its error; these commands run in CI logs, where one line that
    # names the option and the fix reads better.
    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: {message} (see {parser.prog} --help)\n")

    parser.error = error  # type: ignore[method-assign]


def add_commands(commands: Any) -> None:
    """Add ``drift``, ``snapshot`` and ``record`` to ``labelf-mock``'s subcommands (an argparse subparsers object)."""
    env = "credentials from LABELF_CLIENT_ID / LABELF_CLIENT_SECRET; LABELF_MODEL_ID optional"
    drift = commands.add_parser(
        "drift", help="compare the mock with the live service, point by point", description=f"{env}. {_README}."
    )
    _live_options(drift)
    drift.add_argument("--config", metavar="FILE", help="the mock's config (default: a snapshot taken in this run)")
    drift.add_argument("--repeat", type=_count(1), default=1, metavar="K", help="send each live request K times")
    drift.add_argument("--report", metavar="PATH", help="write PATH.md and PATH.json")
    drift.add_argument("--baseline", metavar="FILE", help="accepted findings (JSON), each until a date")
    drift.add_argument("--update-baseline", metavar="FILE", help="accept every current finding into FILE")
    drift.add_argument(
        "--baseline-days", type=_count(0), default=30, metavar="N", help="how long --update-baseline accepts (30)"
    )
    add_recording_options(drift, _count(1))
    snapshot = commands.add_parser(
        "snapshot", help="write the live workspace's models as a mock config", description=f"{env}. {_README}."
    )
    _live_options(snapshot)
    snapshot.add_argument("--out", metavar="FILE", required=True, help="config to write: .json is JSON, else TOML")
    recorder = add_record(commands, _count(0), env)
    _live_options(recorder)
    for parser in (drift, snapshot, recorder):
        _one_line_errors(parser)


def _quiet() -> None:
    # httpx logs every request at INFO; the command prints its own summary instead.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _fail(command: str, exc: DriftError, redactor: Redactor) -> int:
    print(f"labelf-mock {command}: {redactor(str(exc))}", file=sys.stderr)
    return 2


def _drift_options(args: argparse.Namespace, redactor: Redactor) -> DriftOptions:
    client_id, secret = credentials_from_env()
    redactor.add_credentials(client_id, secret)
    return DriftOptions(
        live_url("--live-auth-url", args.live_auth_url),
        live_url("--live-api-url", args.live_api_url),
        client_id,
        secret,
        model_id=os.environ.get("LABELF_MODEL_ID") or None,
        config_path=args.config,
        repeat=args.repeat,
        max_requests=args.max_requests,
        ca_bundle=args.ca_bundle,
    )


def _drift(args: argparse.Namespace) -> int:
    _quiet()
    redactor = Redactor()
    try:
        baseline = Baseline.load(args.baseline) if args.baseline else None
        run = check(args, redactor) if args.recording else run_drift(_drift_options(args, redactor))
    except DriftError as exc:
        return _fail("drift", exc, redactor)
    today = dt.date.today()
    if args.update_baseline:
        try:
            Baseline.write(args.update_baseline, run.findings, today + dt.timedelta(days=args.baseline_days))
        except OSError as exc:
            problem = f"--update-baseline {args.update_baseline!r} cannot be written: {exc.strerror}"
            return _fail("drift", DriftError(problem), redactor)
        baseline = Baseline.load(args.update_baseline)
    verdicts = classify(run.findings, baseline, today)
    if args.report:
        markdown, json_path = write_report(args.report, run, verdicts)
        print(f"labelf-mock drift: report written to {markdown} and {json_path}")
    lines = summary_lines(run, verdicts)
    drifted = any(v.is_drift for v in verdicts)
    if drifted and args.recording:
        lines.append(f"  refresh what changed: labelf-mock record --update {args.recording[0]} (one file at a time)")
    print("\n".join(lines))
    return 1 if drifted else 0


def _take_snapshot(args: argparse.Namespace, redactor: Redactor) -> tuple[str, int, list[str]]:
    client_id, secret = credentials_from_env()
    redactor.add_credentials(client_id, secret)
    auth, api = live_url("--live-auth-url", args.live_auth_url), live_url("--live-api-url", args.live_api_url)
    live = LiveService(auth, api, LiveCap(args.max_requests), args.ca_bundle)
    try:
        token, expires_in = token_of(
            live.send("POST", f"{auth}{TOKEN_PATH}", *token_request(client_id, secret)), client_id
        )
        redactor.add_token(token)
        models, skipped = read_models(live, token, reserve=1)
        document = build(models, client_id, expires_in)
        # Leave no token behind: RFC 7009 revocation of the one this snapshot used.
        revoked = live.send("POST", f"{auth}{REVOKE_PATH}", *revoke_request(client_id, secret, token))
        if revoked.status != 200:
            skipped.append(f"the snapshot's token could not be revoked (status {revoked.status})")
    finally:
        live.close()
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # folders made as needed, as for record --out
        out.write_text(render(document, out, api), encoding="utf-8")
    except OSError as exc:
        raise DriftError(f"--out {str(out)!r} cannot be written: {exc.strerror}") from None
    return client_id, len(models), [*skipped, f"live requests: {live.budget.spent}"]


def _snapshot(args: argparse.Namespace) -> int:
    _quiet()
    redactor = Redactor()
    try:
        client_id, count, notes = _take_snapshot(args, redactor)
    except DriftError as exc:
        return _fail("snapshot", exc, redactor)
    print(f"labelf-mock snapshot: wrote {count} model(s) and client id {client_id!r} to {args.out}")
    print(
        f"  client_secret there is the placeholder {PLACEHOLDER_SECRET!r}: replace it with your client's secret, "
        "or set LABELF_MOCK_CLIENTS=ID:SECRET, before `labelf-mock serve --config` uses the file."
    )
    for note in notes:
        print(f"  {note}")
    return 0


#: Subcommand name → the function that runs it and returns the exit status.
def _record(args: argparse.Namespace) -> int:
    _quiet()
    redactor = Redactor()
    try:
        return record(args, redactor)
    except DriftError as exc:
        return _fail("record", exc, redactor)


#: Subcommand name → the function that runs it and returns the exit status.
COMMANDS = {"drift": _drift, "snapshot": _snapshot, "record": _record}
