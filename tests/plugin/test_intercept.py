"""Interception: production URLs reach the mock's loopback server with requests and httpx, other hosts don't."""

from __future__ import annotations

import socket

import httpx
import pytest
import requests

from labelf_testkit import BlockedRequestError, LabelfMock, intercept
from labelf_testkit.interception import is_routed
from labelf_testkit.mock_server import create_app

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
DATA = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prove "no network": any attempt to resolve a name or open a non-loopback socket fails the test."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: object, *args: object, **kwargs: object) -> object:
        if host not in {"127.0.0.1", "::1", "localhost", None}:
            raise AssertionError(f"network lookup of {host!r} during an intercepted test")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def test_requests_hits_the_mock(labelf_intercept: LabelfMock) -> None:
    response = requests.post(TOKEN_URL, data=DATA, auth=AUTH, timeout=5)
    assert response.status_code == 200 and response.json()["token_type"] == "bearer"
    token = response.json()["access_token"]
    api = requests.post(
        "https://api.app.labelf.ai/v2/models/1/inference",
        json={"texts": ["hi"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert api.status_code == 200
    assert [e.path for e in labelf_intercept.journal] == ["/oauth2/token", "/v2/models/1/inference"]


def test_requests_session_with_its_own_adapter_is_caught(labelf_intercept: LabelfMock) -> None:
    with requests.Session() as session:
        session.mount("https://", requests.adapters.HTTPAdapter(max_retries=0))
        assert session.post(TOKEN_URL, data=DATA, auth=AUTH, timeout=5).status_code == 200


def test_httpx_sync_and_newer_api_host(labelf_intercept: LabelfMock) -> None:
    with httpx.Client() as http:
        token = http.post(TOKEN_URL, data=DATA, auth=AUTH).json()["access_token"]
        response = http.get("https://api.labelf.ai/v2/models", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.anyio
async def test_httpx_async(labelf_intercept: LabelfMock) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(TOKEN_URL, data=DATA, auth=AUTH)
    assert response.status_code == 200


def test_faults_and_drop_surface_as_each_clients_own_errors(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.token.drop(times=2)
    labelf_intercept.token.rate_limit(retry_after=3)
    with pytest.raises(requests.ConnectionError, match="Remote end closed connection without response"):
        requests.post(TOKEN_URL, data=DATA, auth=AUTH, timeout=5)
    with httpx.Client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.post(TOKEN_URL, data=DATA, auth=AUTH)
    limited = requests.post(TOKEN_URL, data=DATA, auth=AUTH, timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"


def test_other_hosts_pass_through_to_loopback(labelf_intercept: LabelfMock) -> None:
    # The session's socket server is a loopback host that is not routed: it is reached over the network stack.
    with httpx.Client() as http:
        assert http.post(labelf_intercept.token_url, data=DATA, auth=AUTH).status_code == 200


def test_blocking_names_the_host() -> None:
    app = create_app()
    with intercept(app, block_other_hosts=True), pytest.raises(BlockedRequestError, match=r"'example\.com'"):
        requests.get("https://example.com/x", timeout=5)


def _patched() -> tuple[object, ...]:
    import ssl

    import anyio

    return (socket.getaddrinfo, ssl.SSLContext.wrap_socket, ssl.SSLContext.wrap_bio, anyio.connect_tcp)


def test_nested_interception_stacks_and_restores_everything() -> None:
    before = _patched()
    outer_app, inner_app = create_app(), create_app()
    with intercept(outer_app):
        assert _patched() != before
        with intercept(inner_app):  # the inner route wins while it lasts
            requests.post(TOKEN_URL, data=DATA, auth=AUTH, timeout=5)
        requests.post(TOKEN_URL, data=DATA, auth=AUTH, timeout=5)  # then the outer one is back
    assert [len(outer_app.mock.journal), len(inner_app.mock.journal)] == [1, 1]
    assert _patched() == before
    assert not is_routed("auth.app.labelf.ai")


def test_marker_applies_interception_and_blocks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import pytest, requests
        from labelf_testkit import BlockedRequestError

        @pytest.mark.labelf_intercept(block_other_hosts=True)
        def test_marked():
            ok = requests.post("https://auth.app.labelf.ai/oauth2/token",
                               data={"grant_type": "client_credentials"}, auth=("CLIENT_ID", "CLIENT_SECRET"))
            assert ok.status_code == 200
            with pytest.raises(BlockedRequestError, match="only Labelf.s hosts"):
                requests.get("https://pypi.org/simple/")

        @pytest.mark.labelf_intercept(block_others=True)
        def test_typo():
            pass
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.labelf_intercept got unknown keyword(s) 'block_others'; it takes block_other_hosts.*"]
    )
