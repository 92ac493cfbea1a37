"""Each API endpoint's error codes: the table in ``api_errors.ENDPOINT_CODES`` is what the handlers answer, and a
fault with a status an endpoint answers with exactly one code uses that code (409 on inference reads as a model
in training); with several codes, or none, the fault uses the generic one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from labelf_testkit.mock_server import ClientConfig, Fault, InProcessTransport, MockApp, MockConfig, ModelConfig
from labelf_testkit.mock_server import create_app as _create_app
from labelf_testkit.mock_server.api_errors import ENDPOINT_CODES, GENERIC_CODES, fault_error_code
from labelf_testkit.mock_server.endpoints import ENDPOINTS, host_of
from labelf_testkit.mock_server.scripts import ScriptError, Scripts

MODELS = (
    ModelConfig(1, "Sentiment", ("positive", "negative")),
    ModelConfig(7, "Old", ("a", "b"), status="archived"),
    ModelConfig(8, "New", ("a", "b"), status="training"),
)
CLIENTS = (ClientConfig("CLIENT_ID", "CLIENT_SECRET"), ClientConfig("viewer", "viewer-secret", role="viewer"))
PATHS = {
    "inference": "/v2/models/1/inference",
    "multi_inference": "/v2/models/inference",
    "similarity": "/v2/similarity",
    "models": "/v2/models",
    "model": "/v2/models/1",
}
OK_BODIES: dict[str, Any] = {
    "inference": {"texts": ["a"]},
    "multi_inference": {"texts": ["a"], "model_settings": [{"model_id": 1}]},
    "similarity": {"top_n": 1, "base_texts": {"a": "x"}, "compare_to_texts": {"b": "y"}},
}


def create_app(**config: Any) -> MockApp:
    return _create_app(MockConfig(clients=CLIENTS, models=MODELS, max_body_bytes=64 * 1024, **config))


def _bearer(app: MockApp, client_id: str = "CLIENT_ID") -> dict[str, str]:
    client = app.mock.config.client(client_id)
    assert client is not None
    return {"Authorization": f"Bearer {app.mock.issue_token(client)[0]}"}


def _call(app: MockApp, endpoint: str, **changes: Any) -> httpx.Response:
    """``endpoint``'s usual call, with ``path``, ``json`` or ``content`` replaced and ``headers`` added (``None``
    drops one) as given."""
    request: dict[str, Any] = {"path": PATHS[endpoint], "headers": _bearer(app)}
    if endpoint in OK_BODIES:
        request["json"] = OK_BODIES[endpoint]
    headers = {**request["headers"], **changes.pop("headers", {})}
    request.update(changes, headers={name: value for name, value in headers.items() if value is not None})
    method = "POST" if endpoint in OK_BODIES else "GET"
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock.test") as http:
        return http.request(method, request.pop("path"), **request)


def _body_errors(endpoint: str) -> list[tuple[dict[str, Any], tuple[int, str]]]:
    """Requests that break the JSON body of ``endpoint`` (a POST), each with the answer it gets."""
    json_header = {"content-type": "application/json"}
    cases: list[tuple[dict[str, Any], tuple[int, str]]] = [
        ({"content": b"{", "headers": json_header}, (400, "MALFORMED_JSON")),
        ({"json": [1]}, (400, "INVALID_FIELD_TYPE")),
        ({"content": b"a=b", "headers": {"content-type": "text/plain"}}, (415, "UNSUPPORTED_MEDIA_TYPE")),
        ({"content": b" " * (65 * 1024), "headers": json_header}, (413, "PAYLOAD_TOO_LARGE")),
    ]
    if endpoint == "similarity":
        base = OK_BODIES[endpoint]
        cases += [
            ({"json": {**base, "top_n": None}}, (400, "MISSING_REQUIRED_FIELD")),
            ({"json": {**base, "top_n": 0}}, (400, "INVALID_FIELD_VALUE")),
            ({"json": {**base, "base_texts": {str(i): "x" for i in range(200)}}}, (400, "TOO_MANY_TEXTS")),
            ({"json": {**base, "base_texts": {"a": "x" * 10_001}}}, (400, "TEXT_TOO_LONG")),
        ]
        return cases
    texts_only = {k: v for k, v in OK_BODIES[endpoint].items() if k != "texts"}
    cases += [
        ({"json": texts_only}, (400, "MISSING_REQUIRED_FIELD")),
        ({"json": {**texts_only, "texts": []}}, (400, "INVALID_FIELD_VALUE")),
        ({"json": {**texts_only, "texts": ["a"] * 9}}, (400, "TOO_MANY_TEXTS")),
        ({"json": {**texts_only, "texts": ["x" * 10_001]}}, (400, "TEXT_TOO_LONG")),
    ]
    return cases


def _model_errors(endpoint: str) -> list[tuple[dict[str, Any], tuple[int, str]]]:
    """Requests naming a model that is missing, archived or training, each with the answer it gets."""
    if endpoint == "multi_inference":
        texts = {"texts": ["a"]}
        cases = [
            ({"json": {**texts, "model_settings": [{"model_id": model_id}]}}, answer)
            for model_id, answer in ((99, (404, "MODEL_NOT_FOUND")), (7, (400, "MODEL_ARCHIVED")))
        ]
        settings = [{"model_id": 1}] * 4  # more entries than the workspace has models
        cases.append(({"json": {**texts, "model_settings": settings}}, (400, "TOO_MANY_MODELS")))
        cases.append(({"json": {**texts, "model_settings": [{"model_id": 8}]}}, (409, "MODEL_TRAINING")))
        return cases
    if endpoint == "inference":
        return [
            ({"path": "/v2/models/99/inference"}, (404, "MODEL_NOT_FOUND")),
            ({"path": "/v2/models/7/inference"}, (400, "MODEL_ARCHIVED")),
            ({"path": "/v2/models/8/inference"}, (409, "MODEL_TRAINING")),
        ]
    return [({"path": "/v2/models/99"}, (404, "MODEL_NOT_FOUND"))] if endpoint == "model" else []


def _observed(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> set[tuple[int, str]]:
    app = create_app()
    cases: list[tuple[MockApp, dict[str, Any], tuple[int, str]]] = [
        (app, {"headers": {"Authorization": None}}, (401, "UNAUTHORIZED")),
        (app, {"headers": {"Authorization": "Bearer not-a-token"}}, (401, "INVALID_TOKEN")),
    ]
    cases += [(app, changes, answer) for changes, answer in _model_errors(endpoint)]
    if endpoint in OK_BODIES:
        cases += [(app, changes, answer) for changes, answer in _body_errors(endpoint)]
        cases.append((app, {"headers": _bearer(app, "viewer")}, (403, "FORBIDDEN")))
    if endpoint in {"inference", "multi_inference"}:
        cases.append(
            (create_app(quota=1), {"json": {**OK_BODIES[endpoint], "texts": ["a", "b"]}}, (403, "QUOTA_EXCEEDED"))
        )
    seen = set()
    for target, changes, expected in cases:
        response = _call(target, endpoint, **changes)
        answer = (response.status_code, response.json()["error_code"])
        assert answer == expected, f"{endpoint} {changes}: {response.text}"
        seen.add(answer)
    broken = create_app()

    def boom(*args: object) -> object:
        raise RuntimeError("a handler's bug")

    for name in ("model", "models", "similarity"):
        monkeypatch.setattr(broken.mock.scripts, name, boom)
    crashed = _call(broken, endpoint)
    seen.add((crashed.status_code, crashed.json()["error_code"]))
    return seen


@pytest.mark.parametrize("endpoint", sorted(PATHS))
def test_the_table_lists_exactly_the_codes_each_endpoint_answers(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = {(status, code) for status, codes in ENDPOINT_CODES[endpoint].items() for code in codes}
    assert _observed(endpoint, monkeypatch) == listed


def test_every_api_endpoint_has_its_codes_listed() -> None:
    api_endpoints = {e.name for e in ENDPOINTS if host_of(e.path) == "api"}
    assert api_endpoints == set(ENDPOINT_CODES) == set(PATHS)


@pytest.mark.parametrize(
    ("route", "endpoint", "status", "code"),
    [
        # One code for the status on that endpoint: the fault uses it.
        ("inference", "inference", 409, "MODEL_TRAINING"),
        ("inference", "multi_inference", 409, "MODEL_TRAINING"),
        ("inference", "inference", 404, "MODEL_NOT_FOUND"),
        ("models", "model", 404, "MODEL_NOT_FOUND"),
        ("api", "inference", 409, "MODEL_TRAINING"),  # a group route answers as the endpoint it hit
        ("inference", "inference", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("inference", "inference", 413, "PAYLOAD_TOO_LARGE"),
        ("similarity", "similarity", 403, "FORBIDDEN"),
        # Several codes: the generic one.
        ("inference", "inference", 400, "BAD_REQUEST"),
        ("inference", "inference", 401, "UNAUTHORIZED"),
        ("inference", "inference", 403, "FORBIDDEN"),
        ("inference", "multi_inference", 403, "FORBIDDEN"),
        # None: the generic one.
        ("similarity", "similarity", 409, "CONFLICT"),
        ("similarity", "similarity", 404, "NOT_FOUND"),
        ("models", "models", 404, "NOT_FOUND"),
        ("models", "model", 409, "CONFLICT"),
        ("inference", "inference", 429, "RATE_LIMITED"),
        ("inference", "inference", 503, "SERVICE_UNAVAILABLE"),
        ("inference", "inference", 418, "ERROR"),
    ],
)
def test_a_fault_answers_with_the_endpoint_s_own_code_where_it_has_exactly_one(
    route: str, endpoint: str, status: int, code: str
) -> None:
    app = create_app()
    app.mock.faults.add(Fault(route, status=status))
    response = _call(app, endpoint)
    body = response.json()
    assert (response.status_code, body["status"], body["error_code"]) == (status, status, code)
    assert body["message"].startswith("Injected fault")
    assert not app.mock.faults.unused()


def test_a_fault_on_a_path_no_endpoint_serves_uses_the_generic_code() -> None:
    app = create_app()
    app.mock.faults.add(Fault("/v2/nothing-here", status=409))
    assert _call(app, "models", path="/v2/nothing-here").json()["error_code"] == "CONFLICT"
    assert fault_error_code(None, 404) == GENERIC_CODES[404] == "NOT_FOUND"


def test_restore_returns_a_model_to_its_configured_status() -> None:
    scripts = Scripts(MockConfig(models=MODELS))
    scripts.set_status(8, "archived")
    assert scripts.model("8").status == "archived"  # type: ignore[union-attr]
    scripts.set_status(8, "configured")
    assert scripts.model("8").status == "training"  # type: ignore[union-attr]
    scripts.set_status(1, "training")
    assert [m.status for m in scripts.models()] == ["training", "archived", "training"]
    with pytest.raises(ScriptError, match="Unknown model status 'ready': use one of configured, archived, training"):
        scripts.set_status(1, "ready")  # type: ignore[arg-type]
