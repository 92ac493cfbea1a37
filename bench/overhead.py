"""Per-test overhead of the plugin, beside pytest-httpx measured in the same run (``python bench/run.py``, or
only this table: ``python bench/run.py --overhead``).

Each suite is ``tests`` generated tests that fetch a token with one module-level ``httpx.Client`` (as an
application keeps one).  The suites take turns, ``repeats`` times; each suite's best run counts, minus the
best run of a suite of empty tests, timed from the start of the first test to the end of the last.  Wall time
is what a user waits; CPU time (the pytest process, every thread: the mock's server threads run in it) moves
less when other work shares the machine.

Two suites run code that is not shipped, to show what a choice costs: the same intercepted test without TLS
resumption, and with the connections kept open from one test to the next (the behaviour before "each test's
connections end with it", issue 20 row 3, which a later test without interception could reach the mock by).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_INTERCEPTED = textwrap.dedent("""
    def test_{i}(labelf_intercept):
        fetch_token()
""")

#: name: (test body, conftest.py of the suite's folder, label in the table)
SUITES = {
    "empty": ("def test_{i}():\n    pass\n", "", "(empty tests, the baseline subtracted)"),
    "labelf": (_INTERCEPTED, "", "labelf_intercept: real token from the mock over a new loopback TLS connection"),
    "labelf-no-resumption": (
        _INTERCEPTED,
        "import labelf_testkit._tls_patches as tls\n\ntls.kept_session = lambda context: None\n",
        "  the same, without TLS session resumption (not shipped)",
    ),
    "labelf-kept": (
        _INTERCEPTED,
        "from labelf_testkit.servers import MockServers\n\nMockServers.close_connections = lambda self: None\n",
        "  the same, connections kept open across tests (not shipped: issue 20 row 3)",
    ),
    "pytest-httpx": (
        textwrap.dedent("""
            def test_{i}(httpx_mock):
                httpx_mock.add_response(url=URL, json=CANNED)
                fetch_token()
        """),
        "",
        "pytest-httpx: canned response",
    ),
}
_HEADER = textwrap.dedent("""
    import httpx

    URL = "https://auth.app.labelf.ai/oauth2/token"
    CANNED = {"access_token": "ory_at_x", "expires_in": 3122063999, "scope": "", "token_type": "bearer"}

    CLIENT = httpx.Client()  # one client, as an application would keep; creating one costs ~17 ms of TLS setup

    def fetch_token():
        response = CLIENT.post(URL, data={"grant_type": "client_credentials"}, auth=("CLIENT_ID", "CLIENT_SECRET"))
        assert response.status_code == 200 and response.json()["token_type"] == "bearer"
""")


_TIMING = textwrap.dedent("""
    import json, time

    marks = []  # wall and CPU at the first test's start, then at the end of the first and of the last test

    def pytest_runtest_logstart(nodeid, location):
        if not marks:
            marks.append((time.perf_counter(), time.process_time()))

    def pytest_runtest_logfinish(nodeid, location):
        marks[1 if len(marks) == 1 else 2:] = [(time.perf_counter(), time.process_time())]

    def pytest_unconfigure(config):
        (wall0, cpu0), (wall1, cpu1), (wall2, cpu2) = marks
        with open("timing.json", "w") as out:
            json.dump({"first": wall1 - wall0, "wall": wall2 - wall1, "cpu": cpu2 - cpu1}, out)
""")


def _run(folder: Path) -> tuple[float, float, float]:
    """Seconds of one pytest run in ``folder``: the first test (wall), then the others (wall, and CPU of every
    thread of the process).  Python's start, plugin imports and collection are not counted, so their noise
    (seconds on a busy machine) does not land in a per-test figure; nor is the first test, which pays the
    session's one-time costs (the mock's imports, its servers, its certificate)."""
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-x", "-p", "_timing"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    timing = json.loads((folder / "timing.json").read_text())
    return float(timing["first"]), float(timing["wall"]), float(timing["cpu"])


def measure(tests: int, repeats: int) -> dict[str, dict[str, float]]:
    """Per suite: ``wall`` and ``cpu``, ms per test above the empty suite (best runs, the first test left out),
    and ``first``, the first test's ms (best run); ``load``: the load average's ``low`` and ``high``."""
    best = {name: [float("inf")] * 3 for name in SUITES}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (body, conftest, _) in SUITES.items():
            folder = Path(tmp) / name
            folder.mkdir()
            (folder / "test_suite.py").write_text(_HEADER + "".join(body.format(i=i) for i in range(tests)))
            (folder / "pytest.ini").write_text("[pytest]\n")
            (folder / "_timing.py").write_text(_TIMING)
            if conftest:
                (folder / "conftest.py").write_text(conftest)
        for _ in range(repeats):
            for name in SUITES:
                best[name] = [min(old, new) for old, new in zip(best[name], _run(Path(tmp) / name), strict=True)]
                loads.append(os.getloadavg()[0])
    _, empty_wall, empty_cpu = best["empty"]
    result = {
        name: {
            "first": first * 1000,
            "wall": (wall - empty_wall) / (tests - 1) * 1000,
            "cpu": (cpu - empty_cpu) / (tests - 1) * 1000,
        }
        for name, (first, wall, cpu) in best.items()
    }
    result["load"] = {"low": min(loads), "high": max(loads)}
    return result


def table(overhead: dict[str, dict[str, float]], tests: int, repeats: int) -> list[str]:
    """The Markdown table of :func:`measure`'s result."""
    baseline = overhead["pytest-httpx"]
    lines = [
        f"| per-test overhead ({tests} tests, best of {repeats} runs, minus empty tests; the first test apart) | "
        "wall ms/test | vs pytest-httpx | CPU ms/test | vs pytest-httpx | first test, ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, (_, _, label) in SUITES.items():
        row = overhead[name]
        if name == "empty":
            lines.append(f"| {label} | | | | | {row['first']:.0f} |")
            continue
        lines.append(
            f"| {label} | {row['wall']:.2f} | {row['wall'] / baseline['wall']:.2f}x | {row['cpu']:.2f} | "
            f"{row['cpu'] / baseline['cpu']:.2f}x | {row['first']:.0f} |"
        )
    load = overhead["load"]
    cpus = os.cpu_count()
    lines.append(f"| (load average during these runs, {cpus} CPUs) | {load['low']:.1f} to {load['high']:.1f} |")
    return lines
