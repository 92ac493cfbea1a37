"""The client's own connect-retry machinery runs: interception refuses the next connections to a Labelf host
(``labelf_mock.refuse_connections``), the kernel answers them with a reset, and the client retries as it would
against an unreachable host.  A refused attempt never reaches the server, so it is recorded on the handle
(``refused_connections``) and the journal shows only the request that arrived.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from labelf_testkit import LabelfMock, UnusedFaultsError

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")
TWO_REFUSED = [("auth.app.labelf.ai", 443)] * 2


def _arrived(mock: LabelfMock) -> list[int | None]:
    return [entry.status for entry in mock.journal.token_requests]


def test_httpx_transport_retries_connect_errors(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=2, host="auth.app.labelf.ai")
    with httpx.Client(transport=httpx.HTTPTransport(retries=2)) as http:
        response = http.post(TOKEN_URL, data=GRANT, auth=AUTH)
    assert response.status_code == 200
    assert labelf_intercept.refused_connections == TWO_REFUSED
    assert _arrived(labelf_intercept) == [200]


@pytest.mark.anyio
async def test_httpx_async_transport_retries_connect_errors(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=2)
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(retries=2)) as http:
        response = await http.post(TOKEN_URL, data=GRANT, auth=AUTH)
    assert response.status_code == 200
    assert labelf_intercept.refused_connections == TWO_REFUSED
    assert _arrived(labelf_intercept) == [200]


def test_urllib3_connect_retries_run(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=2, host="AUTH.app.labelf.ai.")
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=Retry(connect=2, backoff_factor=0)))
    with session:
        response = session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)
    assert response.status_code == 200
    assert labelf_intercept.refused_connections == TWO_REFUSED
    assert _arrived(labelf_intercept) == [200]


def test_without_retries_the_client_gets_its_own_connect_error(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=1)
    with pytest.raises(httpx.ConnectError), httpx.Client() as http:
        http.post(TOKEN_URL, data=GRANT, auth=AUTH)
    labelf_intercept.refuse_connections(times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)
    labelf_intercept.refuse_connections(times=1)
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(TOKEN_URL, timeout=5)
    assert isinstance(refused.value.reason, ConnectionRefusedError)
    assert len(labelf_intercept.refused_connections) == 3
    assert _arrived(labelf_intercept) == []


def test_refusals_are_per_host_and_used_up(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=1, host="api.app.labelf.ai")
    with httpx.Client() as http:
        assert http.post(TOKEN_URL, data=GRANT, auth=AUTH).status_code == 200  # another host: not refused
        headers = {"Authorization": f"Bearer {labelf_intercept.issue_token()}"}
        with pytest.raises(httpx.ConnectError):
            http.get("https://api.app.labelf.ai/v2/models", headers=headers)
        assert http.get("https://api.app.labelf.ai/v2/models", headers=headers).status_code == 200
    assert labelf_intercept.refused_connections == [("api.app.labelf.ai", 443)]


def test_refusals_reject_other_hosts_and_bad_counts(labelf_intercept: LabelfMock) -> None:
    with pytest.raises(ValueError, match="not a Labelf host"):
        labelf_intercept.refuse_connections(host="example.com")
    with pytest.raises(ValueError, match="positive int"):
        labelf_intercept.refuse_connections(times=0)


def test_reset_forgets_refusals(labelf_intercept: LabelfMock) -> None:
    # labelf_mock resets its handle before and after each test, so a plan never outlives its test.
    labelf_intercept.refuse_connections(times=3)
    with pytest.raises(httpx.ConnectError), httpx.Client() as http:
        http.post(TOKEN_URL, data=GRANT, auth=AUTH)
    labelf_intercept.reset()
    assert labelf_intercept.refused_connections == []
    with httpx.Client() as http:
        assert http.post(TOKEN_URL, data=GRANT, auth=AUTH).status_code == 200


def test_refused_port_really_refuses(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=1)
    ((_, _, _, _, address),) = socket.getaddrinfo("auth.app.labelf.ai", 443, type=socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError), socket.create_connection((str(address[0]), int(address[1])), timeout=5):
        pass


def test_an_unused_refusal_fails_the_unused_fault_check(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.refuse_connections(times=2, host="api.app.labelf.ai")
    with pytest.raises(UnusedFaultsError, match=r"refuse 2 more connection\(s\) to api.app.labelf.ai"):
        labelf_intercept.assert_all_faults_used()
    assert labelf_intercept.unused_faults() == ["refuse 2 more connection(s) to api.app.labelf.ai"]
    labelf_intercept.reset()
