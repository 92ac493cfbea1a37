"""What a user installs: the wheel's contents, the import names, the plugin's weight, the extras."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test here starts a process

ROOT = Path(__file__).parent.parent
HEAVY = ("starlette", "uvicorn", "httpx", "httpcore", "anyio", "hypothesis", "schemathesis", "requests", "trustme")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel, built from a copy of the source (``python -m build``)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    for name in (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "MANIFEST.in",
        "CHANGELOG.md",
        "CONTRIBUTING.md",
        "mkdocs.yml",
    ):
        shutil.copy(ROOT / name, source)
    for folder in ("labelf_testkit", "mock_server", "contract_tests", "tests", "bench", "docs"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return sdist, wheel


def test_the_wheel_holds_exactly_the_packages(dists: tuple[Path, Path]) -> None:
    names = zipfile.ZipFile(dists[1]).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"labelf_testkit"}
    expected = {
        str(path.relative_to(ROOT)).replace("mock_server/", "labelf_testkit/mock_server/", 1)
        if path.is_relative_to(ROOT / "mock_server")
        else str(path.relative_to(ROOT)).replace("contract_tests/", "labelf_testkit/contract_tests/", 1)
        for folder in ("labelf_testkit", "mock_server", "contract_tests")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {n for n in names if not n.split("/", 1)[0].endswith(".dist-info")} == expected
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(dists[1]).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert "Requires-Dist: hypothesis" in text and 'extra == "contract"' in text
    entry_points = zipfile.ZipFile(dists[1]).read(metadata.replace("METADATA", "entry_points.txt")).decode()
    assert "labelf-mock = labelf_testkit.mock_server.cli:main" in entry_points
    assert "labelf_contract = labelf_testkit.contract_tests.plugin" in entry_points


def test_the_sdist_ships_no_tests_it_cannot_run(dists: tuple[Path, Path]) -> None:
    with tarfile.open(dists[0]) as sdist:
        parts = {Path(member).parts[1] for member in sdist.getnames() if len(Path(member).parts) > 1}
    assert "tests" not in parts and "bench" not in parts
    assert {"LICENSE", "README.md", "pyproject.toml", "mock_server", "labelf_testkit", "contract_tests"} <= parts
    assert {"CHANGELOG.md", "CONTRIBUTING.md", "docs"} <= parts  # what the README links to


def test_both_dists_carry_the_version_written_in_pyproject(dists: tuple[Path, Path]) -> None:
    written = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    sdist, wheel = dists
    assert sdist.name == f"labelf_testkit-{written}.tar.gz"
    assert wheel.name.startswith(f"labelf_testkit-{written}-")
    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    assert f"\nVersion: {written}\n" in zipfile.ZipFile(wheel).read(metadata).decode()


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return set(result.stdout.split())


def test_loading_the_plugins_imports_nothing_heavy() -> None:
    loaded = _imported_after("import labelf_testkit.plugin, labelf_testkit.contract_tests.plugin, labelf_testkit")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_probe_would_see_a_heavy_import() -> None:
    assert "starlette" in _imported_after("from labelf_testkit.mock_server import create_app")


def test_a_project_with_its_own_mock_server_and_contract_tests_packages(pytester: pytest.Pytester) -> None:
    # Generic top-level names a user project may well have; the kit must not shadow or be shadowed by them.
    for package in ("mock_server", "contract_tests"):
        pytester.mkpydir(package).joinpath("__init__.py").write_text(f"NAME = {package!r}\n")
    pytester.makepyfile(
        test_mine=textwrap.dedent(
            """
            import requests

            import contract_tests
            import mock_server


            def test_both(labelf_mock, labelf_intercept):
                assert (mock_server.NAME, contract_tests.NAME) == ("mock_server", "contract_tests")
                response = requests.post(
                    "https://auth.app.labelf.ai/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=("CLIENT_ID", "CLIENT_SECRET"),
                )
                assert response.status_code == 200
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_suite_without_its_extra_stops_with_one_line(pytester: pytest.Pytester) -> None:
    # Make hypothesis and schemathesis look uninstalled for the subprocess only.
    pytester.makepyfile(
        sitecustomize="""
        import sys

        class _Uninstalled:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"hypothesis", "schemathesis"}:
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, _Uninstalled())
        """
    )
    # --assert=plain: pytest's assertion rewriter finds plugin distributions' modules itself, past the blocker.
    result = pytester.runpytest_subprocess(
        "--assert=plain",
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:schemathesis",
        "--pyargs",
        "labelf_testkit.contract_tests",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert errors == [
        "ERROR: the Labelf contract suite needs hypothesis, schemathesis: pip install 'labelf-testkit[contract]'"
    ]
    assert "Traceback" not in result.stdout.str()


def test_labelf_mock_version() -> None:
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "labelf_testkit.mock_server", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"labelf-mock {version('labelf-testkit')}"
