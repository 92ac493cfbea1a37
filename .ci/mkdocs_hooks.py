"""MkDocs hooks: let mkdocstrings read the packages laid out as the wheel installs them, and show the docstrings'
Sphinx roles (``:class:`X```) as code.

The wheel installs mock_server/ and contract_tests/ as labelf_testkit.mock_server and
labelf_testkit.contract_tests (pyproject's package-dir).  griffe, which mkdocstrings uses, reads source trees and
does not follow that mapping, so the API page is built from a tree of links laid out like the wheel, as
.ci/typecheck does for mypy.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parent.parent
_trees: list[Path] = []


@event_priority(100)  # before mkdocstrings' own on_config, which creates the handler with these paths
def on_config(config: Any) -> Any:
    tree = Path(tempfile.mkdtemp(prefix="labelf-api-"))
    _trees.append(tree)
    package = tree / "labelf_testkit"
    package.mkdir()
    for entry in (ROOT / "labelf_testkit").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "mock_server").symlink_to(ROOT / "mock_server")
    (package / "contract_tests").symlink_to(ROOT / "contract_tests")
    python = config["plugins"]["mkdocstrings"].config["handlers"].setdefault("python", {})
    python["paths"] = [str(tree)]
    return config


def on_post_build(config: Any) -> None:
    _remove_trees()


def on_build_error(error: Exception) -> None:
    _remove_trees()


def _remove_trees() -> None:
    while _trees:
        shutil.rmtree(_trees.pop(), ignore_errors=True)


# A Sphinx cross-reference role as Markdown renders it: ``:meth:`fail``` becomes ``:meth:<code>fail</code>``.
_ROLE = re.compile(r":(?:py:)?(?:attr|class|data|exc|func|meth|mod|obj):<code>(?P<tilde>~?)\.?(?P<target>[^<]*)</code>")


def _as_code(match: re.Match[str]) -> str:
    target = match["target"]
    return f"<code>{target.rsplit('.', 1)[-1] if match['tilde'] else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    """The docstrings are Sphinx-style; their roles read as code (``~`` keeps the last name, as Sphinx does)."""
    return _ROLE.sub(_as_code, html)
