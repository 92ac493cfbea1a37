"""The two documented generations of Labelf's model API, and which one a request gets.

``older``: the older docs and the official ``labelf-api`` client (L5, L7, L9 in docs/fidelity.md) — host
``api.app.labelf.ai``, inference answers ``[{"text", "predictions": [{"label", "score"}]}]``.

``newer``: the developer docs at ``labelf.ai/resources/developers/classification`` (L8) — host
``api.labelf.ai``, inference answers one object with ``model_id``, ``predictions`` as ``object[][]`` (one list
per text, sorted by confidence), ``text_language`` (ISO 639-1) and ``processing_time_ms``.  The page gives
field names and types but no example: that ``text_language`` is one code per text and how it is detected are
the mock's **choice** (docs/fidelity.md, "Where Labelf's docs conflict").

Which one production serves to a workspace is unknown, so the mock serves both: the request's host picks one
(``api.labelf.ai`` → newer), a ``Labelf-Api-Generation`` header overrides it for one request, and otherwise the
configured default (the older one, which the official client parses) applies.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Literal

from .hosts import NEWER_API_HOST, header_host

__all__ = ["GENERATIONS", "GENERATION_HEADER", "Generation", "generation_for", "inference_body", "text_language"]

Generation = Literal["older", "newer"]
GENERATIONS: tuple[Generation, ...] = ("older", "newer")
#: Request header that picks the generation for one request (the mock's own; Labelf has no such header).
GENERATION_HEADER = "labelf-api-generation"

# A handful of very common function words per language: enough for a mock to say "sv" for Swedish.
_STOPWORDS: dict[str, frozenset[str]] = {
    "sv": frozenset(
        ("och", "att", "det", "som", "är", "jag", "inte", "med", "för", "på", "har", "en", "ett", "till", "av")
    ),
    "de": frozenset(
        ("und", "der", "die", "das", "ist", "nicht", "ich", "mit", "für", "auf", "ein", "eine", "zu", "von")
    ),
    "en": frozenset(("the", "and", "is", "to", "of", "a", "in", "that", "it", "for", "not", "with", "on", "this")),
}
_WORD = re.compile(r"\w+", re.UNICODE)


def generation_for(host: str | None, override: str | None, default: str) -> Generation:
    """The generation a request gets: the override header, else the host, else ``default``."""
    if override is not None and override.strip().lower() in GENERATIONS:
        return "newer" if override.strip().lower() == "newer" else "older"
    if host is not None and header_host(host) == NEWER_API_HOST:
        return "newer"
    return "newer" if default == "newer" else "older"


def text_language(text: str) -> str:
    """An ISO 639-1 code for ``text``: the language whose common words it uses most (``en`` when none)."""
    words = [word.lower() for word in _WORD.findall(text)]
    counts = {code: sum(word in stop for word in words) for code, stop in _STOPWORDS.items()}
    best = max(counts, key=lambda code: (counts[code], code == "en"))
    return best if counts[best] else "en"


def _model_id(model_id: str) -> int | str:
    # The newer docs type model_id as an integer; ids that are not numbers stay strings.
    return int(model_id) if model_id.isdigit() else model_id


def inference_body(
    generation: Generation,
    model_id: str,
    texts: Sequence[str],
    predictions: Sequence[Sequence[Mapping[str, object]]],
    started: float,
) -> object:
    """The inference response body in ``generation``'s shape; ``started`` is ``time.perf_counter()`` at entry."""
    if generation == "older":
        return [{"text": text, "predictions": list(p)} for text, p in zip(texts, predictions, strict=True)]
    return {
        "model_id": _model_id(model_id),
        "predictions": [list(p) for p in predictions],
        "text_language": [text_language(text) for text in texts],
        "processing_time_ms": max(0, round((time.perf_counter() - started) * 1000)),
    }
