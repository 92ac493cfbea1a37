"""Property-based checks: hypothesis over credentials and form bodies, schemathesis over the OpenAPI document.

Against a live target each property runs only a few examples, with no shrinking (which would replay
requests), and every request counts against the live cap.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, quote_plus

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from labelf_testkit.contract_tests.service import ContractTarget, basic
from labelf_testkit.contract_tests.verify import CheckResults, describe, error_code
from labelf_testkit.handle import Credentials
from labelf_testkit.live import RequestBudget
from labelf_testkit.mock_server.endpoints import host_of
from labelf_testkit.mock_server.openapi import openapi_document

pytestmark = pytest.mark.contract_token
checks = pytest.mark.labelf_checks

credential = st.text(
    alphabet=st.one_of(st.sampled_from(":%+ &=/?ü€"), st.characters(blacklist_categories=["Cs", "Cc"])),
    min_size=1,
    max_size=24,
)
form_bodies = st.lists(
    st.tuples(st.sampled_from(["grant_type", "scope", "audience", "x", "client_id"]), st.text(max_size=20)), max_size=5
).map(lambda pairs: "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs))


def _settings(target: ContractTarget, mock_examples: int, live_examples: int = 3) -> settings:
    if target.live:
        return settings(
            max_examples=live_examples,
            phases=[Phase.generate],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    # Over a socket each example is a real request; a third of them still covers the space.
    examples = mock_examples if target.mode == "inprocess" else max(mock_examples // 3, 5)
    return settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@checks("TOKEN-PROP-001")
def test_random_unknown_credentials(contract_target: ContractTarget, check: CheckResults) -> None:
    @_settings(contract_target, 60)
    @given(client_id=credential, secret=credential)
    def probe(client_id: str, secret: str) -> None:
        # A prefix no real client has: these are always unknown clients, never guesses at a real secret.
        response = contract_target.token(authorization=basic(f"labelf-contract-{client_id}", secret))
        check(
            "TOKEN-PROP-001",
            (response.status_code, error_code(response)) == (401, "invalid_client"),
            describe(response),
        )

    probe()


@checks("TOKEN-PROP-002", "TOKEN-ERR-SHAPE-001", "TOKEN-ERR-HEADERS-001")
def test_random_form_bodies(contract_target: ContractTarget, check: CheckResults) -> None:
    @_settings(contract_target, 60)
    @given(body=form_bodies)
    def probe(body: str) -> None:
        response = contract_target.token(body=body)
        check("TOKEN-PROP-002", response.status_code in {200, 400, 401}, describe(response))
        if response.status_code != 200:
            check.error_shape(response)

    probe()


def _schema(target: ContractTarget, token: str) -> Any:
    auth = {
        "basicAuth": {
            "username": quote_plus(target.credentials.client_id),
            "password": quote_plus(target.credentials.client_secret),
        },
        "bearerAuth": {"bearer": token},
    }
    # Auth is declared through schemathesis' config, never call_and_validate(auth=...), which re-adds
    # credentials to the cases that drop them on purpose (schemathesis' auth docs: per-call auth always applies).
    if target.mode == "inprocess":
        config = schemathesis.Config.from_dict({"auth": {"openapi": auth}})
        return schemathesis.openapi.from_asgi("/openapi.json", target.app, config=config)
    config = schemathesis.Config.from_dict({"auth": {"openapi": auth}, "base-url": target.auth_url})
    document = openapi_document(target.auth_url)
    if target.auth_url != target.api_url:  # the live service splits hosts: each operation gets its own server
        for path, item in document["paths"].items():
            for operation in item.values():
                operation["servers"] = [{"url": target.api_url if host_of(path) == "api" else target.auth_url}]
    return schemathesis.openapi.from_dict(document, config=config)


_VALIDATIONS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _probe_operation(
    target: ContractTarget, check: CheckResults, check_id: str, operation: Any, session: requests.Session
) -> int:
    """Run schemathesis' examples for one operation; the number of responses it validated."""
    model_id = target.model_id
    validated = 0

    @_settings(target, 25, live_examples=1)
    @given(case=operation.as_strategy())
    def probe(case: Any) -> None:
        if "model_id" in case.path_parameters and model_id is not None:
            case.path_parameters["model_id"] = model_id
        nonlocal validated
        with target.stopping():  # pytest's skip passes through hypothesis unshrunk
            response = case.call() if target.mode == "inprocess" else case.call(session=session)
        validated += 1
        try:
            case.validate_response(response, checks=_VALIDATIONS)
        except (AssertionError, FailureGroup) as failure:  # one failure, or a group of them
            lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
            check(check_id, False, f"{operation.label}: {' / '.join(lines[:3])[:300]}")

    probe()
    return validated


def _run_schemathesis(target: ContractTarget, check: CheckResults, check_id: str, api: bool) -> None:
    schema = _schema(target, target.fresh_token())
    validated, skipped = 0, []
    with target.requests_session() as session:  # the run's guard, cap and TLS trust (--labelf-ca-bundle)
        for result in schema.get_all_operations():
            operation = result.ok()
            if (host_of(operation.path) == "api") != api:
                continue
            if "model_id" in {p.name for p in operation.path_parameters} and target.model_id is None:
                skipped.append(operation.label)  # live without LABELF_MODEL_ID: nothing to aim at
                continue
            validated += _probe_operation(target, check, check_id, operation, session)
    if validated == 0:  # a pass needs at least one validated response
        check.not_run(check_id, f"no response was validated (operations left out: {', '.join(skipped) or 'none'})")
    elif check_id not in check.outcomes:
        check(check_id, True)


@checks("SCHEMA-001")
def test_schemathesis_over_the_auth_operations(contract_target: ContractTarget, check: CheckResults) -> None:
    _run_schemathesis(contract_target, check, "SCHEMA-001", api=False)


@pytest.mark.contract_api
@checks("SCHEMA-002")
def test_schemathesis_over_the_api_operations(contract_target: ContractTarget, check: CheckResults) -> None:
    _run_schemathesis(contract_target, check, "SCHEMA-002", api=True)


def test_token_request_is_the_documented_one() -> None:
    """Not a check: what every token check sends by default is Labelf's documented request (``curl -u
    CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials``): a form POST with Basic credentials."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        target = ContractTarget(
            "inprocess",
            http,
            "http://auth.test",
            "http://api.test",
            Credentials("an id", "p:w+"),
            None,
            RequestBudget(None),
        )
        target.token()
    (request,) = sent
    assert (request.method, str(request.url)) == ("POST", "http://auth.test/oauth2/token")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode(), keep_blank_values=True) == {"grant_type": ["client_credentials"]}
    scheme, _, encoded = request.headers["authorization"].partition(" ")
    assert (scheme, base64.b64decode(encoded)) == ("Basic", b"an+id:p%3Aw%2B")  # RFC 6749 §2.3.1
