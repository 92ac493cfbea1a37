"""The version is written once, in pyproject.toml; everything else reads the installed metadata."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import labelf_testkit

ROOT = Path(__file__).parent.parent


def test_the_package_version_is_pyprojects() -> None:
    written = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert labelf_testkit.__version__ == importlib.metadata.version("labelf-testkit") == written


def test_the_changelog_has_an_unreleased_section_and_no_future_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    major, minor, patch = (int(part) for part in labelf_testkit.__version__.split("."))
    for line in changelog.splitlines():
        if line.startswith("## [") and not line.startswith("## [Unreleased]"):
            listed = tuple(int(part) for part in line[4:].split("]", 1)[0].split("."))
            assert listed <= (major, minor, patch), f"{line!r} is newer than the package version"
