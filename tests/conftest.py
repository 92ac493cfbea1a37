"""Fixtures for the project's own tests: the app in-process and the CLI server on a real socket."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings

from labelf_testkit.mock_server import InProcessTransport, MockApp, MockConfig, create_app

# Tests never time anything, hypothesis' examples included: no per-example deadline and no "too slow" health
# check, so a loaded machine (2 cores shared by parallel runs) cannot fail a property that holds.
settings.register_profile("labelf-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("labelf-tests")

#: Fixtures that start other processes: a test using one is ``slow`` and left out of ``pytest -m "not slow"``.
PROCESS_FIXTURES = frozenset({"pytester", "served_mock", "workspace", "tls_workspace", "tls_mock", "jwt_mock", "dists"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts a process through a fixture ``slow`` (CONTRIBUTING.md, "The fast loop")."""
    for item in items:
        if PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Inner runs keep their files' order: each is a scenario in sequence (a server killed, then the next test; a
    rejected credential, then nothing more).  The outer run is the one pytest-randomly shuffles.  pytest-asyncio
    (installed for tests/interception/test_late_tasks.py) gets the loop scope it asks every run to set, as the
    project's own ini sets it; without it, it warns, and inner runs with ``-W error`` would stop there."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly -o asyncio_default_fixture_loop_scope=function")
    return pytester


@contextlib.contextmanager
def _no_processes(item: pytest.Item) -> Iterator[None]:
    """Within a test not marked ``slow``, starting a process fails the test and says how to mark it."""
    if item.get_closest_marker("slow") is not None:
        yield
        return
    original = subprocess.Popen.__init__

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        raise RuntimeError(
            f"{item.nodeid} starts a process ({args!r}): mark it @pytest.mark.slow, or add the fixture that "
            "starts it to PROCESS_FIXTURES in tests/conftest.py; `pytest -m 'not slow'` starts none"
        )

    subprocess.Popen.__init__ = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _no_processes(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _no_processes(item):
        return (yield)


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

    process: subprocess.Popen[bytes]
    base_url: str
    ca_bundle: str | None
    log: Path

    def stop(self) -> int:
        """SIGTERM, and the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_served_mock(tmp: Path, *args: str) -> ServedMock:
    """Run ``labelf-mock serve --port 0`` with ``args`` and wait until it listens."""
    stamp = time.monotonic_ns()
    ready, log = tmp / f"ready-{stamp}.json", tmp / f"serve-{stamp}.log"
    command = [
        sys.executable,
        "-m",
        "labelf_testkit.mock_server",
        "serve",
        "--port",
        "0",
        "--ready-file",
        str(ready),
        "--no-access-log",
        *args,
    ]
    with log.open("wb") as sink:  # a file, not a pipe: a pipe nobody reads would block the server
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    deadline = time.monotonic() + 20
    while not ready.exists():  # written atomically: once it exists, it is whole
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"labelf-mock serve did not start: {log.read_text()}")
        time.sleep(0.02)
    info = json.loads(ready.read_text())
    served = ServedMock(process, info["base_url"], info["ca_bundle"], log)
    verify = ssl.create_default_context(cafile=info["ca_bundle"]) if info["ca_bundle"] else True
    with httpx.Client(verify=verify) as probe:  # wait until it answers
        for _ in range(200):
            try:
                probe.get(served.base_url + "/openapi.json")
                break
            except httpx.TransportError:
                time.sleep(0.02)
    return served


@pytest.fixture(scope="session")
def _served_mock_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    """``labelf-mock serve`` on a free loopback port with its embedded defaults, for the whole session."""
    served = start_served_mock(tmp_path_factory.mktemp("served"))
    yield served
    assert served.stop() == 0


@pytest.fixture
def served_mock(_served_mock_process: ServedMock) -> ServedMock:
    """The shared served mock, its default session reset: each test starts from an empty journal, no faults.

    The process is shared for speed; the reset makes a test's outcome independent of which tests ran before it
    in the same worker (the CI run at e1954b3 failed a test that read an earlier test's journal entry).
    """
    httpx.post(f"{_served_mock_process.base_url}/__labelf/sessions/default/reset").raise_for_status()
    return _served_mock_process
