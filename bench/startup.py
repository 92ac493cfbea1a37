"""What installing labelf-testkit costs a project that does not use it: pytest startup and installed size.

Usage: python bench/startup.py [--runs 7] [--output bench/results/startup.md]

Four fresh virtual environments, each collecting the same unrelated one-test project
(``python -m pytest --co -q``):

  (a) plain pytest, (b) pytest + pytest-httpx (a common neighbour, which also pulls httpx and anyio),
  (c) labelf-testkit's base install, (d) labelf-testkit[contract].

Startup is the median of ``--runs`` runs, taken round-robin so a slow moment hits every environment alike. The
plugins' own share is (c) and (d) again with ``-p no:labelf_testkit -p no:labelf_contract``, in the same rounds.
Size is what each environment adds to an empty venv's site-packages. Read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WITHOUT_KIT = ["-p", "no:labelf_testkit", "-p", "no:labelf_contract"]


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def _footprint(venv: Path) -> tuple[int, float]:
    """Distributions and megabytes in the venv's site-packages."""
    site = _site_packages(venv)
    size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file() and not path.is_symlink())
    return len(list(site.glob("*.dist-info"))), size / 1e6


def _venv(path: Path, *requirements: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    if requirements:
        subprocess.run(
            [str(_python(path)), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
            check=True,
        )
    return path


def _wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("*.whl"))


def _collect_seconds(venv: Path, project: Path, extra: list[str]) -> float:
    command = [str(_python(venv)), "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra]
    start = time.perf_counter()
    subprocess.run(command, cwd=project, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: int) -> list[str]:
    """Build the environments, time them, and return the Markdown section."""
    with tempfile.TemporaryDirectory(prefix="labelf-startup-") as scratch:
        work = Path(scratch)
        project = work / "project"
        project.mkdir()
        (project / "test_one.py").write_text("def test_one():\n    assert True\n", encoding="utf-8")
        wheel = _wheel(work / "dist")
        empty = _venv(work / "empty")
        envs = {
            "plain pytest": (_venv(work / "plain", "pytest"), []),
            "pytest + pytest-httpx": (_venv(work / "httpx", "pytest", "pytest-httpx"), []),
            "labelf-testkit (base)": (_venv(work / "base", str(wheel)), []),
            "labelf-testkit[contract]": (_venv(work / "contract", f"{wheel}[contract]"), []),
        }
        envs["base, -p no:labelf_*"] = (envs["labelf-testkit (base)"][0], WITHOUT_KIT)
        envs["[contract], -p no:labelf_*"] = (envs["labelf-testkit[contract]"][0], WITHOUT_KIT)
        times: dict[str, list[float]] = {name: [] for name in envs}
        for venv, extra in envs.values():  # warm the file cache and .pyc files once
            _collect_seconds(venv, project, extra)
        for _ in range(runs):
            for name, (venv, extra) in envs.items():
                times[name].append(_collect_seconds(venv, project, extra))
        medians = {name: statistics.median(values) for name, values in times.items()}
        base_dists, base_mb = _footprint(empty)
        sizes = {name: _footprint(venv) for name, (venv, extra) in envs.items() if not extra}
        return _table(medians, {k: (d - base_dists, mb - base_mb) for k, (d, mb) in sizes.items()}, runs)


def _table(medians: dict[str, float], sizes: dict[str, tuple[int, float]], runs: int) -> list[str]:
    httpx = medians["pytest + pytest-httpx"]
    lines = [
        f"| unrelated one-test project, `pytest --co` (median of {runs}) | s | vs pytest-httpx env | "
        "distributions | MB installed |",
        "|---|---|---|---|---|",
    ]
    for name, seconds in medians.items():
        dists, mb = sizes.get(name, (None, None))
        size_cells = f"{dists} | {mb:.1f}" if dists is not None and mb is not None else "— | —"
        lines.append(f"| {name} | {seconds:.2f} | {seconds / httpx:.2f}x | {size_cells} |")
    base_share = medians["labelf-testkit (base)"] - medians["base, -p no:labelf_*"]
    contract_share = medians["labelf-testkit[contract]"] - medians["[contract], -p no:labelf_*"]
    lines += [
        "",
        f"The labelf plugins' own share of startup (with vs without them, same environment and rounds): "
        f"{base_share * 1000:+.0f} ms on the base install, {contract_share * 1000:+.0f} ms with `[contract]`.",
    ]
    return lines


def main() -> None:
    """Run the measurement and write the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", default=str(HERE / "results" / "startup.md"))
    args = parser.parse_args()
    lines = measure(args.runs)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
