"""The request set ``labelf-mock drift`` sends, identically, to the live service and to the mock.

Token cases are the documented request and each token error case the contract suite checks, within the
same live-safety rules: unknown clients are random ``labelf-drift-…`` ids that cannot exist, and the one
wrong secret for the real client id is sent once per run, never repeated.  Then each ``/v2`` endpoint with a
valid and an invalid body, and last the revocation of the run's token and one call with it.

Each case names the row of the Fidelity table (docs/fidelity.md) its findings touch.
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from ..endpoints import API_PREFIX, REVOKE_PATH, TOKEN_PATH, HostFamily, host_of

__all__ = ["CASES", "Case", "Inputs", "fidelity_row", "revoke_request", "token_request"]

_FORM = "application/x-www-form-urlencoded"
_GRANT = "grant_type=client_credentials"


class Rows:
    """Rows of the Fidelity table (docs/fidelity.md) (its first column, shortened), as findings cite them."""

    SUCCESS_HEADERS = (
        "Success: 200, Cache-Control: no-store, Pragma: no-cache, Content-Type: application/json;charset=UTF-8"
    )
    SUCCESS_BODY = 'token_type "bearer", scope always present, expires_in'
    HYDRA_ERRORS = "Every error body and status of Hydra's token endpoint; no WWW-Authenticate"
    METHOD = "GET/PUT/… → 405, Allow: OPTIONS, POST"
    FORM = "Form parsing: only urlencoded and multipart bodies"
    REVOKE = "Revoke: same auth; 200 empty body with no-store/no-cache"
    API_AUTH = "API bearer auth: 401 with WWW-Authenticate: Bearer"
    API_ERRORS = "API error body {status, message, error_code, request_id}"
    API_CHOICES = "415 for non-JSON API bodies, 413 over 1 MiB, 404 JSON for unknown /v2 paths"
    INFERENCE = 'Inference response [{"text", "predictions": [{"label", "score"}]}]'
    UNDOCUMENTED = "Multi-model response shape, GET /v2/models shapes"
    SIMILARITY = "Endpoints: POST /v2/similarity → {compare_id: [{id, similarity}]}"


@dataclass(frozen=True)
class Inputs:
    """What a side's requests are built from.  ``token`` is that side's own token; the rest is shared."""

    client_id: str
    client_secret: str
    unknown_client: str
    wrong_secret: str
    unknown_model: str
    model_id: str | None = None
    token: str | None = None

    def model_ref(self) -> int | str:
        """The model id as a JSON body carries it: a number when it is one (the docs type it ``int``)."""
        assert self.model_id is not None  # noqa: S101 - cases that need a model run only with one
        return int(self.model_id) if self.model_id.isdigit() else self.model_id


Build = Callable[[Inputs], tuple[dict[str, str], bytes]]


@dataclass(frozen=True)
class Case:
    """One request of the set: how to build it, what it needs, and which fidelity row it touches.

    ``fixed_lengths`` are the arrays whose length the request fixes (``$`` for two texts in, two results out).
    ``repeatable`` is false for the wrong secret: ``--repeat`` never sends it twice.  ``spends_token`` marks
    the revocation: its repeat ``i`` revokes the token of the ``i``-th documented request, so a run leaves no
    live token it issued active.
    """

    name: str
    summary: str
    method: str
    path: str
    build: Build
    fidelity: str
    needs_token: bool = False
    needs_model: bool = False
    repeatable: bool = True
    fixed_lengths: frozenset[str] = field(default_factory=frozenset)
    header_fidelity: str | None = None
    spends_token: bool = False

    @property
    def host(self) -> HostFamily:
        """Which base URL the request goes to (``auth`` or ``api``)."""
        return host_of(self.path.split("?", 1)[0])

    def target(self, inputs: Inputs) -> str:
        """The path with its query, ``{model_id}`` and ``{unknown_model}`` filled in."""
        return self.path.format(model_id=inputs.model_id, unknown_model=inputs.unknown_model)


def fidelity_row(case: Case, kind: str) -> str:
    """The fidelity row a finding of ``kind`` on ``case`` touches."""
    return case.header_fidelity if kind == "header" and case.header_fidelity else case.fidelity


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: each half form-url-encoded before base64, as Hydra decodes it.
    return "Basic " + b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()


def _form(body: str, who: Callable[[Inputs], tuple[str, str]] | None) -> Build:
    def build(inputs: Inputs) -> tuple[dict[str, str], bytes]:
        headers = {"content-type": _FORM}
        if who is not None:
            headers["authorization"] = _basic(*who(inputs))
        return headers, body.format(token=inputs.token).encode()

    return build


def _real(inputs: Inputs) -> tuple[str, str]:
    return inputs.client_id, inputs.client_secret


def token_request(client_id: str, secret: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of the documented token request (Basic client credentials, client-credentials grant)."""
    return {"content-type": _FORM, "authorization": _basic(client_id, secret)}, _GRANT.encode()


