"""labelf-testkit benchmarks, every figure next to a baseline measured in the same run.

Usage: python bench/run.py [--quick] [--control | --overhead] [--output bench/results/latest.md]

1. Token endpoint over a real socket (uvicorn, one worker): throughput and p50/p99 latency, beside a bare ASGI
   app on the same stack (the framework ceiling); on uvicorn's httptools parser when installed, and on h11 for
   comparison.  Then the npm ``oauth2-mock-server`` 8.x (when node is present) and the mock, loaded in turns.
   Load comes from ``wrk`` when installed, else from a built-in asyncio load generator (slower: the figures then
   say so).
1b. In-process app time per token request (no socket, no HTTP parser) beside a Starlette constant route:
   the ratio that survives noisy machines best.
2. Per-test overhead of the plugin (bench/overhead.py; only this with ``--overhead``): 500 generated tests that
   each fetch a token through ``labelf_intercept`` (also without TLS resumption, and with connections kept
   across tests: not shipped, for comparison), the same body with ``pytest-httpx`` answering a canned token,
   and 500 empty tests.
3. Start and stop of the session socket server, beside uvicorn serving the bare app.
4. Resident memory growth after issuing 1,000,000 tokens (and 20,000 through the whole app in-process), bytes
   per revocation, and the memory a full journal of huge requests holds.
5. With ``--control``, only the control API's costs (bench/control.py): token throughput with 100 sessions open
   against today's serve, one control call's latency, memory with 1,000 sessions.
Machines are noisy: read the ratios, not the absolute numbers.  Nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASIC = "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ="  # CLIENT_ID:CLIENT_SECRET, the documented example
BODY = "grant_type=client_credentials"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def _server(command: list[str], port: int, cwd: Path | None = None) -> Iterator[None]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port)
        yield
    finally:
        process.terminate()
        process.wait(10)


# --- load -----------------------------------------------------------------------------------------


def _wrk(url: str, seconds: int, connections: int, basic: str = BASIC) -> dict[str, float]:
    script = HERE / "results" / "post.lua"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{BODY}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Authorization"] = "{basic}"\n'
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not match:
            return float("nan")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps[1]) if rps else float("nan"),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": float(non2xx[1]) if non2xx else 0.0,
    }


async def _asyncio_load(
    host: str, port: int, path: str, seconds: float, connections: int, basic: str = BASIC
) -> dict[str, float]:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {basic}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(BODY)}\r\n\r\n{BODY}"
    ).encode()
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not head.startswith(b"HTTP/1.1 200")
        writer.close()

    begun = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - begun
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "errors": float(errors),
    }


def _load(port: int, path: str, seconds: float, use_wrk: bool, basic: str = BASIC) -> dict[str, float]:
    if use_wrk:
        return _wrk(f"http://127.0.0.1:{port}{path}", int(seconds), 16, basic)
    return asyncio.run(_asyncio_load("127.0.0.1", port, path, seconds, 16, basic))


def in_turns(
    loads: dict[str, tuple[int, str, str]], seconds: float, rounds: int, warm_up: float = 1, use_wrk: bool = False
) -> dict[str, list[float]]:
    """req/s of each load (port, path, Authorization) in each of ``rounds`` rounds, the loads taken in turns.

    Each load is warmed up for ``warm_up`` seconds first; each round starts one load later than the one before,
    so no load is always first or last and all of them see the same machine.  One load generator for all.
    """
    for port, path, basic in loads.values():
        _load(port, path, warm_up, use_wrk, basic)
    runs: dict[str, list[float]] = {name: [] for name in loads}
    names = list(loads)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            port, path, basic = loads[name]
            runs[name].append(_load(port, path, seconds, use_wrk, basic)["rps"])
    return runs


def ratios(runs: dict[str, list[float]], name: str, baseline: str) -> list[float]:
    """Each round's ratio of ``name`` to ``baseline`` (both measured in that round)."""
    return [value / base for value, base in zip(runs[name], runs[baseline], strict=True)]


def _node_mock(node_dir: Path) -> list[str] | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    binary = node_dir / "node_modules" / ".bin" / "oauth2-mock-server"
    if not binary.exists():
        node_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "oauth2-mock-server@8"],
            cwd=node_dir,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0 or not binary.exists():
            return None
    return [str(binary), "-a", "127.0.0.1", "-p"]


