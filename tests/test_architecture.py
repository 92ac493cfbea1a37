"""The package boundaries hold (the import layers themselves are import-linter's to check), docs/architecture.md's
layers and module map are the contract and the tree, and every cited source can be opened."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

import labelf_testkit.mock_server as mock_server

ROOT = Path(__file__).parent.parent
PACKAGES = ("mock_server", "labelf_testkit", "contract_tests")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(absolute module, imported names)`` for every import in ``path``, relative ones resolved."""
    package = ".".join(("labelf_testkit", *path.relative_to(ROOT).parent.parts))
    if package.startswith("labelf_testkit.labelf_testkit"):
        package = package.replace("labelf_testkit.labelf_testkit", "labelf_testkit", 1)
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.append((module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def test_relative_imports_resolve_to_the_installed_names() -> None:
    # The helper above must agree with Python on where a relative import lands.
    resolved = dict(_imports(ROOT / "labelf_testkit" / "handle.py"))
    assert "labelf_testkit.mock_server" in resolved
    assert "labelf_testkit.mock_server.routes" in dict(_imports(ROOT / "mock_server" / "app.py"))
    assert "labelf_testkit.mock_server.middleware.faults" in dict(_imports(ROOT / "mock_server" / "app.py"))


#: What the plugin may reach inside the mock besides its public names: the explicitly internal module, and the
#: one lazy loader (from the kit's own ``__init__``).
_INTERNAL = {"labelf_testkit.mock_server.internal": "labelf_testkit", "labelf_testkit.mock_server._lazy": "__init__"}


#: What the contract suite may read besides the mock's public names: the documented contract itself (Labelf's
#: endpoint identities and the OpenAPI document), which is not the mock's internals.
_CONTRACT = {"labelf_testkit.mock_server.endpoints", "labelf_testkit.mock_server.openapi"}


@pytest.mark.parametrize("path", _modules("labelf_testkit") + _modules("contract_tests"), ids=lambda p: p.name)
def test_only_public_mock_names_are_imported(path: Path) -> None:
    plugin = path.parent.name == "labelf_testkit"
    for module, names in _imports(path):
        if module in _INTERNAL and plugin and _INTERNAL[module] in (path.parent.name, path.stem):
            continue
        if module in _CONTRACT and not plugin:
            continue
        if module.startswith("labelf_testkit.mock_server."):
            pytest.fail(f"{path.relative_to(ROOT)} imports {module}: import from labelf_testkit.mock_server instead")
        if module == "labelf_testkit.mock_server":
            private = sorted(set(names) - set(mock_server.__all__))
            assert not private, f"{path.relative_to(ROOT)} imports {private}, outside mock_server.__all__"


def test_the_contract_suite_uses_no_internal_name() -> None:
    # The suite checks any Labelf-compatible server; it may not lean on the mock's internals.
    for path in _modules("contract_tests"):
        assert not any(module.endswith(".internal") for module, _ in _imports(path)), path


def test_the_documented_layers_are_the_contract_import_linter_checks() -> None:
    # Which module may import which is checked by `lint-imports` (.ci/lint-imports, pyproject's
    # [tool.importlinter]); this keeps the page that shows the layers equal to what is checked.
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layered = next(c for c in contracts["contracts"] if c["type"] == "layers")
    documented = ARCHITECTURE.split("<!-- layers", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert documented.splitlines() == layered["layers"]
    assert layered["containers"] == ["labelf_testkit.mock_server"] and layered["exhaustive"] is True


def test_every_mock_export_exists() -> None:
    missing = [name for name in mock_server.__all__ if not hasattr(mock_server, name)]
    assert not missing


def test_the_architecture_module_map_is_the_tree() -> None:
    section = ARCHITECTURE.split("<!-- module map", 1)[1].split("\n\n", 1)[0]
    listed: set[str] = set()
    for cell in re.findall(r"^\| (`[^|]+`) \|", section, re.MULTILINE):
        names = re.findall(r"`([^`]+)`", cell)
        folder = names[0].rsplit("/", 1)[0]
        listed.update(name if "/" in name else f"{folder}/{name}" for name in names)
    tree = {str(path.relative_to(ROOT)) for package in PACKAGES for path in _modules(package)}
    assert sorted(tree - listed) == [], "modules missing from docs/architecture.md"
    assert sorted(listed - tree) == [], "docs/architecture.md lists modules that do not exist"


_UNOPENABLE = re.compile(r"research §|shared/research|shared/reference|DESIGN\.md")


def test_every_cited_source_is_one_a_reader_can_open() -> None:
    files = [p for package in (*PACKAGES, "tests", "bench", "docs") for p in (ROOT / package).rglob("*") if p.is_file()]
    files += [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "tox.ini"]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        if path.suffix in {".py", ".md", ".toml", ".ini"} and path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _UNOPENABLE.search(line)
    ]
    assert offenders == [], "cite upstream files, RFC sections, Labelf's pages or docs/fidelity.md instead"


def test_pytester_inner_runs_keep_their_files_order(pytester: pytest.Pytester) -> None:
    # tests/conftest.py: the outer run is shuffled; an inner run is a scenario in sequence.
    pytester.makepyfile(test_a="def test_1(): pass", test_b="def test_2(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    assert "randomly-seed" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*test_a.py::test_1 PASSED*", "*test_b.py::test_2 PASSED*"])
