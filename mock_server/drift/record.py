"""``labelf-mock record``: ask the live service what your models answer, and keep it as a recording.

The texts come from a file (one per line, or JSON); each model's texts go out in inference calls of at most
``MAX_TEXTS_PER_INFERENCE``, similarity sets in calls of at most ``MAX_TEXTS_PER_SIMILARITY`` texts together,
every text at most ``MAX_TEXT_CHARS`` characters (the documented limits, read from :mod:`..endpoints`).  The run
follows live mode's rules (:mod:`.live`): credentials from the environment, https or loopback, TLS verified, and
a cap on live requests counted before each one is sent, retries included.  The whole run is planned before the
first request: a run that cannot fit the cap sends nothing.

What it keeps of an answer: each prediction's label and score, the similarity of each pair, each model's name,
type and labels, and which API generation answered.  Never a token, a secret, a ``request_id`` or a header;
every string the service sent passes the run's redactor before it is kept.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..endpoints import API_PREFIX, MAX_TEXT_CHARS, MAX_TEXTS_PER_INFERENCE, MAX_TEXTS_PER_SIMILARITY, REVOKE_PATH
from ..endpoints import TOKEN_PATH as TOKEN_ENDPOINT
from ..recordings import Predictions, RecordedModel
from ..redaction import Redactor
from .cases import revoke_request, token_request
from .compare import Answer
from .live import DriftError, LiveService
from .snapshot import describe_model, token_of

__all__ = [
    "LiveAnswerError",
    "LiveModels",
    "Plan",
    "host_of_url",
    "inference_batches",
    "read_texts",
    "similarity_batches",
]

#: Statuses worth another try, each counted against the cap: 429 (RFC 6585 §4; Labelf's /errors page, L8 in
#: docs/fidelity.md: "Back off and retry using the Retry-After header") and 502/503/504 (RFC 9110 §15.6: the
#: server may succeed later).
_RETRIED = frozenset({429, 502, 503, 504})
#: The longest ``Retry-After`` the recorder waits for; a longer one ends the run (say it, do not hang CI).
MAX_RETRY_AFTER = 60.0


def read_texts(path: str | Path, option: str = "--texts") -> list[str]:
    """The texts of a file: a JSON list of strings (or ``{"texts": [...]}``) for ``.json``, else one per line.

    Blank lines are skipped and repeats kept once, in first-seen order.  A text over the documented limit is a
    :class:`DriftError` naming where it is, before anything is sent.
    """
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 ({exc.reason})"
        raise DriftError(f"{option} {str(path)!r} cannot be read: {reason}") from None
    if path.suffix.lower() == ".json":
        texts, where = _json_texts(content, option, path), "item"
    else:
        texts, where = content.split("\n"), "line"
    kept: dict[str, None] = {}
    for index, text in enumerate(texts):
        if len(text) > MAX_TEXT_CHARS:
            raise DriftError(
                f"{option} {str(path)!r} {where} {index + 1} has {len(text)} characters; Labelf takes at most "
                f"{MAX_TEXT_CHARS} per text"
            )
        if text.strip():
            kept.setdefault(text)
    if not kept:
        raise DriftError(f"{option} {str(path)!r} holds no text")
    return list(kept)


def _json_texts(content: str, option: str, path: Path) -> list[str]:
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise DriftError(f"{option} {str(path)!r} is not JSON: {exc}") from None
    texts = document.get("texts") if isinstance(document, dict) else document
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise DriftError(f'{option} {str(path)!r}: expected a JSON list of strings, or {{"texts": [...]}}')
    return texts


def inference_batches(texts: Sequence[str]) -> list[list[str]]:
    """``texts`` in calls of at most ``MAX_TEXTS_PER_INFERENCE``."""
    step = MAX_TEXTS_PER_INFERENCE
    return [list(texts[i : i + step]) for i in range(0, len(texts), step)]


def similarity_batches(base: int, compare: int) -> tuple[int, int]:
    """How many base and compare texts go in one similarity call so that every (compare, base) pair is asked
    in the fewest calls, with both sets together at most ``MAX_TEXTS_PER_SIMILARITY``."""
    limit = MAX_TEXTS_PER_SIMILARITY
    best = min(
        (math.ceil(base / b) * math.ceil(compare / min(compare, limit - b)), b)
        for b in range(1, min(base, limit - 1) + 1)
    )
    chunk = best[1]
    return chunk, min(compare, limit - chunk)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Plan:
    """What a run asks: texts per model, and similarity base/compare sets; :attr:`requests` it will take."""

    texts: Mapping[str, Sequence[str]] = field(default_factory=dict)
    base: Sequence[str] = ()
    compare: Sequence[str] = ()
    describe: Sequence[str] = ()

    @property
    def similarity_calls(self) -> list[tuple[list[str], list[str]]]:
        """Each similarity call's (base, compare) texts."""
        if not self.base or not self.compare:
            return []
        per_base, per_compare = similarity_batches(len(self.base), len(self.compare))
        return [(b, c) for b in _chunks(self.base, per_base) for c in _chunks(self.compare, per_compare)]

    @property
    def inference_calls(self) -> int:
        """How many inference calls the texts take."""
        return sum(math.ceil(len(texts) / MAX_TEXTS_PER_INFERENCE) for texts in self.texts.values())

    @property
    def requests(self) -> int:
        """Live requests without retries: the token, the model descriptions, the calls, the revocation."""
        return 2 + len(self.describe) + self.inference_calls + len(self.similarity_calls)

    def explain(self) -> str:
        """The request count, itemised."""
        return (
            f"{self.requests} live requests (a token, {len(self.describe)} model description(s), "
            f"{self.inference_calls} inference call(s) of at most {MAX_TEXTS_PER_INFERENCE} texts, "
            f"{len(self.similarity_calls)} similarity call(s) of at most {MAX_TEXTS_PER_SIMILARITY} texts, "
            "a revocation)"
        )

    def check(self, cap: int) -> None:
        """A :class:`DriftError` before anything is sent when the plan does not fit ``cap``."""
        if self.requests > cap:
            raise DriftError(f"this run needs {self.explain()}, more than --max-requests {cap}; raise --max-requests")