def _parsers() -> list[str]:
    try:
        import httptools  # noqa: F401 - only asks whether uvicorn can use it
    except ImportError:
        return ["h11"]
    return ["httptools", "h11"]


def bench_throughput(seconds: int) -> list[tuple[str, dict[str, float]]]:
    use_wrk = shutil.which("wrk") is not None
    rows = []
    python = [sys.executable, str(HERE / "serve.py")]
    cases = [
        (f"{label} [{parser}]", which, parser)
        for parser in _parsers()
        for label, which in (
            ("bare ASGI constant 200 (ceiling)", "bare"),
            ("Starlette route, constant 200 (framework floor)", "starlette"),
            ("labelf mock /oauth2/token", "mock"),
        )
    ]
    for name, which, parser in cases:
        port = _free_port()
        with _server([*python, which, str(port), parser], port, cwd=HERE):
            _load(port, "/oauth2/token", 1, use_wrk)  # warm-up
            rows.append((name, _load(port, "/oauth2/token", seconds, use_wrk)))
    for _, row in rows:
        row["loadgen_wrk"] = float(use_wrk)
    return rows


def bench_versus_npm(seconds: int, rounds: int) -> dict[str, float]:
    """The mock (best parser) and the npm ``oauth2-mock-server`` side by side, each warmed up for 3 s (node's JIT
    needs it), then loaded in turns for ``rounds`` rounds: each round's ratio, so both see the same machine.
    Empty when node and npm are missing."""
    node = _node_mock(HERE / "results" / "node")
    if node is None:
        return {}
    use_wrk = shutil.which("wrk") is not None
    mock_port, npm_port = _free_port(), _free_port()
    mock = [sys.executable, str(HERE / "serve.py"), "mock", str(mock_port), _parsers()[0]]
    with _server(mock, mock_port, cwd=HERE), _server([*node, str(npm_port)], npm_port):
        loads = {"mock": (mock_port, "/oauth2/token", BASIC), "npm": (npm_port, "/token", BASIC)}
        runs = in_turns(loads, seconds, rounds, warm_up=3, use_wrk=use_wrk)
    each = ratios(runs, "mock", "npm")
    return {
        "ratio": statistics.median(each),
        "low": min(each),
        "high": max(each),
        "mock_rps": statistics.median(runs["mock"]),
        "npm_rps": statistics.median(runs["npm"]),
        "rounds": float(rounds),
    }


# --- in-process app time ---------------------------------------------------------------------------

_TOKEN_SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/oauth2/token",
    "raw_path": b"/oauth2/token",
    "query_string": b"",
    "root_path": "",
    "client": ("127.0.0.1", 1),
    "server": ("127.0.0.1", 8080),
}


def _token_headers(basic: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", b"127.0.0.1:8080"),
        (b"authorization", basic.encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(BODY)).encode()),
    ]


async def _app_time(app: object, requests: int, basic: str = BASIC) -> float:
    """Microseconds of app time per token request, driving the ASGI app directly."""

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": BODY.encode(), "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))  # type: ignore[call-overload]

    headers = _token_headers(basic)
    began = time.perf_counter()
    for _ in range(requests):
        await app({**_TOKEN_SCOPE, "headers": list(headers)}, receive, send)  # type: ignore[operator]
    elapsed = time.perf_counter() - began
    assert set(statuses) == {200}, set(statuses)
    return elapsed / requests * 1e6


