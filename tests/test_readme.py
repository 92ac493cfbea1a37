"""The README's examples are tests, and its quick-start test command is the one CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w.]+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)


def examples() -> dict[str, str]:
    return {match["name"]: match["code"] for match in EXAMPLE.finditer(README)}


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.DOTALL)][:2]


def write_examples(folder: Path, **changes: tuple[str, str]) -> None:
    """Every example into ``folder``; ``changes`` maps an example's name (dots as ``_``) to (old, new) text."""
    for name, code in examples().items():
        old, new = changes.get(name.replace(".", "_"), ("", ""))
        if old:
            assert old in code, f"{old!r} is not in the README's {name}"
        (folder / name).write_text(code.replace(old, new) if old else code, encoding="utf-8")


def run_examples(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "--strict-markers")


def test_readme_examples_pass(pytester: pytest.Pytester) -> None:
    assert {
        "labelf_client.py",
        "test_labelf_client.py",
        "test_httpx_client.py",
        "ticket_router.py",
        "test_ticket_router.py",
        "test_matching.py",
        "test_call_counts.py",
        "test_unittest_routing.py",
        "script_session.py",
    } <= set(examples())
    write_examples(pytester.path)
    run_examples(pytester).assert_outcomes(passed=15)


@pytest.mark.parametrize(("old", "new"), [(">= 0.9", "> 0.9"), ("< 0.6", "<= 0.6")])
def test_the_routing_example_fails_when_the_router_is_wrong(pytester: pytest.Pytester, old: str, new: str) -> None:
    write_examples(pytester.path, ticket_router_py=(old, new))
    result = run_examples(pytester)
    assert result.parseoutcomes()["failed"] >= 1
    result.stdout.fnmatch_lines(["FAILED test_ticket_router.py::test_routes_by_confidence*"])


def test_the_unittest_example_runs_without_pytest(tmp_path: Path) -> None:
    write_examples(tmp_path)
    command = [sys.executable, "-m", "unittest", "-v", "test_unittest_routing"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 2 tests" in result.stderr


def test_the_script_example_prints_the_scripted_answer(tmp_path: Path) -> None:
    write_examples(tmp_path)
    command = [sys.executable, "script_session.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "{'label': 'positive', 'score': 0.97}\n"


def test_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    serve, test = quick_start_commands()
    assert serve.endswith("labelf-mock serve")
    assert test.endswith("python -m pytest -n auto --cov")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
