"""What the client's own transport does happens for real: timeouts, retries, streaming, concurrency.

Each test sends to Labelf's production URLs through ``labelf_intercept``, which routes the client's own
connection to the mock's loopback server; no test times anything (a timeout is shown by its exception type,
with a planned delay far longer than the client's timeout).
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from labelf_testkit import LabelfMock

TOKEN_URL = "https://auth.app.labelf.ai/oauth2/token"
MODELS_URL = "https://api.app.labelf.ai/v2/models"
GRANT = {"grant_type": "client_credentials"}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")
FAR_LONGER = 60.0  # planned delay; dropped at teardown, so no test waits for it


def test_requests_timeout_fires(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.token.delay(FAR_LONGER)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=0.3)


def test_httpx_timeout_fires(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.token.delay(FAR_LONGER)
    with httpx.Client(timeout=0.3) as http, pytest.raises(httpx.ReadTimeout):
        http.post(TOKEN_URL, data=GRANT, auth=AUTH)


@pytest.mark.anyio
async def test_httpx_async_timeout_fires(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.token.delay(FAR_LONGER)
    async with httpx.AsyncClient(timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(TOKEN_URL, data=GRANT, auth=AUTH)


def _session(retry: Retry) -> requests.Session:
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def test_urllib3_status_retries_run(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.token.fail(times=2, status=503)
    retry = Retry(total=3, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    with _session(retry) as session:
        response = session.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=5)
    assert response.status_code == 200
    assert [entry.status for entry in labelf_intercept.journal.token_requests] == [503, 503, 200]


def test_urllib3_connection_retries_run(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.models.drop(times=2)
    retry = Retry(total=3, read=3, backoff_factor=0)
    with _session(retry) as session:
        response = session.get(MODELS_URL, headers={"Authorization": f"Bearer {labelf_intercept.issue_token()}"})
    assert response.status_code == 200
    assert [entry.status for entry in labelf_intercept.journal.requests("/v2/models")] == [None, None, 200]


def _bearer(mock: LabelfMock) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.issue_token()}"}


def test_requests_streaming(labelf_intercept: LabelfMock) -> None:
    whole = requests.get(MODELS_URL, headers=_bearer(labelf_intercept), timeout=5).content
    with requests.get(MODELS_URL, headers=_bearer(labelf_intercept), stream=True, timeout=5) as response:
        assert b"".join(response.iter_content(chunk_size=7)) == whole
    with requests.get(MODELS_URL, headers=_bearer(labelf_intercept), stream=True, timeout=5) as response:
        assert b"\n".join(response.iter_lines()) == whole
    with requests.get(MODELS_URL, headers=_bearer(labelf_intercept), stream=True, timeout=5) as response:
        assert response.raw.read(5) + response.raw.read() == whole


def test_httpx_streaming(labelf_intercept: LabelfMock) -> None:
    with httpx.Client() as http:
        whole = http.get(MODELS_URL, headers=_bearer(labelf_intercept)).content
        with http.stream("GET", MODELS_URL, headers=_bearer(labelf_intercept)) as response:
            assert b"".join(response.iter_bytes(chunk_size=7)) == whole


class UnlockedTokenCache:
    """A client with the classic bug: no lock around the token refresh."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None

    async def models(self) -> int:
        if self.token is None:
            self.token = (await self.http.post(TOKEN_URL, data=GRANT, auth=AUTH)).json()["access_token"]
        response = await self.http.get(MODELS_URL, headers={"Authorization": f"Bearer {self.token}"})
        return response.status_code


@pytest.mark.anyio
async def test_concurrent_async_calls_interleave(labelf_intercept: LabelfMock) -> None:
    async with httpx.AsyncClient() as http:
        client = UnlockedTokenCache(http)
        statuses = await asyncio.gather(*(client.models() for _ in range(5)))
    assert statuses == [200] * 5
    # Over a network all five see "no token yet" before the first answer arrives: the missing lock shows.
    assert len(labelf_intercept.journal.token_requests) == 5


def test_threads_interleave(labelf_intercept: LabelfMock) -> None:
    labelf_intercept.token.delay(0.5, times=None)  # every token request is held while the others arrive
    barrier = threading.Barrier(4)
    token: list[str] = []

    def call() -> None:
        barrier.wait()
        if not token:
            token.append(requests.post(TOKEN_URL, data=GRANT, auth=AUTH, timeout=30).json()["access_token"])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(labelf_intercept.journal.token_requests) == 4