def best_app_time(cases: dict[str, tuple[object, str]], requests: int, rounds: int) -> dict[str, float]:
    """µs per token request of each app (with its Authorization): the best of ``rounds`` interleaved runs, so a
    noisy neighbour hurts all of them alike."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, (app, basic) in cases.items():
            best[name] = min(best[name], asyncio.run(_app_time(app, requests, basic)))
    return best


def bench_app_time(requests: int, rounds: int) -> dict[str, float]:
    """The mock beside a bare ASGI app and a Starlette constant route."""
    sys.path.insert(0, str(HERE))
    from bare_app import app as bare
    from bare_app import starlette_app

    from labelf_testkit.mock_server import create_app

    cases = {"bare": (bare, BASIC), "starlette": (starlette_app, BASIC), "mock": (create_app(), BASIC)}
    return best_app_time(cases, requests, rounds)


# --- start/stop and memory -----------------------------------------------------------------------


def bench_start_stop(rounds: int) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from bare_app import app as bare

    from labelf_testkit.mock_server import SocketServer, create_app

    result = {}
    for name, factory in (("bare", lambda: bare), ("mock", create_app)):
        starts, stops = [], []
        for _ in range(rounds):
            server = SocketServer(factory())  # type: ignore[arg-type]
            began = time.perf_counter()
            server.start()
            starts.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            server.stop()
            stops.append((time.perf_counter() - began) * 1000)
        result[f"{name}_start_ms"] = statistics.median(starts)
        result[f"{name}_stop_ms"] = statistics.median(stops)
    return result


_MEMORY_PROBE = textwrap.dedent("""
    import json, sys, httpx
    from labelf_testkit.mock_server import InProcessTransport
    from labelf_testkit.mock_server import create_app
    from labelf_testkit.mock_server._tokens import TokenMinter

    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    minter = TokenMinter(client_ids=("CLIENT_ID",))
    minter.issue("CLIENT_ID", 1)
    before = rss()
    for i in range({tokens}):
        minter.issue("CLIENT_ID", 10**10)
    minter_growth = rss() - before

    app = create_app()
    with httpx.Client(transport=InProcessTransport(app), base_url="http://m") as http:
        http.post("/oauth2/token", data={{"grant_type": "client_credentials"}}, auth=("CLIENT_ID", "CLIENT_SECRET"))
        before = rss()
        for i in range({requests}):
            http.post("/oauth2/token", data={{"grant_type": "client_credentials"}}, auth=("CLIENT_ID", "CLIENT_SECRET"))
        app_growth = rss() - before

    import gc, tracemalloc
    from labelf_testkit.mock_server.journal import CAPTURE_LIMIT
    revoker = TokenMinter(client_ids=("CLIENT_ID",))
    revocable = [revoker.issue("CLIENT_ID", 4_000_000_000 + i) for i in range(20_000)]
    gc.collect()
    tracemalloc.start()
    for token in revocable:
        revoker.revoke(token, "CLIENT_ID", 0)
    revocation_bytes = tracemalloc.get_traced_memory()[0] / len(revocable)
    tracemalloc.stop()

    journaled = create_app()
    header, body = "h" * (100 * 1024), b"x" * (64 * 1024)
    with httpx.Client(transport=InProcessTransport(journaled), base_url="http://m") as http:
        gc.collect()
        before = rss()
        for i in range(1_200):
            http.post("/v2/models/1/inference", content=body, headers={{"x-big": header}})
        journal_growth = rss() - before
    print(json.dumps({{"minter_mb": minter_growth, "app_mb": app_growth, "revocation_bytes": revocation_bytes,
                      "journal_mb": journal_growth}}))
