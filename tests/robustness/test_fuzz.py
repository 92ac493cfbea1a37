"""Fuzzing, bounded in count: schemathesis over every operation, hypothesis over raw HTTP on a real socket."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import create_app
from tests.robustness.conftest import Tally

_APP = create_app()
_TOKEN = _APP.mock.tokens.issue("CLIENT_ID", 2**40)
_CONFIG = schemathesis.Config.from_dict(
    {
        "auth": {
            "openapi": {
                "basicAuth": {"username": quote_plus("CLIENT_ID"), "password": quote_plus("CLIENT_SECRET")},
                "bearerAuth": {"bearer": _TOKEN},
            }
        },
        "generation": {"mode": "all"},
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP, config=_CONFIG)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_never_5xx_and_conforms(case: Any, tally: Tally) -> None:
    if "model_id" in case.path_parameters and case.path_parameters["model_id"] not in {"1", "2", "3"}:
        case.path_parameters["model_id"] = "1"
    response = case.call()
    assert tally.count(response.status_code) < 500, response.text
    try:
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
                response_headers_conformance,
            ],
        )
    except FailureGroup as failure:
        pytest.fail(str(failure))


METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO", "TRACE"])
PATHS = st.one_of(
    st.sampled_from(
        [
            "/oauth2/token",
            "/oauth2/revoke",
            "/v2/models",
            "/v2/models/1",
            "/v2/models/1/inference",
            "/v2/models/inference",
            "/v2/similarity",
            "/.well-known/openid-configuration",
            "/openapi.json",
        ]
    ),
    st.text(alphabet="abcxyz/%.-_~019", max_size=30).map(lambda p: "/" + p),
)
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
HEADERS = st.dictionaries(
    st.sampled_from(
        ["Content-Type", "Authorization", "Accept", "Content-Encoding", "X-Forwarded-For", "Transfer-Encoding-X"]
    ),
    st.one_of(
        HEADER_VALUES,
        st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded; charset=utf-8",
                "multipart/form-data; boundary=zz",
                "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=",
                "Bearer ory_at_x.y",
                "gzip",
                "text/plain; charset=latin-1",
            ]
        ),
    ),
    max_size=4,
)
BODIES = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b"grant_type=client_credentials"),
    st.just(b"x" * ((1 << 20) + 10)),  # oversized
    st.sampled_from([b'{"texts": ["a"]}', b'{"texts": [', "é".encode("latin-1"), b"\x00\xff" * 40]),
)


# Hypothesis warns when it renders the 1 MiB body's repr (for its reports); that is the point of the example.
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=METHODS, path=PATHS, headers=HEADERS, body=BODIES)
def test_raw_http_never_5xx(
    labelf_mock: LabelfMock, tally: Tally, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    host, port = labelf_mock.base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    except (BrokenPipeError, ConnectionResetError):
        # A body over the limit may be refused (413) and the connection closed while the client is still
        # sending it, as Go's net/http does past its discard limit; the server must then still serve.
        assert len(body) > labelf_mock.app.mock.config.max_body_bytes, (method, path, headers, body[:100])
        with httpx.Client() as probe:
            assert tally.count(probe.get(f"{labelf_mock.base_url}/openapi.json").status_code) == 200
        return
    finally:
        connection.close()
    assert tally.count(response.status) < 500, (method, path, headers, body[:100], response.status)
