"""Every check of the contract suite: its ID, one-line statement, source and severity.

``contract`` checks are the documented behaviour and the RFC MUSTs Hydra honours: failing one fails the run.
``advisory`` checks are RFC requirements Hydra is known to relax (or claims only Labelf's unverified newer
docs make): a deviation is reported, never failed.  "docs" is Labelf's "Obtaining a token" page; the
numbered cases are those of ``docs/fidelity.md`` ("Token endpoint cases"), which names the fosite functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CHECKS", "Check"]


@dataclass(frozen=True)
class Check:
    """One line of the catalogue."""

    id: str
    statement: str
    source: str
    severity: Literal["contract", "advisory"]
    group: Literal["token", "revoke", "api"]


_C, _A = "contract", "advisory"

_ROWS: list[tuple[str, str, str, str, str]] = [
    # Token endpoint: success.
    (
        "TOKEN-SUCCESS-001",
        "The documented request (Basic auth, grant_type=client_credentials) gets 200 with a JSON object holding a non-empty access_token of visible ASCII.",
        "docs 'Obtaining a token'; RFC 6749 §5.1, App. A.12",
        _C,
        "token",
    ),
    (
        "TOKEN-SUCCESS-002",
        "A 200 carries Cache-Control: no-store and Pragma: no-cache.",
        "RFC 6749 §5.1 (MUST); fosite access_write.go",
        _C,
        "token",
    ),
    (
        "TOKEN-SUCCESS-003",
        "The success media type is application/json, and a charset if present is UTF-8 (both compared case-insensitively; Hydra sends application/json;charset=UTF-8, the docs show application/json; charset=utf-8).",
        "RFC 6749 §5.1; docs; fosite access_write.go WriteAccessResponse",
        _C,
        "token",
    ),
    (
        "TOKEN-SUCCESS-004",
        "token_type is 'bearer', compared case-insensitively.",
        "RFC 6749 §5.1, §7.1; docs",
        _C,
        "token",
    ),
    (
        "TOKEN-SUCCESS-005",
        "scope is present as a string, '' when no scope was requested.",
        "docs example; fosite handler/oauth2/helper.go IssueAccessToken",
        _C,
        "token",
    ),
    (
        "TOKEN-SUCCESS-006",
        "expires_in is a positive JSON integer, not a string.",
        "RFC 6749 §5.1, App. A.14; docs",
        _C,
        "token",
    ),
    (
        "TOKEN-SUCCESS-007",
        "expires_in is at most 3600 seconds (short-lived bearer tokens).",
        "RFC 6750 §5.3 (SHOULD); Labelf documents 3122063999",
        _A,
        "token",
    ),
    (
        "TOKEN-SUCCESS-008",
        "No refresh_token is issued for the client-credentials grant.",
        "RFC 6749 §4.4.3 (SHOULD NOT)",
        _A,
        "token",
    ),
    (
        "TOKEN-UNIQUE-001",
        "Tokens are distinct across requests and carry at least 128 bits (22+ base64url characters in the random part).",
        "RFC 6749 §10.10 (MUST <= 2^-128)",
        _C,
        "token",
    ),
    (
        "TOKEN-BEARER-001",
        "The issued access token is accepted as a Bearer token by the API.",
        "docs 'Use your model'; RFC 6750 §2.1",
        _C,
        "token",
    ),
    (
        "TOKEN-ENC-001",
        "Basic credentials are form-url-encoded before base64 and decoded by the server (ids and secrets with ':', '+', '%', spaces, non-ASCII).",
        "RFC 6749 §2.3.1; fosite url.QueryUnescape",
        _C,
        "token",
    ),
    (
        "TOKEN-BASIC-001",
        "The Basic scheme name is matched case-insensitively.",
        "RFC 7235 §2.1; Go Request.BasicAuth",
        _C,
        "token",
    ),
    (
        "TOKEN-PARAMS-001",
        "Unknown request parameters, repeated or not, are ignored.",
        "RFC 6749 §3.2 (MUST)",
        _C,
        "token",
    ),
    (
        "TOKEN-QUERY-001",
        "grant_type sent only in the query string issues no token.",
        "RFC 6749 §3.2, §4.4.2; Go PostForm",
        _C,
        "token",
    ),
    # Token endpoint: errors.
    (
        "TOKEN-ERR-NOAUTH-001",
        "No client authentication gets no token: 400 invalid_request (Hydra) or 401 invalid_client.",
        "RFC 6749 §3.2.1, §5.2; fosite client_authentication.go (docs/fidelity.md case 1)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-UNKNOWN-001",
        "An unknown client id gets 401 invalid_client.",
        "RFC 6749 §5.2; fosite client_authentication.go (docs/fidelity.md case 2)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-SECRET-001",
        "A wrong secret gets 401 invalid_client, and the same body as an unknown client.",
        "RFC 6749 §5.2; fosite client_authentication.go (docs/fidelity.md case 3)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-WWWAUTH-001",
        "A 401 after Basic authentication carries WWW-Authenticate with the Basic scheme.",
        "RFC 6749 §5.2 (MUST); Hydra sends none (fosite access_error.go writeJsonError)",
        _A,
        "token",
    ),
    (
        "TOKEN-ERR-EMPTY-001",
        "An empty body gets 400 invalid_request.",
        "RFC 6749 §5.2; fosite access_request_handler.go NewAccessRequest (docs/fidelity.md case 5)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-JSON-001",
        "Parameters sent as JSON are not a form: 400 invalid_request (or 415).",
        "RFC 6749 §4.4.2, App. B; Go net/http ParseMultipartForm (docs/fidelity.md case 8)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-GRANT-001",
        "A missing grant_type gets 400 invalid_request.",
        "RFC 6749 §4.4.2, §5.2; fosite access_request_handler.go NewAccessRequest (docs/fidelity.md case 5)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-GRANT-002",
        "An unsupported or wrong-case grant_type gets 400, invalid_request (Hydra) or unsupported_grant_type.",
        "RFC 6749 §1.9, §5.2; fosite access_request_handler.go (docs/fidelity.md case 6)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-GRANT-003",
        "An unsupported grant_type is reported as unsupported_grant_type.",
        "RFC 6749 §5.2; Hydra answers invalid_request",
        _A,
        "token",
    ),
    (
        "TOKEN-ERR-METHOD-001",
        "GET issues no token: 405 with Allow naming POST (Hydra v1.x-v2.3) or 404 (Hydra v25+).",
        "RFC 6749 §3.2; RFC 9110 §15.5.6; httprouter v1.3 / Go http.ServeMux (docs/fidelity.md case 7)",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-SHAPE-001",
        "Every error is a JSON object whose error is an RFC 6749 §5.2 code and whose error and error_description use only %x20-21 / %x23-5B / %x5D-7E.",
        "RFC 6749 §5.2, App. A.7-A.8",
        _C,
        "token",
    ),
    (
        "TOKEN-ERR-HEADERS-001",
        "Error responses also carry Cache-Control: no-store and Pragma: no-cache.",
        "RFC 6749 §5.2 examples; fosite writeJsonError",
        _A,
        "token",
    ),
    (
        "TOKEN-PROP-001",
        "Any printable or non-ASCII credentials, correctly encoded, round-trip (mock) / random unknown client ids get 401 invalid_client (live); never a 5xx.",
        "RFC 6749 §2.3.1, §5.2",
        _C,
        "token",
    ),
    (
        "TOKEN-PROP-002",
        "Random form bodies never produce a 5xx, and every error is well-formed.",
        "RFC 6749 §5.2, §10.14",
        _C,
        "token",
    ),
    (
        "SCHEMA-001",
        "Schemathesis over the token and revoke operations of the OpenAPI document: no 5xx, documented statuses, content types, headers and schemas.",
        "mock_server.openapi (the project's contract document)",
        _C,
        "token",
    ),
    # Revocation.
    (
        "REVOKE-001",
        "Revoking an issued token answers 200, and the API then refuses that token with 401.",
        "RFC 7009 §2.1-2.2; docs (revoke article)",
        _C,
        "revoke",
    ),
    ("REVOKE-002", "Revoking an unknown token answers 200.", "RFC 7009 §2.2 (MUST)", _C, "revoke"),
    (
        "REVOKE-003",
        "Revocation without client authentication answers 400 invalid_request (Hydra) or 401 invalid_client.",
        "RFC 7009 §2.1; fosite revoke_handler.go",
        _C,
        "revoke",
    ),
    (
        "REVOKE-004",
        "A successful revocation has an empty body.",
        "help centre 'Revoke a bearer token'; fosite revoke_handler.go",
        _A,
        "revoke",
    ),
    # Model API.
    ("API-AUTH-001", "An API call without Authorization gets 401.", "docs; RFC 6750 §3", _C, "api"),
    ("API-AUTH-002", "An API call with a foreign bearer token gets 401.", "RFC 6750 §3.1", _C, "api"),
    (
        "API-AUTH-003",
        "A 401 from the API carries WWW-Authenticate: Bearer with at least one auth-param.",
        "RFC 6750 §3 (MUST)",
        _A,
        "api",
    ),
    (
        "API-INFER-001",
        "Inference answers one prediction list per text, in request order (older docs: [{text, predictions: [{label, score}]}]; newer docs: {predictions: object[][], …}), scores in [0, 1] sorted descending, at most max_predictions.",
        "docs (single-model inference); official client labelf-api; newer docs /classification",
        _C,
        "api",
    ),
    (
        "API-INFER-002",
        "label_filter keeps only labels that partially match ('po' matches 'positive').",
        "docs (single-model inference)",
        _C,
        "api",
    ),
    (
        "API-SIM-001",
        "Similarity answers {compare_id: [{id, similarity}]}, ranked, at most top_n, an identical text first.",
        "docs /similarity; official client docstring",
        _C,
        "api",
    ),
    ("API-LIMIT-001", "More than 8 texts per inference call gets 400.", "docs 'Max 8 texts per call'", _C, "api"),
    ("API-LIMIT-002", "A text over 10,000 characters gets 400.", "newer docs /classification", _C, "api"),
    ("API-LIMIT-003", "More than 200 texts per similarity call gets 400.", "newer docs /similarity", _C, "api"),
    ("API-ERR-001", "A missing texts field gets 400.", "newer docs /errors", _C, "api"),
    (
        "API-ERR-002",
        "API errors use the body {status, message, error_code, request_id}.",
        "newer docs /errors (unverified against the live service)",
        _A,
        "api",
    ),
    (
        "SCHEMA-002",
        "Schemathesis over the /v2 operations of the OpenAPI document: no 5xx, documented statuses, content types and schemas.",
        "mock_server.openapi (the project's contract document)",
        _C,
        "api",
    ),
    ("API-404-001", "An unknown model id gets 404.", "newer docs /errors", _C, "api"),
    (
        "API-GEN-001",
        "Inference answers in one of the two documented generations; the report notes which one the service matched.",
        "docs/fidelity.md 'Where Labelf's docs conflict' (older docs L5/L7/L9 vs newer docs L8)",
        _A,
        "api",
    ),
    (
        "API-INFER-003",
        "In the newer generation: model_id an integer, predictions one list per text, text_language one ISO 639-1 code (a string), processing_time_ms a non-negative integer.",
        "newer docs /classification (unverified against the live service)",
        _A,
        "api",
    ),
    (
        "TOKEN-FORMAT-001",
        "Access tokens are Hydra's opaque tokens (older docs) or JWTs (newer docs); the report notes which the service issues.",
        "fosite token/hmac/hmacsha.go; newer docs /authentication ('short-lived JWT tokens')",
        _A,
        "token",
    ),
]

#: The catalogue, by ID.
CHECKS: dict[str, Check] = {row[0]: Check(*row) for row in _ROWS}  # type: ignore[arg-type]
