"""The two documented generations of Labelf's model API, and which one a request gets.

``older``: the older docs and the official ``labelf-api`` client (L5, L7, L9 in docs/fidelity.md) — host
``api.app.labelf.ai``, inference answers ``[{"text", "predictions": [{"label", "score"}]}]``.

``newer``: the developer docs at ``labelf.ai/resources/developers/classification`` (L8) — host
``api.labelf.ai``, inference answers one object with ``model_id``, ``predictions`` as ``object[][]`` (one list
per text, sorted by confidence), ``text_language`` (type ``string``: "Detected ISO 639-1 language code of the
input text") and ``processing_time_ms``.  The page gives field names and types but no example, and it is
silent on a batch whose texts are in different languages.  The mock's **choice** (docs/fidelity.md, "Where
Labelf's docs conflict"): one code for the whole request, detected over all its texts taken together, so the
language most of the batch's common words belong to wins (:func:`batch_language`).

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

__all__ = [
    "GENERATIONS",
    "GENERATION_HEADER",
    "Generation",
    "batch_language",
    "generation_for",
    "inference_body",
    "text_language",
]

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
    """An ISO 639-1 code for ``text``: the language whose common words it uses most.

    ``en`` when it uses none; a tie goes to ``en``, then ``sv``, then ``de``.
    """
    return batch_language((text,))


def batch_language(texts: Sequence[str]) -> str:
    """The one ISO 639-1 code of a request: :func:`text_language` of all ``texts`` taken as one text.

    ``["the cat sat on the mat", "det är bra"]`` counts three English common words ("the" twice, "on") against
    two Swedish ones ("det", "är"): ``en``.
    """
    counts = dict.fromkeys(_STOPWORDS, 0)
    for text in texts:
        for word in _WORD.findall(text):
            for code, stop in _STOPWORDS.items():
                counts[code] += word.lower() in stop
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
        "text_language": batch_language(texts),
        "processing_time_ms": max(0, round((time.perf_counter() - started) * 1000)),
    }
