"""The control API's, sessions' and remote handle's pages: every shell, node and Python example runs against a
``labelf-mock serve``, and the documentation's plugin examples that do not use interception pass unchanged with
``--labelf-mock-url`` pointing at it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServedMock
from tests.test_readme import examples, write_examples

pytestmark = pytest.mark.slow
_PAGES = ("control-api.md", "sessions.md", "remote.md")
_LOCAL_ONLY = ("labelf_intercept", "intercept=True", "labelf_mock_server")


def _page_examples(suffix: str) -> list[str]:
    text = "".join((Path(__file__).parents[2] / "docs" / "guide" / page).read_text() for page in _PAGES)
    return [name for name in examples() if name.endswith(suffix) and f"<!-- example: {name} -->" in text]


def _env(served: ServedMock) -> dict[str, str]:
    return {**os.environ, "LABELF_MOCK_URL": served.base_url}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("name", _page_examples(".sh"))
def test_shell_examples_run(served_mock: ServedMock, tmp_path: Path, name: str) -> None:
    command = ["bash", "-euo", "pipefail", "-c", examples()[name]]
    result = subprocess.run(
        command, cwd=tmp_path, env=_env(served_mock), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    subprocess.run(
        ["curl", "-sf", "-X", "POST", f"{served_mock.base_url}/__labelf/sessions/default/reset"],
        check=True,
        capture_output=True,
    )


def test_the_shell_examples_show_what_they_say(served_mock: ServedMock, tmp_path: Path) -> None:
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", examples()["sessions_lifecycle.sh"]],
        cwd=tmp_path,
        env=_env(served_mock),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = run.stdout.splitlines()
    assert lines[0].endswith("503") and lines[1:3] == ["200", "[503]"]  # the fault's JSON has no newline
    verify = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", examples()["control_verify.sh"]],
        cwd=tmp_path,
        env=_env(served_mock),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    resume = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", examples()["sessions_resume.sh"]],
        cwd=tmp_path,
        env=_env(served_mock),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert resume.stdout.splitlines() == ["401", "201", "200", "client_secret"]
    recordings = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", examples()["control_recordings.sh"]],
        cwd=tmp_path,
        env=_env(served_mock),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert recordings.stdout.splitlines() == [
        "{'label': 'billing', 'score': 0.9412}",
        "TEXT_NOT_RECORDED",
        "['support.toml']",
        '{"forgotten":1,"strict":false}',
    ]
    assert (
        "Closest requests received:\n  - POST /v2/models/2/inference -> 200 — differs: model_id: model ['2']"
        in verify.stdout
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_node_example_runs(served_mock: ServedMock, tmp_path: Path) -> None:
    script = tmp_path / "control_fetch.mjs"
    script.write_text(examples()["control_fetch.mjs"], encoding="utf-8")
    result = subprocess.run(
        ["node", str(script)], env=_env(served_mock), capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout) == (0, "503 200\n"), result.stderr


def _run_example(name: str, served_mock: ServedMock, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the docs' Python example ``name`` against the served mock, from a folder holding every example."""
    write_examples(tmp_path)
    return subprocess.run(
        [sys.executable, name], cwd=tmp_path, env=_env(served_mock), capture_output=True, text=True, timeout=60
    )


def test_the_connect_example_prints_the_scripted_answer(served_mock: ServedMock, tmp_path: Path) -> None:
    result = _run_example("remote_connect.py", served_mock, tmp_path)
    assert (result.returncode, result.stdout) == (0, "{'label': 'positive', 'score': 0.97}\n"), result.stderr


def test_the_resume_example_reopens_the_session(served_mock: ServedMock, tmp_path: Path) -> None:
    result = _run_example("remote_resume.py", served_mock, tmp_path)
    assert result.returncode == 0, result.stderr
    timeout, closed = result.stdout.splitlines()
    assert timeout == "600.0" and closed.startswith("No open session '") and "expired after 600 s idle" in closed


def _remote_ready() -> dict[str, str]:
    return {
        name: code
        for name, code in examples().items()
        if name.startswith("test_") and not any(word in code for word in _LOCAL_ONLY)
    }


def test_some_documented_plugin_examples_need_no_interception() -> None:
    assert {"test_remote_ready.py", "test_recorded_anywhere.py"} <= set(_remote_ready())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_the_documented_plugin_examples_pass_against_a_remote_mock(
    served_mock: ServedMock, pytester: pytest.Pytester, workers: list[str]
) -> None:
    write_examples(pytester.path)
    for name in examples():
        if name.startswith("test_") and name not in _remote_ready():
            (pytester.path / name).unlink()
    default = f"{served_mock.base_url}/__labelf/sessions/default"
    subprocess.run(["curl", "-sf", "-X", "POST", f"{default}/reset"], capture_output=True, check=True)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error", "--strict-markers", "--labelf-mock-url", served_mock.base_url, *workers
    )
    from tests.test_readme import PASSING

    result.assert_outcomes(passed=sum(PASSING[name] for name in _remote_ready()))
    after = subprocess.run(
        ["curl", "-sf", f"{served_mock.base_url}/__labelf/sessions/default"], capture_output=True, text=True, check=True
    ).stdout
    assert '"requests":0' in after  # nothing reached the default session: each worker used its own
    listing = subprocess.run(
        ["curl", "-sf", f"{served_mock.base_url}/__labelf/sessions"], capture_output=True, text=True, check=True
    ).stdout
    assert '"open":0' in listing  # every worker closed its session
