"""The model API under ``/v2``: inference, multi-model inference, similarity, models.

Sources: Labelf's help centre ("Single model inference", "Multi model inference") and developer docs
(``labelf.ai/resources/developers``: ``/classification``, ``/multi-model``, ``/similarity``, ``/errors``).
Order of checks on every call: bearer authentication (401), the model (404, or 400 when archived), then
the body (415, 400).  Documented limits: 8 texts per inference call, 200 texts per similarity call (both
sets together), 10,000 characters per text.  The mock's own limit: a multi-model call names at most as many
models as the workspace has (the Fidelity table, docs/fidelity.md).

JSON bodies are decoded as Go's ``encoding/json`` decodes them: invalid UTF-8 and lone UTF-16 surrogates
(``"\\ud800"``) become U+FFFD instead of an error, so every text the mock echoes can be written back.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._bearer import authenticate_bearer, require_model_access
from ._forms import BodyTooLarge, read_body
from ._generations import GENERATION_HEADER, generation_for, inference_body
from ._gojson import go_json_text
from ._models import filter_predictions
from .api_errors import ApiError
from .config import ModelConfig
from .endpoints import MAX_TEXT_CHARS, MAX_TEXTS_PER_INFERENCE, MAX_TEXTS_PER_SIMILARITY
from .state import MockState, state_of

if TYPE_CHECKING:
    from collections.abc import Callable

    Classifier = Callable[[ModelConfig, str, bool], list[dict[str, object]]]

__all__ = ["inference_endpoint", "model_endpoint", "models_endpoint", "multi_inference_endpoint", "similarity_endpoint"]

_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _bad(error_code: str, message: str) -> ApiError:
    return ApiError(400, error_code, message)


def _model(state: MockState, model_id: str) -> ModelConfig:
    model = state.scripts.model(model_id)  # as configured, unless the test archived or removed it
    if model is None:
        raise ApiError(404, "MODEL_NOT_FOUND", f"Model {model_id!r} was not found.")
    if model.status == "archived":
        raise _bad("MODEL_ARCHIVED", "Model is archived")  # a documented scenario (developer docs, /errors)
    if model.status == "training":
        # The newer docs list 409 for "resource state conflict" without naming an endpoint: a model still
        # training is the one state conflict the endpoints the mock serves can meet (a **choice**).
        raise ApiError(409, "MODEL_TRAINING", f"Model {model_id!r} is still training; try again when it is ready.")
    return model


def _charge(state: MockState, texts: int) -> None:
    """Count ``texts`` (texts times models, as Labelf bills multi-model calls) against the workspace quota."""
    if not state.use_quota(texts):
        raise ApiError(
            403,
            "QUOTA_EXCEEDED",
            f"The workspace quota of {state.config.quota} texts is used up ({state.quota_used} used); this call "
            f"needs {texts} more.",
        )


async def _json_object(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiError(
            415, "UNSUPPORTED_MEDIA_TYPE", "Send the request body as JSON with Content-Type: application/json."
        )
    try:
        raw = await read_body(request, state_of(request).config.max_body_bytes)
    except BodyTooLarge as exc:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {exc.limit} bytes.") from None
    try:
        text = raw.decode("utf-8", "replace")
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise _bad("MALFORMED_JSON", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _bad("INVALID_FIELD_TYPE", "The request body must be a JSON object.")
    if _ESCAPED_SURROGATE.search(text):
        _replace_lone_surrogates(body)
    return body


def _replace_lone_surrogates(root: dict[str, Any]) -> None:
    """U+FFFD for every lone surrogate json.loads kept, in keys and values, in place and without recursion
    (the document may be as deep as json.loads allows)."""
    stack: list[dict[str, Any] | list[Any]] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for key, value in items:
                node[go_json_text(key)] = _clean(value, stack)
        else:
            node[:] = [_clean(value, stack) for value in node]


def _clean(value: Any, stack: list[dict[str, Any] | list[Any]]) -> Any:
    """``value`` with lone surrogates replaced if it is a string; containers go on ``stack`` for later."""
    if isinstance(value, str):
        return go_json_text(value)
    if isinstance(value, dict | list):
        stack.append(value)
    return value


def _texts(value: object, field: str, limit: int) -> list[str]:
    if value is None:
        raise _bad("MISSING_REQUIRED_FIELD", f"{field} field is required")
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        raise _bad("INVALID_FIELD_TYPE", f"{field} must be a list of strings.")
    if not value:
        raise _bad("INVALID_FIELD_VALUE", f"{field} must contain at least one text.")
    if len(value) > limit:
        raise _bad("TOO_MANY_TEXTS", f"{field} holds {len(value)} texts; the maximum is {limit} per call.")
    _check_lengths(value, field)
    return value


def _check_lengths(texts: list[str], field: str) -> None:
    for index, text in enumerate(texts):
        if len(text) > MAX_TEXT_CHARS:
            raise _bad(
                "TEXT_TOO_LONG", f"{field}[{index}] has {len(text)} characters; the maximum is {MAX_TEXT_CHARS}."
            )


def _positive_int(body: dict[str, Any], field: str, *, required: bool = False) -> int | None:
    value = body.get(field)
    if value is None:
        if required:
            raise _bad("MISSING_REQUIRED_FIELD", f"{field} field is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("INVALID_FIELD_TYPE", f"{field} must be an integer.")
    if value < 1:
        raise _bad("INVALID_FIELD_VALUE", f"{field} must be at least 1.")
    return value


def _label_filter(body: dict[str, Any]) -> list[str] | None:
    value = body.get("label_filter")
    if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise _bad("INVALID_FIELD_TYPE", "label_filter must be a list of strings.")
    return value


def _predict(
    model: ModelConfig, texts: list[str], settings: dict[str, Any], read_full_text: bool, scores: Classifier
) -> list[list[dict[str, object]]]:
    max_predictions = _positive_int(settings, "max_predictions")
    label_filter = _label_filter(settings)
    return [filter_predictions(scores(model, text, read_full_text), label_filter, max_predictions) for text in texts]


async def inference_endpoint(request: Request) -> Response:
    """``POST /v2/models/{model_id}/inference``: ``[{"text", "predictions": [{"label", "score"}]}]``."""
    started = time.perf_counter()
    state = state_of(request)
    require_model_access(authenticate_bearer(request, state))
    model = _model(state, request.path_params["model_id"])
    body = await _json_object(request)
    texts = _texts(body.get("texts"), "texts", MAX_TEXTS_PER_INFERENCE)
    predictions = _predict(model, texts, body, False, state.scripts.classifier(request.scope, body))
    _charge(state, len(texts))
    generation = generation_for(
        request.headers.get("host"), request.headers.get(GENERATION_HEADER), state.config.api_generation
    )
    return JSONResponse(inference_body(generation, model.model_id, texts, predictions, started))


def _model_settings(state: MockState, value: object) -> list[tuple[ModelConfig, dict[str, Any]]]:
    if value is None:
        raise _bad("MISSING_REQUIRED_FIELD", "model_settings field is required")
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        raise _bad("INVALID_FIELD_TYPE", "model_settings must be a non-empty list of objects.")
    # The mock's bound on the work of one call (Labelf documents none): texts x models stays what a
    # workspace could ask for with every model once.
    if len(value) > len(state.config.models):
        raise _bad(
            "TOO_MANY_MODELS",
            f"model_settings holds {len(value)} entries; the workspace has {len(state.config.models)} models, "
            "so at most that many per call.",
        )
    settings = []
    for item in value:
        model_id = item.get("model_id")
        if isinstance(model_id, bool) or not isinstance(model_id, str | int):
            raise _bad(
                "MISSING_REQUIRED_FIELD" if model_id is None else "INVALID_FIELD_TYPE",
                "model_settings[].model_id must be a string or an integer.",
            )
        if not isinstance(item.get("read_full_text", False), bool):
            raise _bad("INVALID_FIELD_TYPE", "read_full_text must be a boolean.")
        settings.append((_model(state, str(model_id)), item))
    return settings


async def multi_inference_endpoint(request: Request) -> Response:
    """``POST /v2/models/inference``: every text through every model of ``model_settings``.

    The documentation gives no response example; the mock answers
    ``[{"text", "models": [{"model_id", "predictions"}]}]`` in request order.
    """
    state = state_of(request)
    require_model_access(authenticate_bearer(request, state))
    body = await _json_object(request)
    texts = _texts(body.get("texts"), "texts", MAX_TEXTS_PER_INFERENCE)
    scores = state.scripts.classifier(request.scope, body)
    per_model = [
        (model.model_id, _predict(model, texts, item, item.get("read_full_text", False), scores))
        for model, item in _model_settings(state, body.get("model_settings"))
    ]
    _charge(state, len(texts) * len(per_model))
    return JSONResponse(
        [
            {"text": text, "models": [{"model_id": mid, "predictions": preds[i]} for mid, preds in per_model]}
            for i, text in enumerate(texts)
        ]
    )


def _text_map(body: dict[str, Any], field: str) -> dict[str, str]:
    value = body.get(field)
    if value is None:
        raise _bad("MISSING_REQUIRED_FIELD", f"{field} field is required")
    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
        raise _bad("INVALID_FIELD_TYPE", f"{field} must be an object mapping ids to texts.")
    if not value:
        raise _bad("INVALID_FIELD_VALUE", f"{field} must contain at least one text.")
    _check_lengths(list(value.values()), field)
    return value


async def similarity_endpoint(request: Request) -> Response:
    """``POST /v2/similarity``: ``{compare_id: [{"id": base_id, "similarity"}]}``, top ``top_n`` each."""
    state = state_of(request)
    require_model_access(authenticate_bearer(request, state))
    body = await _json_object(request)
    top_n = _positive_int(body, "top_n", required=True)
    assert top_n is not None  # noqa: S101 - required=True never returns None
    base, compare = _text_map(body, "base_texts"), _text_map(body, "compare_to_texts")
    total = len(base) + len(compare)
    if total > MAX_TEXTS_PER_SIMILARITY:
        message = (
            f"base_texts and compare_to_texts hold {total} texts together; the maximum is {MAX_TEXTS_PER_SIMILARITY}."
        )
        raise _bad("TOO_MANY_TEXTS", message)
    return JSONResponse(state.scripts.similarity(request.scope, body, base, compare, top_n))


def _summary(model: ModelConfig) -> dict[str, object]:
    return {"id": model.model_id, "name": model.name, "type": model.model_type, "status": model.status}


async def models_endpoint(request: Request) -> Response:
    """``GET /v2/models``: ``{"models": [{"id", "name", "type", "status"}]}`` (schema undocumented)."""
    state = state_of(request)
    authenticate_bearer(request, state)
    return JSONResponse({"models": [_summary(model) for model in state.scripts.models()]})


async def model_endpoint(request: Request) -> Response:
    """``GET /v2/models/{model_id}``: the summary plus ``labels`` (schema undocumented)."""
    state = state_of(request)
    authenticate_bearer(request, state)
    model = state.scripts.model(request.path_params["model_id"])
    if model is None:
        raise ApiError(404, "MODEL_NOT_FOUND", f"Model {request.path_params['model_id']!r} was not found.")
    return JSONResponse({**_summary(model), "labels": list(model.labels)})
