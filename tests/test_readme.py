"""The documentation's examples are tests, and the README's quick-start test command is the one CI runs.

Examples live in README.md and in every page under docs/: a fenced block right after a
``<!-- example: NAME -->`` line is written to a file called NAME, all of them into one folder, and run there
together (so one page's test may import another page's module).  Two examples with the same name, or a marker
with no fenced block right after it, are errors, whichever pages they are on.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MARKER = re.compile(r"<!-- example: (?P<name>\S+) -->")
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w.-]+) -->\n```[\w-]*\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)

#: Each test-file example and how many tests it passes.  A page that adds a test example adds it here.
PASSING = {
    "test_quick_example.py": 1,
    "test_labelf_client.py": 5,
    "test_httpx_client.py": 2,
    "test_ticket_router.py": 4,
    "test_model_training.py": 1,
    "test_matching.py": 1,
    "test_call_counts.py": 1,
    "test_unittest_routing.py": 2,
    "test_recorded_routing.py": 2,
    "test_recorded_anywhere.py": 2,
    "test_remote_ready.py": 3,
    "test_interception_guide.py": 3,
    "test_interception_on_uvloop.py": 1,
    "test_journal_timing.py": 1,
}


class ExampleError(ValueError):
    """The pages' examples cannot be collected as written."""


def documentation_pages() -> dict[str, str]:
    """README.md and every Markdown page under docs/, by their path in the repository."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return {str(page.relative_to(ROOT)): page.read_text(encoding="utf-8") for page in pages}


def collect_examples(pages: Mapping[str, str]) -> dict[str, str]:
    """Every example of ``pages`` (path -> text) by file name; :class:`ExampleError` on a clash or a stray marker."""
    found: dict[str, str] = {}
    where: dict[str, str] = {}
    for page, text in pages.items():
        blocks = list(EXAMPLE.finditer(text))
        stray = sorted({m["name"] for m in MARKER.finditer(text)} - {b["name"] for b in blocks})
        if stray or len(blocks) != len(MARKER.findall(text)):
            raise ExampleError(f"{page}: example marker(s) {stray} not followed by a fenced block")
        for block in blocks:
            name = block["name"]
            if name in found:
                raise ExampleError(f"example {name!r} is defined twice: in {where[name]} and in {page}")
            found[name], where[name] = block["code"], page
    return found


@functools.cache
def examples() -> dict[str, str]:
    return collect_examples(documentation_pages())


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.DOTALL)][:2]


def write_examples(folder: Path, **changes: tuple[str, str]) -> None:
    """Every example into ``folder``; ``changes`` maps an example's name (dots as ``_``) to (old, new) text."""
    for name, code in examples().items():
        old, new = changes.get(name.replace(".", "_"), ("", ""))
        if old:
            assert old in code, f"{old!r} is not in the example {name}"
        (folder / name).write_text(code.replace(old, new) if old else code, encoding="utf-8")


def run_examples(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "--strict-markers")


@pytest.mark.slow
def test_the_documentation_examples_pass(pytester: pytest.Pytester) -> None:
    assert {"labelf_client.py", "ticket_router.py", "script_session.py", *PASSING} <= set(examples())
    tests = {name for name in examples() if name.startswith("test_") and name.endswith(".py")}
    assert tests == set(PASSING), "a test example was added or removed: update PASSING"
    write_examples(pytester.path)
    run_examples(pytester).assert_outcomes(passed=sum(PASSING.values()))


@pytest.mark.slow
@pytest.mark.parametrize(("old", "new"), [(">= 0.9", "> 0.9"), ("< 0.6", "<= 0.6")])
def test_the_routing_example_fails_when_the_router_is_wrong(pytester: pytest.Pytester, old: str, new: str) -> None:
    write_examples(pytester.path, ticket_router_py=(old, new))
    result = run_examples(pytester)
    assert result.parseoutcomes()["failed"] >= 1
    result.stdout.fnmatch_lines(["FAILED test_ticket_router.py::test_routes_by_confidence*"])


@pytest.mark.slow
def test_the_readme_example_fails_when_the_retry_is_gone(pytester: pytest.Pytester) -> None:
    write_examples(pytester.path, test_quick_example_py=("for _ in range(2):", "for _ in range(1):"))
    result = run_examples(pytester)
    result.stdout.fnmatch_lines(["FAILED test_quick_example.py::test_classifies_offline_and_retries_once*"])


@pytest.mark.slow
def test_the_unittest_example_runs_without_pytest(tmp_path: Path) -> None:
    write_examples(tmp_path)
    command = [sys.executable, "-m", "unittest", "-v", "test_unittest_routing"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 2 tests" in result.stderr


@pytest.mark.slow
def test_the_script_example_prints_the_scripted_answer(tmp_path: Path) -> None:
    write_examples(tmp_path)
    command = [sys.executable, "script_session.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "{'label': 'positive', 'score': 0.97}\n"


def test_examples_from_every_page_are_collected() -> None:
    pages = documentation_pages()
    assert "README.md" in pages and "docs/guide/scripting.md" in pages
    assert examples()["test_quick_example.py"] in pages["README.md"]
    assert examples()["ticket_router.py"] in pages["docs/guide/scripting.md"]


def test_a_python_example_with_tests_is_named_so_pytest_collects_it() -> None:
    """A reader copies an example under its name and runs pytest: a file of ``def test_…`` under another name
    (``journal_timing.py``) would run nothing, for the reader and for the run above."""
    misnamed = [
        name
        for name, code in examples().items()
        if name.endswith(".py") and not name.startswith("test_") and re.search(r"^def test_", code, re.MULTILINE)
    ]
    assert misnamed == []


def test_two_examples_with_one_name_are_an_error() -> None:
    block = "<!-- example: a.py -->\n```python\nx = 1\n```\n"
    assert collect_examples({"one.md": block}) == {"a.py": "x = 1\n"}
    with pytest.raises(ExampleError, match=r"'a.py' is defined twice: in one.md and in two.md"):
        collect_examples({"one.md": block, "two.md": block})


def test_a_marker_without_a_block_is_an_error() -> None:
    with pytest.raises(ExampleError, match=r"page.md: example marker\(s\) \['b.py'\]"):
        collect_examples({"page.md": "<!-- example: b.py -->\n\nsome prose\n"})


def test_a_block_keeps_its_nested_fences_and_language() -> None:
    page = "<!-- example: conf.toml -->\n```toml\nkey = 1\n```\n\n<!-- example: c.py -->\n```python\ns = '```'\n```\n"
    assert collect_examples({"p.md": page}) == {"conf.toml": "key = 1\n", "c.py": "s = '```'\n"}


def test_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    # both install `.`: they run in a checkout, and the README says so (elsewhere pip finds nothing to install)
    assert "In a checkout of this repository" in README.split("## Quick start", 1)[1].split("```", 1)[0]
    serve, test = quick_start_commands()
    assert serve.endswith("labelf-mock serve")
    assert test.endswith("python -m pytest -n auto --cov")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_is_short_and_its_links_resolve() -> None:
    assert len(README.splitlines()) <= 200
    targets = re.findall(r"\]\((?!https?://|#)([^)#\s]+)", README)
    assert "docs/index.md" in targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert missing == [], "README links to files that do not exist"
