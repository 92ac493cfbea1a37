"""A client that goes away mid-request is not the server's error."""

from __future__ import annotations

import logging
import socket
import time
from urllib.parse import urlsplit

import pytest

from labelf_testkit import LabelfMock


@pytest.mark.parametrize("path", ["/oauth2/token", "/v2/models/1/inference"])
def test_client_disconnect_is_recorded_without_a_status_and_not_logged(
    labelf_mock: LabelfMock, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    address = urlsplit(labelf_mock.base_url)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: auth.app.labelf.ai\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {labelf_mock.issue_token()}\r\nContent-Length: 100\r\n\r\n{{"
    )
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.sendall(head.encode())  # then hang up 99 bytes short
    for _ in range(1000):  # until the server has noticed
        if len(labelf_mock.journal):
            break
        time.sleep(0.01)
    [entry] = list(labelf_mock.journal)
    assert (entry.path, entry.status) == (path, None)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