def host_of_url(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what a recording says it was taken against (no user info, no path)."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"


class LiveAnswerError(DriftError):
    """A live call answered something other than 200 (after its retries); ``status`` says what."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _excerpt(answer: Answer, redactor: Redactor) -> str:
    return redactor(answer.body[:300].decode("utf-8", "replace"))


@dataclass
class LiveModels:
    """The live model API as a recorder uses it: one token, retried calls within the cap, redacted errors."""

    live: LiveService
    client_id: str
    client_secret: str = field(repr=False)
    redactor: Redactor
    retries: int = 2
    sleep: Callable[[float], None] = time.sleep
    token: str | None = field(default=None, repr=False)
    generation: str | None = None

    def __enter__(self) -> LiveModels:
        sent = self.live.send(
            "POST", f"{self.live.auth_url}{TOKEN_ENDPOINT}", *token_request(self.client_id, self.client_secret)
        )
        self.token = token_of(sent, self.client_id)[0]
        self.redactor.add_token(self.token)
        return self

    def __exit__(self, *exc: object) -> None:
        # Leave no live token behind (RFC 7009), when the cap still allows it: the plan reserves one request.
        if self.token is not None and self.live.remaining > 0:
            self.live.send(
                "POST",
                f"{self.live.auth_url}{REVOKE_PATH}",
                *revoke_request(self.client_id, self.client_secret, self.token),
            )

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "content-type": "application/json"}

    def _post(self, path: str, body: object, what: str) -> Any:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in range(self.retries + 1):
            answer = self.live.send("POST", f"{self.live.api_url}{path}", self._headers(), content)
            if answer.status not in _RETRIED or attempt == self.retries or self.live.remaining <= 1:
                break
            self.sleep(self._wait(answer, attempt, what))
        if answer.status != 200:
            excerpt = _excerpt(answer, self.redactor)
            raise LiveAnswerError(f"{what} answered {answer.status}, expected 200: {excerpt}", answer.status)
        try:
            return json.loads(answer.body)
        except ValueError:
            raise DriftError(
                f"{what} answered 200 with a body that is not JSON: {_excerpt(answer, self.redactor)}"
            ) from None

    @staticmethod
    def _wait(answer: Answer, attempt: int, what: str) -> float:
        raw = answer.headers.get("retry-after", "")
        wait = float(raw) if raw.strip().isdigit() else float(2**attempt)
        if wait > MAX_RETRY_AFTER:
            raise DriftError(f"{what} answered {answer.status} with Retry-After {raw}; not waiting that long")
        return wait

    def describe(self, model_id: str) -> RecordedModel:
        """The model as ``GET /v2/models/{id}`` describes it (name, type, labels), redacted."""
        detail = describe_model(self.live, self.token or "", model_id)
        return RecordedModel(
            model_id,
            self.redactor(detail["name"]),
            tuple(dict.fromkeys(self.redactor(label) for label in detail["labels"])),
            self.redactor(detail["model_type"]),
        )

    def infer(self, model_id: str, texts: Sequence[str]) -> list[Predictions]:
        """Each text's predictions (label and score, in the live order), for one call of at most 8 texts."""
        what = f"POST {API_PREFIX}/models/{model_id}/inference ({len(texts)} texts)"
        body = self._post(f"{API_PREFIX}/models/{model_id}/inference", {"texts": list(texts)}, what)
        if isinstance(body, list):
            self.generation = self.generation or "older"
            rows = [item.get("predictions") if isinstance(item, dict) else None for item in body]
        elif isinstance(body, dict) and isinstance(body.get("predictions"), list):
            self.generation = self.generation or "newer"
            rows = body["predictions"]
        else:
            raise DriftError(
                f"{what} answered a shape of neither API generation: {self.redactor(json.dumps(body)[:300])}"
            )
        if len(rows) != len(texts):
            raise DriftError(f"{what} answered {len(rows)} results for {len(texts)} texts")
        return [self._predictions(row, what) for row in rows]

    def _predictions(self, row: object, what: str) -> Predictions:
        if not isinstance(row, list) or not row:
            raise DriftError(
                f"{what}: expected a non-empty list of predictions, got {self.redactor(json.dumps(row))[:300]}"
            )
        kept = []
        for item in row:
            label, score = (item.get("label"), item.get("score")) if isinstance(item, dict) else (None, None)
            if not isinstance(label, str) or isinstance(score, bool) or not isinstance(score, int | float):
                raise DriftError(
                    f"{what}: a prediction without a label and a score: {self.redactor(json.dumps(item))[:300]}"
                )
            if not math.isfinite(score):
                raise DriftError(f"{what}: a score that is not a finite number")
            kept.append((self.redactor(label), float(score)))
        return tuple(kept)

    def similarity(self, base: Sequence[str], compare: Sequence[str]) -> dict[tuple[str, str], float]:
        """Every (compare, base) pair's similarity, asked with ``top_n`` as large as the base set."""
        base_ids = {f"b{i}": text for i, text in enumerate(base)}
        compare_ids = {f"c{i}": text for i, text in enumerate(compare)}
        what = f"POST {API_PREFIX}/similarity ({len(base)} base and {len(compare)} compare texts)"
        body = self._post(
            f"{API_PREFIX}/similarity",
            {"top_n": len(base), "base_texts": base_ids, "compare_to_texts": compare_ids},
            what,
        )
        if not isinstance(body, dict):
            raise DriftError(f"{what}: expected an object of compare ids, got {self.redactor(json.dumps(body)[:300])}")
        pairs: dict[tuple[str, str], float] = {}
        for compare_id, rows in body.items():
            for row in rows if isinstance(rows, list) and compare_id in compare_ids else []:
                score = row.get("similarity") if isinstance(row, dict) else None
                base_id = row.get("id") if isinstance(row, dict) else None
                numeric = isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
                if base_id in base_ids and numeric:
                    pairs[(compare_ids[compare_id], base_ids[base_id])] = float(score)  # type: ignore[arg-type]
        return pairs


def labels_seen(model: RecordedModel, answers: Iterable[Predictions]) -> RecordedModel:
    """``model`` with every label its answers name, in case its description listed none or fewer."""
    labels = dict.fromkeys(model.labels)
    for predictions in answers:
        labels.update(dict.fromkeys(label for label, _ in predictions))
    return RecordedModel(model.model_id, model.name, tuple(labels), model.model_type)
