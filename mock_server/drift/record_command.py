"""``labelf-mock record`` (and ``--update``), and ``labelf-mock drift --recording``: options to runs, runs to
what the terminal shows.  Problems are :class:`DriftError`\\ s, which the command prints in one redacted line
(exit status 2)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from ..recordings import KEY_ENV, Recording, RecordingError, TextKey
from ..redaction import Redactor
from .live import DriftError, credentials_from_env, live_url
from .record import read_texts
from .recording_runs import RecordOptions, check_recordings, take_recording, update_recording, write_recording
from .runner import DriftRun
from .staleness import check_tolerance

__all__ = ["check", "record"]


def _options(args: argparse.Namespace, redactor: Redactor, **what: object) -> RecordOptions:
    client_id, secret = credentials_from_env()
    redactor.add_credentials(client_id, secret)
    if key := os.environ.get(KEY_ENV):
        redactor.add(key)
    return RecordOptions(
        live_url("--live-auth-url", args.live_auth_url),
        live_url("--live-api-url", args.live_api_url),
        client_id,
        secret,
        max_requests=args.max_requests,
        ca_bundle=args.ca_bundle,
        tolerance=check_tolerance(args.tolerance),
        retries=getattr(args, "retries", 2),
        **what,  # type: ignore[arg-type]
    )


def _texts(args: argparse.Namespace) -> dict[str, list[str]]:
    read = {
        "texts": read_texts(args.texts, "--texts") if args.texts else [],
        "base": read_texts(args.base_texts, "--base-texts") if args.base_texts else [],
        "compare": read_texts(args.compare_texts, "--compare-texts") if args.compare_texts else [],
    }
    if bool(args.base_texts) != bool(args.compare_texts):
        raise DriftError("--base-texts and --compare-texts go together: similarity compares one set with the other")
    return read


def _models(args: argparse.Namespace, texts: list[str]) -> list[str]:
    models = list(
        dict.fromkeys(args.model or ([os.environ["LABELF_MODEL_ID"]] if os.environ.get("LABELF_MODEL_ID") else []))
    )
    if texts and not models and not args.update:
        raise DriftError("--texts needs the models to ask: --model ID (repeatable), or LABELF_MODEL_ID")
    if models and not texts and not args.update:
        raise DriftError("--model needs the texts to classify: --texts FILE (one per line, or a JSON list)")
    return models


def _keying(args: argparse.Namespace) -> TextKey:
    if not args.redact_texts:
        return TextKey()
    try:
        key = TextKey.from_env()
    except RecordingError as exc:
        raise DriftError(str(exc)) from None
    if key is None:
        raise DriftError(
            f"--redact-texts stores texts as keyed hashes: set {KEY_ENV} to a random key (at least 16 characters) "
            "and keep it; replaying the recording needs the same key"
        )
    return key


def _summary(recording: Recording) -> str:
    models = len({model for model, _ in recording.answers})
    return (
        f"{len(recording.answers)} answer(s) of {models} model(s) and {len(recording.pairs)} similarity pair(s)"
        f"{f', API generation {recording.api_generation}' if recording.api_generation else ''}"
    )


def record(args: argparse.Namespace, redactor: Redactor) -> int:
    """Run ``labelf-mock record``; exit status 0 (problems raise :class:`DriftError`)."""
    texts = _texts(args)
    models = _models(args, texts["texts"])
    if args.update:
        if args.redact_texts:
            raise DriftError("--update keeps the recording's own way of storing texts; leave out --redact-texts")
        return _update(args, redactor, models, texts)
    if not models and not texts["base"]:
        raise DriftError("nothing to record: give --texts with --model, or --base-texts with --compare-texts")
    options = _options(args, redactor, models=models, keying=_keying(args), **texts)
    recording, spent = take_recording(options, redactor)
    out = Path(args.out)
    write_recording(recording, out)
    print(f"labelf-mock record: wrote {_summary(recording)} to {out} ({spent} live requests, cap {args.max_requests})")
    if recording.keying.secret is None:
        print("  texts are stored as given: review the file before you commit it (--redact-texts stores keyed hashes)")
    else:
        print(f"  texts are stored as keyed hashes: replaying needs {KEY_ENV} set to the same key")
    return 0


def _update(args: argparse.Namespace, redactor: Redactor, models: list[str], texts: dict[str, list[str]]) -> int:
    path = Path(args.update)
    options = _options(args, redactor, models=models, **texts)
    updated = update_recording(path, options, redactor)
    for line in updated.changed:
        print(f"CHANGED {redactor(line)}")
    if updated.recording is not None:
        write_recording(updated.recording, path)
    unknown = f"; {updated.unknown} not asked (keyed hashes whose texts were not given)" if updated.unknown else ""
    done = f"rewrote {path}" if updated.recording is not None else f"nothing changed; {path} left as it was"
    print(
        f"labelf-mock record --update: {len(updated.changed)} changed, {updated.unchanged} unchanged, "
        f"{updated.added} added{unknown}; {done} ({updated.live_requests} live requests, cap {args.max_requests})"
    )
    return 0


def check(args: argparse.Namespace, redactor: Redactor) -> DriftRun:
    """The drift run of ``labelf-mock drift --recording``."""
    if args.config or args.repeat != 1:
        raise DriftError(
            "--config and --repeat do not apply to --recording, which compares live answers with recorded ones"
        )
    texts = read_texts(args.texts, "--texts") if args.texts else []
    options = _options(args, redactor, texts=texts)
    return check_recordings(args.recording, options, redactor, args.sample, args.seed)


def add_recording_options(drift: argparse.ArgumentParser, count: Callable[[str], int]) -> None:
    """``drift``'s options for checking recordings."""
    drift.add_argument(
        "--recording",
        action="append",
        default=[],
        metavar="FILE",
        help="check a recording (labelf-mock record) against the live service instead of the mock (repeatable)",
    )
    drift.add_argument(
        "--sample", type=count, metavar="N", help="check at most N recorded answers (default: all the cap allows)"
    )
    drift.add_argument(
        "--seed", type=int, metavar="S", help="pick the sample repeatably (default: a new sample each run)"
    )
    drift.add_argument("--texts", metavar="FILE", help="the texts of a recording of keyed hashes (--redact-texts)")
    add_tolerance(drift)