""")


def bench_memory(tokens: int, requests: int) -> dict[str, float]:
    if not Path("/proc/self/status").exists():
        return {}
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE.format(tokens=tokens, requests=requests)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


# --- report --------------------------------------------------------------------------------------


def _machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else "?"
    )
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"
    )


def report(
    throughput: list[tuple[str, dict[str, float]]],
    npm: dict[str, float],
    app_time: dict[str, float],
    overhead_table: list[str],
    start_stop: dict[str, float],
    memory: dict[str, float],
    tokens: int,
    requests: int,
) -> str:
    loadgen = (
        "wrk -t1 -c16" if throughput and throughput[0][1]["loadgen_wrk"] else "built-in asyncio client, 16 connections"
    )
    lines = [
        f"Machine: {_machine()}. Load: {loadgen}.",
        "",
        "| token endpoint (one uvicorn worker) | req/s | p50 ms | p99 ms | non-200 | vs ceiling (same parser) |",
        "|---|---|---|---|---|---|",
    ]
    ceilings = {name.rsplit("[", 1)[-1]: row["rps"] for name, row in throughput if name.startswith("bare ASGI")}
    for name, row in throughput:
        ceiling = ceilings.get(name.rsplit("[", 1)[-1]) if "[" in name else max(ceilings.values())
        share = f"{row['rps'] / ceiling:.0%}" if ceiling else "?"
        lines.append(
            f"| {name} | {row['rps']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} | {row['errors']:.0f} | {share} |"
        )
    if npm:
        lines += [
            "",
            f"Mock ({_parsers()[0]}) vs npm oauth2-mock-server 8.x, {npm['rounds']:.0f} rounds loading each in turn "
            f"after a 3 s warm-up: median {npm['ratio']:.1f}x ({npm['low']:.1f}x to {npm['high']:.1f}x); median "
            f"req/s {npm['mock_rps']:.0f} vs {npm['npm_rps']:.0f}.",
        ]
    floor = app_time["starlette"]
    lines += [
        "",
        "| in-process app time per token request (best of interleaved runs) | µs | vs Starlette floor |",
        "|---|---|---|",
        f"| bare ASGI constant 200 | {app_time['bare']:.1f} | {app_time['bare'] / floor:.2f}x |",
        f"| Starlette route, constant 200 (floor) | {floor:.1f} | 1.00x |",
        f"| labelf mock /oauth2/token | {app_time['mock']:.1f} | {app_time['mock'] / floor:.2f}x |",
    ]
    lines += ["", *overhead_table, ""]
    lines += [
        "| session socket server (median of 20) | start ms | stop ms |",
        "|---|---|---|",
        f"| labelf mock | {start_stop['mock_start_ms']:.1f} | {start_stop['mock_stop_ms']:.1f} |",
        f"| bare ASGI app, same server code (baseline) | {start_stop['bare_start_ms']:.1f} | "
        f"{start_stop['bare_stop_ms']:.1f} |",
    ]
    if memory:
        lines += [
            "",
            "| resident memory growth | MB |",
            "|---|---|",
            f"| {tokens:,} tokens issued (token minter) | {memory['minter_mb']:.1f} |",
            f"| {requests:,} token requests through the whole app in-process (journal bounded at 1,000) | "
            f"{memory['app_mb']:.1f} |",
            f"| 1,200 requests with a 100 KiB header and a 64 KiB body (journal keeps 16 KiB of each) | "
            f"{memory['journal_mb']:.1f} |",
            "",
            f"Revocations: {memory['revocation_bytes']:.0f} bytes each (20,000 held, traced by tracemalloc).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run everything and print (and save) the Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="shorter runs (for a smoke check of the bench itself)")
    parser.add_argument("--output", default=str(HERE / "results" / "latest.md"))
    parser.add_argument("--startup", action="store_true", help="also measure install weight (bench/startup.py)")
    parser.add_argument(
        "--control", action="store_true", help="only the control API's costs (bench/control.py): sessions, latency"
    )
    parser.add_argument(
        "--overhead", action="store_true", help="only the plugin's per-test overhead (bench/overhead.py)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import overhead  # bench/overhead.py, beside this file

    tests, repeats = (100, 1) if args.quick else (500, 5 if args.overhead else 3)
    if args.overhead:
        table = "\n".join(overhead.table(overhead.measure(tests, repeats), tests, repeats)) + "\n"
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(table)
        print(table)
        return
    if args.control:
        sys.path.insert(0, str(HERE))
        import control  # bench/control.py, beside this file

        table = control.run(args.quick)
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(table)
        print(table)
        return
    seconds, rounds = (2, 5) if args.quick else (5, 20)
    tokens, requests = (100_000, 5_000) if args.quick else (1_000_000, 20_000)
    print("throughput…", flush=True)
    throughput = bench_throughput(seconds)
    print("versus npm oauth2-mock-server…", flush=True)
    npm = bench_versus_npm(seconds, 3)
    print("in-process app time…", flush=True)
    app_time = bench_app_time(*((1_000, 3) if args.quick else (3_000, 7)))
    print("plugin overhead…", flush=True)
    overhead_table = overhead.table(overhead.measure(tests, repeats), tests, repeats)
    print("start/stop…", flush=True)
    start_stop = bench_start_stop(rounds)
    print("memory…", flush=True)
    memory = bench_memory(tokens, requests)
    table = report(throughput, npm, app_time, overhead_table, start_stop, memory, tokens, requests)
    if args.startup:
        print("install weight…", flush=True)
        sys.path.insert(0, str(HERE))
        import startup  # bench/startup.py, beside this file

        table += "\n" + "\n".join(startup.measure(3 if args.quick else 7)) + "\n"
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(table)
    print(table)


if __name__ == "__main__":
    main()
