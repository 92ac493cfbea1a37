"""Token endpoint checks.  Each sends as few requests as it can: a live run has a hard request cap."""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

import pytest

from labelf_testkit.contract_tests.service import ENCODING_CLIENT, GRANT, ContractTarget, basic
from labelf_testkit.contract_tests.verify import CheckResults, describe, error_code

pytestmark = pytest.mark.contract_token
checks = pytest.mark.labelf_checks
_VSCHAR = re.compile(r"[\x20-\x7E]+")
_RANDOM_PART = re.compile(r"[A-Za-z0-9_-]{22,}")


def _json_object(response_text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(response_text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@checks(
    "TOKEN-SUCCESS-001",
    "TOKEN-SUCCESS-002",
    "TOKEN-SUCCESS-003",
    "TOKEN-SUCCESS-004",
    "TOKEN-SUCCESS-005",
    "TOKEN-SUCCESS-006",
    "TOKEN-SUCCESS-007",
    "TOKEN-SUCCESS-008",
)
def test_success_shape(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.good_token_response()
    body = _json_object(response.text)
    access_token = body.get("access_token") if body is not None else None
    valid_token = isinstance(access_token, str) and bool(_VSCHAR.fullmatch(access_token))
    check(
        "TOKEN-SUCCESS-001",
        response.status_code == 200 and valid_token,
        f"expected 200 with an access_token: {describe(response)}",
    )
    if response.status_code != 200 or body is None:
        # Nothing to inspect: the other checks are not judged (not failed with TOKEN-SUCCESS-001's message).
        reason = f"no 200 JSON token response to inspect (TOKEN-SUCCESS-001): {describe(response)}"
        for check_id in check.declared[1:]:
            check.not_run(check_id, reason)
        return
    check(
        "TOKEN-SUCCESS-002",
        "no-store" in response.headers.get("cache-control", "").lower()
        and response.headers.get("pragma", "").lower() == "no-cache",
        f"Cache-Control {response.headers.get('cache-control')!r}, Pragma {response.headers.get('pragma')!r}",
    )
    media, _, params = response.headers.get("content-type", "").partition(";")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if "charset" in params.lower() else "utf-8"
    check(
        "TOKEN-SUCCESS-003",
        media.strip().lower() == "application/json" and charset in {"utf-8", "utf8"},
        f"Content-Type {response.headers.get('content-type')!r}",
    )
    token_type = body.get("token_type")
    check(
        "TOKEN-SUCCESS-004",
        isinstance(token_type, str) and token_type.lower() == "bearer",
        f"token_type {token_type!r}",
    )
    check(
        "TOKEN-SUCCESS-005",
        body.get("scope") == "",
        f"scope {body.get('scope', '<absent>')!r} (no scope was requested)",
    )
    expires_in = body.get("expires_in")
    integer = isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0
    check("TOKEN-SUCCESS-006", integer, f"expires_in {expires_in!r} ({type(expires_in).__name__})")
    check("TOKEN-SUCCESS-007", integer and expires_in <= 3600, f"expires_in is {expires_in!r} seconds")  # type: ignore[operator]
    check("TOKEN-SUCCESS-008", "refresh_token" not in body, "a refresh_token was issued")


@checks("TOKEN-UNIQUE-001")
def test_tokens_unique_and_long(contract_target: ContractTarget, check: CheckResults) -> None:
    first = contract_target.good_token_response()
    tokens = [first.json().get("access_token")] if first.status_code == 200 else []
    tokens += [contract_target.fresh_token() for _ in range(2)]
    check("TOKEN-UNIQUE-001", len(set(tokens)) == len(tokens) == 3, "the same token was issued twice")
    for token in tokens:
        random_part = str(token).removeprefix("ory_at_").split(".")[0]
        check(
            "TOKEN-UNIQUE-001",
            bool(_RANDOM_PART.fullmatch(random_part)) or len(str(token)) >= 32,
            f"a token of {len(str(token))} characters is too short to carry 128 random bits",
        )


@checks("TOKEN-BEARER-001")
def test_token_works_on_the_api(contract_target: ContractTarget, check: CheckResults) -> None:
    model_id = contract_target.require_model()
    token = contract_target.fresh_token()
    response = contract_target.api("POST", f"/v2/models/{model_id}/inference", token, {"texts": ["hello"]})
    check("TOKEN-BEARER-001", response.status_code == 200, f"the fresh token was refused: {describe(response)}")


@checks("TOKEN-ENC-001")
def test_credentials_are_form_url_encoded(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(authorization=basic(*contract_target.credentials.auth))
    check("TOKEN-ENC-001", response.status_code == 200, f"encoded real credentials refused: {describe(response)}")
    if contract_target.live:
        return  # only the mock has a client whose id and secret need encoding
    special = contract_target.token(authorization=basic(ENCODING_CLIENT.client_id, ENCODING_CLIENT.client_secret))
    check(
        "TOKEN-ENC-001",
        special.status_code == 200,
        f"client {ENCODING_CLIENT.client_id!r} refused: {describe(special)}",
    )


@checks("TOKEN-BASIC-001")
def test_basic_scheme_case_insensitive(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(authorization=basic(*contract_target.credentials.auth).replace("Basic", "basic"))
    check("TOKEN-BASIC-001", response.status_code == 200, f"'basic' scheme refused: {describe(response)}")


@checks("TOKEN-PARAMS-001")
def test_unknown_parameters_ignored(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(body=f"{GRANT}&labelf_contract=1&labelf_contract=2&%C3%BC=%E2%82%AC")
    check("TOKEN-PARAMS-001", response.status_code == 200, f"unknown parameters were not ignored: {describe(response)}")


@checks("TOKEN-QUERY-001", "TOKEN-ERR-SHAPE-001", "TOKEN-ERR-HEADERS-001")
def test_query_string_is_not_the_body(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(body="labelf_contract=1", query=GRANT)
    check("TOKEN-QUERY-001", response.status_code == 400 and "access_token" not in response.text, describe(response))
    check.error_shape(response)


@checks("TOKEN-ERR-NOAUTH-001", "TOKEN-ERR-SHAPE-001", "TOKEN-ERR-HEADERS-001")
def test_no_client_authentication(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(authorization=None)
    verdict = (response.status_code, error_code(response))
    check("TOKEN-ERR-NOAUTH-001", verdict in {(400, "invalid_request"), (401, "invalid_client")}, describe(response))
    check.error_shape(response)


@checks(
    "TOKEN-ERR-UNKNOWN-001",
    "TOKEN-ERR-SECRET-001",
    "TOKEN-ERR-WWWAUTH-001",
    "TOKEN-ERR-SHAPE-001",
    "TOKEN-ERR-HEADERS-001",
)
def test_unknown_client_and_wrong_secret(contract_target: ContractTarget, check: CheckResults) -> None:
    # A random id is never a real client; one wrong secret for the real id is far from any lockout policy.
    unknown = contract_target.token(authorization=basic(f"labelf-contract-{secrets.token_hex(8)}", "x"))
    wrong = contract_target.token(authorization=basic(contract_target.credentials.client_id, secrets.token_urlsafe(16)))
    check(
        "TOKEN-ERR-UNKNOWN-001",
        (unknown.status_code, error_code(unknown)) == (401, "invalid_client"),
        describe(unknown),
    )
    check("TOKEN-ERR-SECRET-001", (wrong.status_code, error_code(wrong)) == (401, "invalid_client"), describe(wrong))
    check(
        "TOKEN-ERR-SECRET-001",
        wrong.content == unknown.content,
        "a wrong secret is distinguishable from an unknown client",
    )
    for response in (unknown, wrong):
        challenge = response.headers.get("www-authenticate", "")
        check("TOKEN-ERR-WWWAUTH-001", challenge.lower().startswith("basic"), f"WWW-Authenticate {challenge!r}")
        check.error_shape(response)


@checks("TOKEN-ERR-EMPTY-001", "TOKEN-ERR-SHAPE-001", "TOKEN-ERR-HEADERS-001")
def test_empty_body(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(body="")
    check(
        "TOKEN-ERR-EMPTY-001",
        (response.status_code, error_code(response)) == (400, "invalid_request"),
        describe(response),
    )
    check.error_shape(response)


@checks("TOKEN-ERR-JSON-001")
def test_json_body_is_not_a_form(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(
        body=json.dumps({"grant_type": "client_credentials"}), headers={"content-type": "application/json"}
    )
    ok = (response.status_code, error_code(response)) == (400, "invalid_request") or response.status_code == 415
    check("TOKEN-ERR-JSON-001", ok, describe(response))


@checks("TOKEN-ERR-GRANT-001", "TOKEN-ERR-SHAPE-001", "TOKEN-ERR-HEADERS-001")
def test_missing_grant_type(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(body="scope=")
    check(
        "TOKEN-ERR-GRANT-001",
        (response.status_code, error_code(response)) == (400, "invalid_request"),
        describe(response),
    )
    check.error_shape(response)


@checks("TOKEN-ERR-GRANT-002", "TOKEN-ERR-GRANT-003", "TOKEN-ERR-SHAPE-001", "TOKEN-ERR-HEADERS-001")
def test_unsupported_grant_type(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(body="grant_type=Client_Credentials")
    code = error_code(response)
    check(
        "TOKEN-ERR-GRANT-002",
        response.status_code == 400 and code in {"invalid_request", "unsupported_grant_type"},
        describe(response),
    )
    check("TOKEN-ERR-GRANT-003", code == "unsupported_grant_type", f"error is {code!r}")
    check.error_shape(response)


@checks("TOKEN-ERR-METHOD-001")
def test_get_issues_no_token(contract_target: ContractTarget, check: CheckResults) -> None:
    response = contract_target.token(method="GET", body=b"", query=GRANT)
    allow = response.headers.get("allow", "")
    ok = (response.status_code == 405 and "POST" in allow.upper()) or response.status_code == 404
    check("TOKEN-ERR-METHOD-001", ok and "access_token" not in response.text, f"{describe(response)} Allow={allow!r}")


def test_basic_helper_encodes_per_rfc_6749() -> None:
    """Not a check: the suite's own Basic helper matches RFC 6749 §2.3.1 (guards the other checks)."""
    header = basic("a b", "p+w")
    assert base64.b64decode(header.removeprefix("Basic ")) == b"a+b:p%2Bw"


def _jwt_header(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


@checks("TOKEN-FORMAT-001")
def test_token_format(contract_target: ContractTarget, check: CheckResults) -> None:
    """Says which documented token format the service issues (no extra request: the run's first token)."""
    response = contract_target.good_token_response()
    body = _json_object(response.text) if response.status_code == 200 else None
    token = body.get("access_token") if body else None
    if not isinstance(token, str):
        check.not_run("TOKEN-FORMAT-001", "the service issued no token (see TOKEN-SUCCESS-001)")
        return
    header = _jwt_header(token)
    if header is not None and isinstance(header.get("alg"), str):
        check("TOKEN-FORMAT-001", True)
        check.note("TOKEN-FORMAT-001", f"JWT access tokens (alg {header['alg']}, newer docs)")
    elif token.startswith("ory_at_"):
        check("TOKEN-FORMAT-001", True)
        check.note("TOKEN-FORMAT-001", "opaque Hydra access tokens (the default, older docs)")
    else:
        check("TOKEN-FORMAT-001", False, f"neither an opaque Hydra token nor a JWT ({len(token)} characters)")
