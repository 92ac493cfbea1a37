"""Property-based checks: hypothesis over credentials and form bodies, schemathesis over the OpenAPI document.

Against a live target each property runs only a few examples, with no shrinking (which would replay
requests), and every request counts against the live cap.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from labelf_testkit.contract_tests.service import GRANT, ContractTarget, basic
from labelf_testkit.contract_tests.verify import CheckResults, describe, error_code
from labelf_testkit.mock_server import host_of, openapi_document
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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


class _CountingAdapter(requests.adapters.HTTPAdapter):
    """Spends the live budget before schemathesis sends anything over HTTP."""

    def __init__(self, target: ContractTarget) -> None:
        super().__init__()
        self._target = target

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self._target.budget.spend(httpx.Request(request.method or "GET", request.url or ""))
        return super().send(request, *args, **kwargs)


def _schema(target: ContractTarget, token: str) -> Any:
    auth = {
        "basicAuth": {
            "username": quote_plus(target.credentials.client_id),
            "password": quote_plus(target.credentials.client_secret),
        },
        "bearerAuth": {"bearer": token},
    }
    # Auth is declared through schemathesis' config, never call_and_validate(auth=...), which re-adds
    # credentials to the cases that drop them on purpose (research, rfc-conformance §2.5).
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
) -> None:
    model_id = target.model_id

    @_settings(target, 25, live_examples=1)
    @given(case=operation.as_strategy())
    def probe(case: Any) -> None:
        if "model_id" in case.path_parameters and model_id is not None:
            case.path_parameters["model_id"] = model_id
        response = case.call() if target.mode == "inprocess" else case.call(session=session)
        try:
            case.validate_response(response, checks=_VALIDATIONS)
        except (AssertionError, FailureGroup) as failure:  # one failure, or a group of them
            lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
            check(check_id, False, f"{operation.label}: {' / '.join(lines[:3])[:300]}")

    probe()


def _run_schemathesis(target: ContractTarget, check: CheckResults, check_id: str, api: bool) -> None:
    schema = _schema(target, target.fresh_token())
    with requests.Session() as session:
        session.mount("http://", _CountingAdapter(target))
        session.mount("https://", _CountingAdapter(target))
        for result in schema.get_all_operations():
            operation = result.ok()
            if (host_of(operation.path) == "api") != api:
                continue
            if "model_id" in {p.name for p in operation.path_parameters} and target.model_id is None:
                continue  # live without LABELF_MODEL_ID: nothing to aim at
            _probe_operation(target, check, check_id, operation, session)
    if check_id not in check.outcomes:
        check(check_id, True)


@checks("SCHEMA-001")
def test_schemathesis_over_the_auth_operations(contract_target: ContractTarget, check: CheckResults) -> None:
    _run_schemathesis(contract_target, check, "SCHEMA-001", api=False)


@pytest.mark.contract_api
@checks("SCHEMA-002")
def test_schemathesis_over_the_api_operations(contract_target: ContractTarget, check: CheckResults) -> None:
    _run_schemathesis(contract_target, check, "SCHEMA-002", api=True)


def test_grant_helper_is_the_documented_body() -> None:
    """Not a check: the body every token check sends is the documented one."""
    assert GRANT == "grant_type=client_credentials"
