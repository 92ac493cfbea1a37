"""docs/guide/ci-any-language.md runs as written: its scripts are taken from the page, its GitHub Actions workflow
is read from its YAML and run step by step as Actions would (``bash -eo pipefail``, the job's ``env``,
``$GITHUB_ENV`` between steps, ``if: failure()`` / ``always()``), against a real ``labelf-mock serve``, with the
page's client, with a client that forgot to retry, and with one that sends the wrong text.  What the page says
the scripts print is what they print."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_readme import collect_examples

#: A test that runs the recipe: it starts processes, and needs node and curl.
runs_the_recipe = pytest.mark.usefixtures("_tools")


@pytest.fixture
def _tools() -> None:
    for tool in ("node", "curl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")


PAGE = Path(__file__).parents[2] / "docs" / "guide" / "ci-any-language.md"
TEXT = PAGE.read_text(encoding="utf-8")
EXAMPLES = collect_examples({"docs/guide/ci-any-language.md": TEXT})
OUTPUTS = {
    match["name"]: match["text"]
    for match in re.finditer(r"<!-- output: (?P<name>.+?) -->\n```text\n(?P<text>.*?)^```", TEXT, re.S | re.M)
}
#: The files a repository following the page holds (the client and the Node check are files; the rest is YAML).
FILES = ("retrying-client.mjs", "verify-calls.mjs")
#: The workflow's steps that are not scripts of the page: the actions it uses, and what a test cannot do here.
ACTIONS = ["actions/checkout@v4", "actions/setup-python@v5", "actions/setup-node@v4", "actions/upload-artifact@v4"]
INSTALL = "python -m pip install labelf-testkit"  # the test runs the mock this checkout installed
RUN_CLIENT = "node retrying-client.mjs"


def workflow() -> dict[Any, Any]:
    parsed: dict[Any, Any] = yaml.safe_load(EXAMPLES["labelf-mock-ci.yml"])
    return parsed


def job() -> dict[str, Any]:
    test: dict[str, Any] = workflow()["jobs"]["test"]
    return test


@dataclass
class Step:
    name: str
    code: int | None  # None: skipped, as Actions skips a step whose `if` is false
    output: str


class Runner:
    """Runs the workflow's steps in ``folder`` as GitHub Actions runs them on a runner."""

    def __init__(self, folder: Path, client: str | None = None) -> None:
        self.folder = folder
        self.temp = folder / "runner-temp"
        self.temp.mkdir()
        self.github_env = self.temp / "github-env"
        self.github_env.touch()
        for name in FILES:
            (folder / name).write_text(EXAMPLES[name], encoding="utf-8")
        if client is not None:
            (folder / "retrying-client.mjs").write_text(client, encoding="utf-8")
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LABELF_", "GITHUB_", "RUNNER_"))}
        self.env = {
            **inherited,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # labelf-mock, python3
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_ENV": str(self.github_env),
            **{key: str(value) for key, value in job()["env"].items()},
        }

    def run(self, extra: dict[str, str] | None = None) -> list[Step]:
        """Every step; ``extra`` adds a script right after the step of that name (in the same conditions)."""
        steps: list[Step] = []
        failed = False
        try:
            for step in job()["steps"]:
                if "uses" in step:
                    continue
                condition = step.get("if", "success()")
                runs = {"success()": not failed, "failure()": failed, "always()": True}[condition]
                scripts = [step["run"]] + ([extra[step["name"]]] if extra and step["name"] in extra else [])
                for script in scripts:
                    if not runs or script == INSTALL:
                        steps.append(Step(step["name"], None, ""))
                        continue
                    done = self._bash(script)
                    steps.append(Step(step["name"], done.returncode, done.stdout + done.stderr))
                    failed = failed or done.returncode != 0
        finally:
            self._stop_leftover()
        return steps

    def _bash(self, script: str) -> subprocess.CompletedProcess[str]:
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
        done = subprocess.run(
            command, cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        for line in self.github_env.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            self.env[key] = value
        return done

    def _stop_leftover(self) -> None:
        pid_file = self.temp / "labelf-mock.pid"
        if pid_file.exists():
            with_pid = int(pid_file.read_text())
            try:
                os.kill(with_pid, signal.SIGKILL)
            except ProcessLookupError:
                return


def by_name(steps: list[Step]) -> dict[str, list[Step]]:
    found: dict[str, list[Step]] = {}
    for step in steps:
        found.setdefault(step.name, []).append(step)
    return found


def _gone(pid: int) -> bool:
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_the_workflow_parses_and_its_run_steps_are_the_pages_scripts() -> None:
    parsed = workflow()
    assert parsed.get("on", parsed.get(True)) == ["push", "pull_request"]  # PyYAML reads a bare `on` as True
    assert job()["defaults"] == {"run": {"shell": "bash"}}  # Actions' bash: -eo pipefail, as the test runs it
    assert job()["env"] == {"LABELF_CLIENT_ID": "CLIENT_ID", "LABELF_CLIENT_SECRET": "CLIENT_SECRET"}
    steps = job()["steps"]
    assert [step["uses"] for step in steps if "uses" in step] == ACTIONS
    scripts = {code.strip(): name for name, code in EXAMPLES.items() if name.endswith(".sh")}
    runs = [step["run"].strip() for step in steps if "run" in step]
    assert runs[0] == INSTALL and runs[3] == RUN_CLIENT
    named = [scripts.get(run) for run in runs if run not in (INSTALL, RUN_CLIENT)]
    assert named == [
        "start-labelf-mock.sh",
        "plan-faults.sh",
        "verify-calls.sh",
        "keep-journal.sh",
        "stop-labelf-mock.sh",
    ]
    assert [step.get("if") for step in steps if step.get("name") in ("Keep the journal", "Stop the mock")] == [
        "failure()",
        "always()",
    ]


@pytest.mark.slow
@runs_the_recipe
def test_the_recipe_passes_with_the_pages_client(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    steps = by_name(runner.run(extra={"Verify what the mock received": "node verify-calls.mjs"}))
    assert all(step.code == 0 for name in steps for step in steps[name] if step.code is not None), steps
    assert steps["Run the code under test"][0].output == OUTPUTS["node retrying-client.mjs"]
    shell, node = steps["Verify what the mock received"]
    assert shell.output == OUTPUTS["verify-calls.sh"] == node.output
    assert steps["Keep the journal"][0].code is None  # nothing failed
    assert steps["Install the mock"][0].code is None
    assert runner.env["LABELF_API_URL"] == runner.env["LABELF_MOCK_URL"] + "/v2"
    assert _gone(int((runner.temp / "labelf-mock.pid").read_text())), "the stop step left the mock running"


@pytest.mark.slow
@runs_the_recipe
def test_a_client_without_its_retry_fails_the_job_and_keeps_the_journal(tmp_path: Path) -> None:
    client = EXAMPLES["retrying-client.mjs"]
    assert "attempts = 4" in client
    runner = Runner(tmp_path, client.replace("attempts = 4", "attempts = 1"))
    steps = by_name(runner.run())
    failed = steps["Run the code under test"][0]
    assert failed.code != 0 and 'Error: token: 503 {"error":"temporarily_unavailable"' in failed.output
    assert steps["Verify what the mock received"][0].code is None
    assert steps["Keep the journal"][0].code == 0 and steps["Stop the mock"][0].code == 0
    har = json.loads((tmp_path / "labelf-journal.har").read_text())
    assert har["log"]["version"] == "1.2"
    assert [(e["request"]["url"].rsplit("/", 2)[-2:], e["response"]["status"]) for e in har["log"]["entries"]] == [
        (["oauth2", "token"], 503)
    ]
    assert "CLIENT_SECRET" not in json.dumps(har)


@pytest.mark.slow
@runs_the_recipe
def test_a_client_sending_other_texts_fails_verification_with_the_near_miss_report(tmp_path: Path) -> None:
    client = EXAMPLES["retrying-client.mjs"].replace('["where is my parcel"]', '["where is my parcel?"]')
    runner = Runner(tmp_path, client)
    steps = by_name(runner.run(extra={"Verify what the mock received": "node verify-calls.mjs"}))
    assert steps["Run the code under test"][0].code == 0
    shell, node = steps["Verify what the mock received"]
    assert shell.code == 1 and node.code == 1
    report = OUTPUTS['verify-calls.sh, the client sends "where is my parcel?"']
    assert shell.output == report == node.output
    assert steps["Keep the journal"][0].code == 0 and steps["Stop the mock"][0].code == 0


#: A company runner's proxy settings, pointing at a port nothing listens on: a request sent there is refused.
_DEAD_PROXY = {
    name: "http://127.0.0.1:9" for name in ("http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
}


@pytest.mark.slow
@runs_the_recipe
@pytest.mark.parametrize("proxies", [{}, _DEAD_PROXY], ids=["no-proxy", "behind-a-proxy"])
def test_the_recipe_runs_outside_actions(tmp_path: Path, proxies: dict[str, str]) -> None:
    for name in ("start-labelf-mock.sh", "plan-faults.sh", "verify-calls.sh", "stop-labelf-mock.sh", *FILES):
        (tmp_path / name).write_text(EXAMPLES[name], encoding="utf-8")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LABELF_", "GITHUB_", "RUNNER_"))}
    env = {**inherited, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **proxies}
    env["RUNNER_TEMP"] = str(tmp_path)  # /tmp by default: kept apart from other runs of this test
    done = subprocess.run(
        ["bash", "-c", EXAMPLES["ci-locally.sh"]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith(OUTPUTS["node retrying-client.mjs"] + OUTPUTS["verify-calls.sh"])
    assert _gone(int((tmp_path / "labelf-mock.pid").read_text())), "the trap left the mock running"


@pytest.mark.slow
@runs_the_recipe
def test_without_github_env_the_start_script_prints_the_variables(tmp_path: Path) -> None:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LABELF_", "GITHUB_", "RUNNER_"))}
    env = {**inherited, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["RUNNER_TEMP"] = str(tmp_path)
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", EXAMPLES["start-labelf-mock.sh"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        names = ["LABELF_MOCK_URL", "LABELF_AUTH_URL", "LABELF_API_URL", "NO_PROXY", "no_proxy"]
        assert [line.split("=", 1)[0] for line in lines] == names
        assert re.fullmatch(r"LABELF_MOCK_URL=http://127\.0\.0\.1:\d+", lines[0])
    finally:
        os.kill(int((tmp_path / "labelf-mock.pid").read_text()), signal.SIGTERM)
