"""Fixtures for the project's own tests: the app in-process and the CLI server on a real socket."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from labelf_testkit.transport import InProcessTransport
from mock_server import MockConfig, create_app
from mock_server.app import MockApp


@pytest.fixture
def mock_config() -> MockConfig:
    """The configuration of the in-process app; override in a module to change it."""
    return MockConfig()


@pytest.fixture
def app(mock_config: MockConfig) -> MockApp:
    """A fresh in-process app."""
    return create_app(mock_config)


@pytest.fixture
def client(app: MockApp) -> Iterator[httpx.Client]:
    """An httpx client wired to ``app`` with no socket."""
    with httpx.Client(transport=InProcessTransport(app), base_url="http://auth.test") as http:
        yield http


@dataclass
class ServedMock:
    """A ``labelf-mock serve`` subprocess."""

    process: subprocess.Popen[str]
    base_url: str
    ca_bundle: str | None

    def stop(self) -> int:
        """SIGTERM, and the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)


def start_served_mock(tmp: Path, *args: str) -> ServedMock:
    """Run ``labelf-mock serve --port 0`` with ``args`` and wait until it listens."""
    ready = tmp / f"ready-{time.monotonic_ns()}.json"
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--ready-file", str(ready), "--no-access-log", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while not ready.exists() or not ready.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"labelf-mock serve did not start: {output}")
        time.sleep(0.02)
    info = json.loads(ready.read_text())
    served = ServedMock(process, info["base_url"], info["ca_bundle"])
    with httpx.Client(verify=info["ca_bundle"] or True) as probe:  # wait until it answers
        for _ in range(200):
            try:
                probe.get(served.base_url + "/openapi.json")
                break
            except httpx.TransportError:
                time.sleep(0.02)
    return served


@pytest.fixture(scope="session")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    """``labelf-mock serve`` on a free loopback port with its embedded defaults, for the whole session."""
    served = start_served_mock(tmp_path_factory.mktemp("served"))
    yield served
    assert served.stop() == 0
