"""The README's examples are tests, and its quick-start test command is the one CI runs."""

from __future__ import annotations

import re
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


def test_readme_examples_pass(pytester: pytest.Pytester) -> None:
    found = examples()
    assert {"labelf_client.py", "test_labelf_client.py", "test_httpx_client.py"} <= set(found)
    for name, code in found.items():
        (pytester.path / name).write_text(code, encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "--strict-markers")
    result.assert_outcomes(passed=7)


def test_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    serve, test = quick_start_commands()
    assert serve.endswith("labelf-mock serve")
    assert test.endswith("python -m pytest -n auto --cov")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
