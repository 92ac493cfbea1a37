"""Fixtures of the drift tests: ``labelf-mock serve`` with a custom workspace, as the "live" service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ServedMock, start_served_mock

CLIENT_ID = "drift-app"
CLIENT_SECRET = "drift-secret-value-7f3a"
WORKSPACE = f"""
expires_in = 3600

[[clients]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"

[[models]]
model_id = 7
name = "Sentiment"
labels = ["positive", "neutral", "negative"]

[[models]]
model_id = "topic-x"
name = "Topic \\"X\\" \\\\ ünïcode \\u007F"
labels = ["billing", "a \\"quoted\\" label", "other"]
model_type = "multilabel"
status = "training"
"""
_ACCESS = re.compile(r'"(?:GET|POST|PUT|DELETE|OPTIONS|HEAD|PATCH) \S+ HTTP/1\.1" \d{3}')


@dataclass
class Workspace:
    """The served "live" workspace: its URL, config file and access log."""

    served: ServedMock
    config: Path

    @property
    def url(self) -> str:
        """The base URL (auth and API on one host)."""
        return self.served.base_url

    def requests_served(self) -> int:
        """Requests in the server's access log so far."""
        return len(_ACCESS.findall(self.served.output()))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Scope: module. ``labelf-mock serve --config`` with two custom models and an access log."""
    tmp = tmp_path_factory.mktemp("workspace")
    config = tmp / "workspace.toml"
    config.write_text(WORKSPACE, encoding="utf-8")
    served = start_served_mock(tmp, "--config", str(config), "--access-log")
    yield Workspace(served, config)
    assert served.stop() == 0


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workspace's client in the environment, where drift and snapshot read credentials."""
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("LABELF_MODEL_ID", raising=False)
