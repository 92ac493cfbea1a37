"""A client on the mock's socket server, with a token, for the scripting tests."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from labelf_testkit import LabelfMock


@pytest.fixture
def api(labelf_mock: LabelfMock) -> Iterator[httpx.Client]:
    """An httpx client at ``labelf_mock.api_url`` carrying a valid bearer token."""
    headers = {"Authorization": f"Bearer {labelf_mock.issue_token()}"}
    trust = ssl.create_default_context(cafile=labelf_mock.ca_bundle) if labelf_mock.ca_bundle else True
    with httpx.Client(base_url=labelf_mock.api_url, headers=headers, verify=trust) as client:
        yield client