def revoke_request(client_id: str, secret: str, token: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of an RFC 7009 revocation of ``token`` with Basic client credentials."""
    return {"content-type": _FORM, "authorization": _basic(client_id, secret)}, f"token={quote_plus(token)}".encode()


def _bearer(body: Callable[[Inputs], object] | None = None, token: bool = True) -> Build:
    def build(inputs: Inputs) -> tuple[dict[str, str], bytes]:
        headers = {"authorization": f"Bearer {inputs.token}"} if token else {}
        if body is None:
            return headers, b""
        return {**headers, "content-type": "application/json"}, json.dumps(body(inputs)).encode()

    return build


def _token_json(inputs: Inputs) -> tuple[dict[str, str], bytes]:
    headers = {"content-type": "application/json", "authorization": _basic(*_real(inputs))}
    return headers, b'{"grant_type":"client_credentials"}'


_TEXTS = ["This is positive!", "hello"]
_SIMILARITY = {
    "top_n": 2,
    "base_texts": {"cat": "the cat sat on the mat", "revenue": "quarterly revenue grew"},
    "compare_to_texts": {"query": "a cat sat on a mat"},
}


def _token_cases() -> list[Case]:
    token, revoke = TOKEN_PATH, REVOKE_PATH
    return [
        Case(
            "token-success",
            "POST /oauth2/token, Basic client_id:client_secret, grant_type=client_credentials (the documented request)",
            "POST",
            token,
            _form(_GRANT, _real),
            Rows.SUCCESS_BODY,
            header_fidelity=Rows.SUCCESS_HEADERS,
        ),
        Case(
            "token-no-client-auth",
            "POST /oauth2/token without client authentication",
            "POST",
            token,
            _form(_GRANT, None),
            Rows.HYDRA_ERRORS,
        ),
        Case(
            "token-unknown-client",
            "POST /oauth2/token, Basic with a random labelf-drift-… client id",
            "POST",
            token,
            _form(_GRANT, lambda i: (i.unknown_client, "labelf-drift")),
            Rows.HYDRA_ERRORS,
        ),
        Case(
            "token-wrong-secret",
            "POST /oauth2/token, the real client id with a random wrong secret (sent once)",
            "POST",
            token,
            _form(_GRANT, lambda i: (i.client_id, i.wrong_secret)),
            Rows.HYDRA_ERRORS,
            repeatable=False,
        ),
        Case(
            "token-empty-body",
            "POST /oauth2/token with an empty body",
            "POST",
            token,
            _form("", _real),
            Rows.HYDRA_ERRORS,
        ),
        Case(
            "token-json-body", "POST /oauth2/token with the grant as a JSON body", "POST", token, _token_json, Rows.FORM
        ),
        Case(
            "token-missing-grant",
            "POST /oauth2/token with scope= and no grant_type",
            "POST",
            token,
            _form("scope=", _real),
            Rows.HYDRA_ERRORS,
        ),
        Case(
            "token-unsupported-grant",
            "POST /oauth2/token with grant_type=Client_Credentials (wrong case)",
            "POST",
            token,
            _form("grant_type=Client_Credentials", _real),
            Rows.HYDRA_ERRORS,
        ),
        Case(
            "token-get",
            "GET /oauth2/token?grant_type=client_credentials",
            "GET",
            f"{token}?{_GRANT}",
            lambda i: ({"authorization": _basic(*_real(i))}, b""),
            Rows.METHOD,
        ),
        Case(
            "revoke-no-client-auth",
            "POST /oauth2/revoke without client authentication",
            "POST",
            revoke,
            _form("token=labelf-drift-not-a-token", None),
            Rows.REVOKE,
        ),
    ]


def _api_cases() -> list[Case]:
    models, model = f"{API_PREFIX}/models", f"{API_PREFIX}/models/{{model_id}}"
    inference, multi, similarity = f"{model}/inference", f"{API_PREFIX}/models/inference", f"{API_PREFIX}/similarity"
    return [
        Case(
            "api-no-token", "GET /v2/models without a bearer token", "GET", models, _bearer(token=False), Rows.API_AUTH
        ),
        Case("models", "GET /v2/models", "GET", models, _bearer(), Rows.UNDOCUMENTED, needs_token=True),
        Case(
            "model",
            "GET /v2/models/{model_id}",
            "GET",
            model,
            _bearer(),
            Rows.UNDOCUMENTED,
            needs_token=True,
            needs_model=True,
        ),
        Case(
            "model-unknown",
            "GET /v2/models/{random labelf-drift-… id}",
            "GET",
            f"{API_PREFIX}/models/{{unknown_model}}",
            _bearer(),
            Rows.API_CHOICES,
            needs_token=True,
        ),
        Case(
            "inference",
            f"POST /v2/models/{{model_id}}/inference with texts {_TEXTS}",
            "POST",
            inference,
            _bearer(lambda i: {"texts": _TEXTS}),
            Rows.INFERENCE,
            needs_token=True,
            needs_model=True,
            fixed_lengths=frozenset({"$"}),
        ),
        Case(
            "inference-invalid",
            "POST /v2/models/{model_id}/inference with {} (texts missing)",
            "POST",
            inference,
            _bearer(lambda i: {}),
            Rows.API_ERRORS,
            needs_token=True,
            needs_model=True,
        ),
        Case(
            "multi-inference",
            f"POST /v2/models/inference with texts {_TEXTS} and the model",
            "POST",
            multi,
            _bearer(lambda i: {"texts": _TEXTS, "model_settings": [{"model_id": i.model_ref()}]}),
            Rows.UNDOCUMENTED,
            needs_token=True,
            needs_model=True,
            fixed_lengths=frozenset({"$"}),
        ),
        Case(
            "multi-inference-invalid",
            "POST /v2/models/inference without model_settings",
            "POST",
            multi,
            _bearer(lambda i: {"texts": ["hello"]}),
            Rows.API_ERRORS,
            needs_token=True,
        ),
        Case(
            "similarity",
            "POST /v2/similarity, top_n 2, two base texts, one compare text",
            "POST",
            similarity,
            _bearer(lambda i: _SIMILARITY),
            Rows.SIMILARITY,
            needs_token=True,
            fixed_lengths=frozenset({"$.query"}),
        ),
        Case(
            "similarity-invalid",
            "POST /v2/similarity with {} (top_n missing)",
            "POST",
            similarity,
            _bearer(lambda i: {}),
            Rows.API_ERRORS,
            needs_token=True,
        ),
        # Last: revoke the run's token, then use it once.
        Case(
            "revoke",
            "POST /oauth2/revoke, Basic client credentials, token=<the run's access token>",
            "POST",
            REVOKE_PATH,
            _form("token={token}", _real),
            Rows.REVOKE,
            needs_token=True,
            spends_token=True,
        ),
        Case(
            "api-revoked-token",
            "GET /v2/models with the revoked token",
            "GET",
            models,
            _bearer(),
            Rows.API_AUTH,
            needs_token=True,
        ),
    ]


#: Every case, in the order it is sent: the token request first (it yields the token the API cases use).
CASES: tuple[Case, ...] = (*_token_cases(), *_api_cases())