def add_tolerance(parser: argparse.ArgumentParser) -> None:
    """``--tolerance``, as ``drift --recording`` and ``record --update`` take it."""
    from .staleness import DEFAULT_TOLERANCE

    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        metavar="T",
        help=f"how far a score may move before it counts as changed (default {DEFAULT_TOLERANCE})",
    )


def add_record(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], count: Callable[[str], int], env: str
) -> argparse.ArgumentParser:
    """The ``record`` subcommand's options (the live options are added by the caller)."""
    parser = commands.add_parser(
        "record",
        help="record what your live models answer, to replay offline",
        description=f"{env}. See docs/guide/recordings.md.",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="FILE", help="write a new recording: .json is JSON, anything else TOML")
    target.add_argument(
        "--update", metavar="FILE", help="ask a recording's answers again and rewrite only those that changed"
    )
    parser.add_argument("--texts", metavar="FILE", help="texts to classify: one per line, or a JSON list of strings")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="ID",
        help="a model to ask (repeatable; default LABELF_MODEL_ID)",
    )
    parser.add_argument("--base-texts", metavar="FILE", help="similarity: the base set (one per line, or JSON)")
    parser.add_argument("--compare-texts", metavar="FILE", help="similarity: the set compared with the base set")
    parser.add_argument(
        "--redact-texts", action="store_true", help=f"store texts as HMAC-SHA256 under the key in {KEY_ENV}"
    )
    parser.add_argument("--retries", type=count, default=2, metavar="N", help="retries of a 429/502/503/504 (2)")
    add_tolerance(parser)
    return parser
