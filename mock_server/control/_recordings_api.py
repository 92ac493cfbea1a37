"""Control handlers for one session's recordings: load a recording (the file's JSON or TOML text as the body),
list what the session answers from, forget what was loaded.

What ``labelf_mock.use_recording()`` does in process, for one session of a running mock: the recording answers
that session's inference and similarity calls (scripts first, faults, auth and limits as ever) until the session
is reset or the recordings are forgotten; the recordings ``labelf-mock serve`` was started with stay, for every
session.  A recording of keyed hashes (``--redact-texts``) needs ``LABELF_RECORDING_KEY`` in the mock's own
environment.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..recordings import KEY_ENV, Recording, RecordingError, recording_from_mapping
from ._common import answer, session_of
from ._errors import ControlError, bad_field
from ._fields import query_fields

__all__ = ["MAX_RECORDING_BYTES", "ROUTES", "recording_view"]

#: The largest recording a control request may carry (a 1,000-text recording is about 300 KB).
MAX_RECORDING_BYTES = 16 << 20
_STRICT = {"true": True, "false": False}


def recording_view(recording: Recording, lasting: bool) -> dict[str, Any]:
    """A recording as the control API shows it: where it came from, its models and how much it holds."""
    return {
        "source": recording.source,
        "host": recording.host,
        "taken_at": recording.taken_at,
        "api_generation": recording.api_generation,
        "texts": recording.keying.mode,
        "models": [{"model_id": m.model_id, "name": m.name, "labels": list(m.labels)} for m in recording.models],
        "answers": len(recording.answers),
        "similarities": len(recording.pairs),
        "lasting": lasting,
    }


async def _raw_body(request: Request) -> bytes:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_RECORDING_BYTES:
            raise ControlError(
                413, "body_too_large", f"A recording sent to the control API is at most {MAX_RECORDING_BYTES} bytes."
            )
    return raw


def _document(raw: bytes, content_type: str) -> dict[str, Any]:
    """The body as a JSON or TOML table: TOML when the type says so, else JSON, else TOML."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_field("body", "The recording must be UTF-8 text (a file labelf-mock record wrote).") from None
    if not text.strip():
        raise bad_field("body", "The body is empty: send a recording's JSON or TOML text (labelf-mock record).")
    parsers = [("TOML", tomllib.loads)] if "toml" in content_type else [("JSON", json.loads), ("TOML", tomllib.loads)]
    problems = []
    for kind, parse in parsers:
        try:
            data = parse(text)
        except (ValueError, RecursionError) as exc:  # TOMLDecodeError is a ValueError
            problems.append(f"not {kind} ({exc})")
            continue
        if not isinstance(data, dict):
            raise bad_field("body", f"A recording is a JSON object or a TOML table, not {type(data).__name__}.")
        return data
    hint = " (curl -d drops line breaks: use --data-binary @FILE)" if "form-urlencoded" in content_type else ""
    raise bad_field(
        "body",
        f"The body is {' and '.join(problems)}. Send the recording file as it is{hint}, with Content-Type "
        "application/json or application/toml.",
    )


def _strict(request: Request) -> bool | None:
    fields = query_fields(request, ["strict", "name"], ())
    value = fields.optional_text("strict")
    if value is None:
        return None
    if value.lower() not in _STRICT:
        raise bad_field("strict", f"strict takes true or false, got {value!r}.", list(_STRICT))
    return _STRICT[value.lower()]


def _name(request: Request) -> str:
    name = request.query_params.get("name") or "<request body>"
    if len(name) > 200 or not name.isprintable():
        raise bad_field("name", "name takes a printable label of at most 200 characters (the file's name).")
    return name


async def load_recording(request: Request) -> Response:
    """``POST …/recordings[?strict=true&name=FILE]``: answer this session from the recording in the body until
    reset; 400 naming the field of a bad recording, or a model whose labels differ from the mock's."""
    session = session_of(request)
    strict, name = _strict(request), _name(request)
    document = _document(await _raw_body(request), request.headers.get("content-type", "").lower())
    state = session.state
    try:
        recording = recording_from_mapping(document, name)
        state.replay.use(recording, state.config, strict)
    except RecordingError as exc:
        message = str(exc)
        if KEY_ENV in message:
            message += f" The mock reads {KEY_ENV} from its own environment (where labelf-mock serve runs)."
        raise bad_field("body", message) from None
    return answer({**recording_view(recording, False), "strict": state.replay.strict}, 201)


async def list_recordings(request: Request) -> Response:
    """``GET …/recordings``: what the session answers from, the mock's own recordings first."""
    replay = session_of(request).state.replay
    lasting = replay.lasting
    views = [recording_view(r, any(r is kept for kept in lasting)) for r in replay.recordings]
    return answer({"strict": replay.strict, "recordings": views})


async def forget_recordings(request: Request) -> Response:
    """``DELETE …/recordings``: forget the recordings this session loaded (and their ``strict``); the mock's own
    stay."""
    replay = session_of(request).state.replay
    forgotten = len(replay.recordings) - len(replay.lasting)
    replay.clear()
    return answer({"forgotten": forgotten, "strict": replay.strict})


ROUTES = [
    ("/recordings", ["GET"], list_recordings),
    ("/recordings", ["POST"], load_recording),
    ("/recordings", ["DELETE"], forget_recordings),
]
