"""``labelf-mock snapshot``: the live workspace's models as a mock configuration file.

It reads ``GET /v2/models`` and ``GET /v2/models/{id}`` and writes a TOML or JSON file that
``labelf-mock serve --config`` and :func:`~labelf_testkit.mock_server.load_config` accept: the models' ids,
names, types, labels and status, the client id, and the token lifetime the live service reported.  Never a
secret: the client's secret is a placeholder the user fills in (the file says so, and so does the command).

Labelf documents these two endpoints only as "model IDs, names, types, and status" and "labels, type, training
status"; the reader accepts the mock's shapes and close variants (a bare list, ``data`` instead of
``models``, ``model_id`` instead of ``id``, labels as strings or as objects with a ``label`` or ``name``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import ConfigError, config_from_mapping
from ..endpoints import API_PREFIX
from .compare import Answer
from .live import DriftError, LiveService

__all__ = ["PLACEHOLDER_SECRET", "build", "describe_model", "read_models", "render", "token_of"]

#: What the snapshot writes instead of a secret; ``labelf-mock serve`` would accept it, so say it loudly.
PLACEHOLDER_SECRET = "REPLACE-WITH-YOUR-CLIENT-SECRET"  # noqa: S105 - a placeholder, by design not a secret
_NOTE = (
    "Written by `labelf-mock snapshot` from {source}. client_secret is a placeholder: replace it with your "
    "client's secret (or register it with LABELF_MOCK_CLIENTS=ID:SECRET). No secret is ever written here."
)


def token_of(answer: Answer, client_id: str) -> tuple[str, object]:
    """The access token and ``expires_in`` of the live answer to the documented token request.

    Anything but a 200 with a token means the credentials (or the URL) are wrong: a :class:`DriftError`.
    """
    if answer.status == 200:
        try:
            body = json.loads(answer.body)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("access_token"), str) and body["access_token"]:
            return body["access_token"], body.get("expires_in")
    error = answer.body[:200].decode("utf-8", "replace")
    raise DriftError(
        f"the live token endpoint answered {answer.status} to the documented request for client {client_id!r}, "
        f"expected 200 with an access_token; check LABELF_CLIENT_ID / LABELF_CLIENT_SECRET and --live-auth-url "
        f"(body: {error})"
    )


def _json(answer: Answer, what: str) -> Any:
    if answer.status != 200:
        raise DriftError(
            f"{what} answered {answer.status}, expected 200: {answer.body[:200].decode('utf-8', 'replace')}"
        )
    try:
        return json.loads(answer.body)
    except ValueError:
        raise DriftError(f"{what} answered 200 with a body that is not JSON: {answer.body[:200]!r}") from None


def _listing(body: Any) -> list[Mapping[str, Any]]:
    items = body.get("models", body.get("data")) if isinstance(body, dict) else body
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise DriftError(
            'GET /v2/models answered a shape the snapshot cannot read: expected {"models": [{"id", "name", '
            f'"type", "status"}}]}} or a list of such objects, got {json.dumps(body)[:200]}'
        )
    return items


def _model_id(item: Mapping[str, Any]) -> str:
    value = item.get("id", item.get("model_id"))
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise DriftError(f"GET /v2/models lists a model without an id (id or model_id): {json.dumps(item)[:200]}")
    return str(value)


def _labels(detail: Mapping[str, Any]) -> list[str]:
    raw = detail.get("labels", [])
    labels = []
    for label in raw if isinstance(raw, list) else []:
        if isinstance(label, dict):
            label = label.get("label", label.get("name"))
        if isinstance(label, str) and label not in labels:
            labels.append(label)
    return labels


def _model(summary: Mapping[str, Any], detail: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**summary, **detail}
    return {
        "model_id": _model_id(summary),
        "name": str(merged.get("name", f"Model {_model_id(summary)}")),
        "model_type": str(merged.get("type", merged.get("model_type", "classification"))),
        "status": str(merged.get("status", "ready")),
        "labels": _labels(merged),
    }


def read_models(live: LiveService, token: str, reserve: int = 0) -> tuple[list[dict[str, Any]], list[str]]:
    """Every live model as a config table, and the ids left out (no labels: the mock cannot serve those).

    ``reserve`` live requests are kept for what comes after: when listing the details would eat into them,
    the run stops with a :class:`DriftError` before sending any.
    """
    headers = {"authorization": f"Bearer {token}"}
    listing = _listing(_json(live.send("GET", f"{live.api_url}{API_PREFIX}/models", headers, b""), "GET /v2/models"))
    if live.remaining < len(listing) + reserve:
        raise DriftError(
            f"the workspace lists {len(listing)} models; reading each needs {len(listing) + reserve} more live "
            f"requests but {live.remaining} are left under --max-requests"
        )
    models, skipped = [], []
    for summary in listing:
        path = f"{API_PREFIX}/models/{_model_id(summary)}"
        detail = _json(live.send("GET", f"{live.api_url}{path}", headers, b""), f"GET {path}")
        model = _model(summary, detail if isinstance(detail, dict) else {})
        if model["labels"]:
            models.append(model)
        else:
            skipped.append(f"model {model['model_id']} ({model['name']}): no labels, so the mock cannot serve it")
    return models, skipped


def describe_model(live: LiveService, token: str, model_id: str) -> dict[str, Any]:
    """One live model as a config table (``GET /v2/models/{id}``); an answer that is not 200 JSON is a
    :class:`DriftError` naming the request."""
    path = f"{API_PREFIX}/models/{model_id}"
    detail = _json(live.send("GET", f"{live.api_url}{path}", {"authorization": f"Bearer {token}"}, b""), f"GET {path}")
    return _model({"id": model_id}, detail if isinstance(detail, dict) else {})


def build(models: list[dict[str, Any]], client_id: str, expires_in: object) -> dict[str, Any]:
    """The config document: checked by the same code that loads it, so what is written loads."""
    document: dict[str, Any] = {}
    if isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0:
        document["expires_in"] = expires_in
    document["clients"] = [{"client_id": client_id, "client_secret": PLACEHOLDER_SECRET}]
    document["models"] = models
    try:
        config_from_mapping(document)
    except ConfigError as exc:
        raise DriftError(f"the live workspace does not fit a mock config: {exc}") from None
    return document


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped (TOML 1.0, "String").
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return str(value)


def _toml(document: Mapping[str, Any], note: str) -> str:
    lines = [f"# {note}", ""]
    lines += [f"{key} = {_toml_value(value)}" for key, value in document.items() if not isinstance(value, list)]
    for table in ("clients", "models"):
        for row in document.get(table, []):
            lines += ["", f"[[{table}]]", *(f"{key} = {_toml_value(value)}" for key, value in row.items())]
    return "\n".join(lines) + "\n"


def render(document: Mapping[str, Any], path: Path, source: str) -> str:
    """The file text: JSON for a ``.json`` path (no comments there: the placeholder speaks), TOML otherwise."""
    if path.suffix == ".json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return _toml(document, _NOTE.format(source=source))
