"""The control API's costs, each beside a baseline from the same run (``python bench/run.py --control``).

1. Token endpoint throughput over a real socket: ``labelf-mock serve`` as before the control API (the plain
   mock) against the mock behind its control API with 100 sessions open, loaded in turns for several rounds,
   with the built-in client's credentials and with a session's.  Target: at least 0.9x.
2. The same in-process (no socket, no HTTP parser): app time per token request, the ratio that survives noisy
   machines best.
3. One control call's latency over a keep-alive connection, beside a token request on the same connection.
4. Memory with 1,000 sessions open: resident growth, before and after each session served one request.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def bench_throughput(seconds: float, rounds: int) -> dict[str, float]:
    """Median req/s of each server in each round, and the median of the rounds' ratios to the plain mock."""
    sys.path.insert(0, str(HERE))
    from run import BASIC, _free_port, _server, in_turns, ratios  # bench/run.py, beside this file

    python = [sys.executable, str(HERE / "serve.py")]
    plain_port, controlled_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as folder:
        basic_file = Path(folder) / "basic"
        with (
            _server([*python, "mock", str(plain_port), "auto"], plain_port, cwd=HERE),
            _server(
                [*python, "controlled", str(controlled_port), "auto", "100", str(basic_file)], controlled_port, cwd=HERE
            ),
        ):
            loads = {
                "plain": (plain_port, "/oauth2/token", BASIC),
                "control_default": (controlled_port, "/oauth2/token", BASIC),
                "control_session": (controlled_port, "/oauth2/token", basic_file.read_text()),
            }
            runs = in_turns(loads, seconds, rounds)  # the built-in load generator for every server
    out = {f"{name}_rps": statistics.median(values) for name, values in runs.items()}
    for name in ("control_default", "control_session"):
        out[f"{name}_ratio"] = statistics.median(ratios(runs, name, "plain"))
    out["rounds"] = rounds
    return out


def bench_app_time(requests: int, rounds: int) -> dict[str, float]:
    """Best of ``rounds`` interleaved runs: µs of app time per token request."""
    sys.path.insert(0, str(HERE))
    from run import BASIC, best_app_time
    from serve import controlled

    from labelf_testkit.mock_server import create_app

    with tempfile.TemporaryDirectory() as folder:
        basic_file = Path(folder) / "basic"
        controlled_app = controlled(100, str(basic_file))
        session_basic = basic_file.read_text()
    cases = {
        "plain": (create_app(), BASIC),
        "control_default": (controlled_app, BASIC),
        "control_session": (controlled_app, session_basic),
    }
    return best_app_time(cases, requests, rounds)


def bench_control_latency(calls: int) -> dict[str, float]:
    """p50/p99 ms of control calls over one keep-alive connection, and of a token request on it (baseline)."""
    import httpx

    sys.path.insert(0, str(HERE))
    from run import BASIC, _free_port, _server

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    control = f"{base}/__labelf/sessions/default"
    fault = {"kind": "fail", "route": "similarity", "status": 503, "match_json": {"texts": ["boom"]}}
    with (
        _server([sys.executable, str(HERE / "serve.py"), "controlled", str(port), "auto", "100"], port, cwd=HERE),
        httpx.Client() as http,
    ):
        for _ in range(200):  # a journal of 200 requests for the journal and verify calls to read
            http.post(
                f"{base}/oauth2/token",
                content="grant_type=client_credentials",
                headers={"authorization": BASIC, "content-type": "application/x-www-form-urlencoded"},
            )
        mine = http.post(f"{base}/__labelf/sessions").json()  # an opened session, to resume and load into
        resume = {"client_secret": mine["client_secret"]}
        recording = _recording(1000)
        operations = {
            "token request (baseline)": lambda: http.post(
                f"{base}/oauth2/token",
                content="grant_type=client_credentials",
                headers={"authorization": BASIC, "content-type": "application/x-www-form-urlencoded"},
            ),
            "GET clock": lambda: http.get(f"{control}/clock"),
            "POST faults (plan one)": lambda: http.post(f"{control}/faults", json=fault),
            "GET faults": lambda: http.get(f"{control}/faults?limit=1"),
            "GET journal (200 entries)": lambda: http.get(f"{control}/journal"),
            "POST verify/called (200 entries)": lambda: http.post(
                f"{control}/verify/called", json={"route": "token", "times": None}
            ),
            "POST resume (an open session)": lambda: http.post(f"{mine['control_url']}/resume", json=resume),
            "POST recordings (1,000 texts)": lambda: http.post(f"{mine['control_url']}/recordings", content=recording),
        }
        out: dict[str, float] = {}
        for name, call in operations.items():
            samples = []
            for index in range(calls):
                began = time.perf_counter()
                response = call()
                samples.append((time.perf_counter() - began) * 1000)
                assert response.status_code < 400 or name.startswith("GET faults"), response.text
                if name.startswith("POST faults") and index % 50 == 49:
                    http.delete(f"{control}/faults")
                if name.startswith("POST recordings"):
                    http.delete(f"{mine['control_url']}/recordings")
            samples.sort()
            out[f"{name}|p50"] = samples[len(samples) // 2]
            out[f"{name}|p99"] = samples[int(len(samples) * 0.99)]
    return out


def _recording(texts: int) -> bytes:
    """A recording of ``texts`` texts on a five-label model, as ``labelf-mock record`` writes it in JSON."""
    labels = ["billing", "delivery", "product quality", "account", "other"]
    answers = [
        {
            "model_id": "2",
            "text": f"ticket {i} about an order",
            "predictions": [{"label": x, "score": 0.2} for x in labels],
        }
        for i in range(texts)
    ]
    document = {
        "format": "labelf-recording/1",
        "host": "https://api.app.labelf.ai",
        "taken_at": "2026-12-01T09:30:00Z",
        "api_generation": "older",
        "models": [{"model_id": "2", "name": "Support topic", "labels": labels}],
        "inference": answers,
    }
    return json.dumps(document).encode()


_MEMORY_PROBE = """
import asyncio, json, gc
from labelf_testkit.mock_server import create_app
from labelf_testkit.mock_server.control import ControlledApp, SessionLimits

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
app = ControlledApp(create_app(), limits=SessionLimits(max_sessions={sessions}))
gc.collect()
before = rss()
opened = [app.store.open() for _ in range({sessions})]
gc.collect()
open_mb = rss() - before

async def one_request(session):
    import base64
    basic = base64.b64encode(f"{{session.client_id}}:{{session.client_secret}}".encode())
    scope = {{"type": "http", "method": "POST", "path": "/oauth2/token", "raw_path": b"/oauth2/token",
             "query_string": b"", "headers": [(b"authorization", b"Basic " + basic),
             (b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"29")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8080), "scheme": "http", "http_version": "1.1",
             "root_path": "", "asgi": {{"version": "3.0"}}}}
    async def receive():
        return {{"type": "http.request", "body": b"grant_type=client_credentials", "more_body": False}}
    async def send(message):
        pass
    await app(scope, receive, send)

async def main():
    for session in opened:
        await one_request(session)
asyncio.run(main())
gc.collect()
used_mb = rss() - before
print(json.dumps({{"sessions": {sessions}, "open_mb": open_mb, "used_mb": used_mb,
                  "open_count": app.store.open_count}}))
"""


def bench_session_memory(sessions: int) -> dict[str, float]:
    """Resident growth with ``sessions`` sessions open, then after each served one token request."""
    if not Path("/proc/self/status").exists():
        return {}
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE.format(sessions=sessions)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def report(
    throughput: dict[str, float], app_time: dict[str, float], latency: dict[str, float], memory: dict[str, float]
) -> str:
    """The control API's Markdown tables."""
    t = throughput
    lines = [
        f"| token endpoint over a socket, {t['rounds']:.0f} rounds in turns (median) | req/s | vs plain mock |",
        "|---|---|---|",
        f"| labelf-mock serve without control (baseline) | {t['plain_rps']:.0f} | 1.00x |",
        f"| control on, 100 sessions open, built-in client | {t['control_default_rps']:.0f} | "
        f"{t['control_default_ratio']:.2f}x |",
        f"| control on, 100 sessions open, a session's client | {t['control_session_rps']:.0f} | "
        f"{t['control_session_ratio']:.2f}x |",
        "",
        "| in-process app time per token request (best of interleaved runs) | µs | vs plain mock |",
        "|---|---|---|",
    ]
    floor = app_time["plain"]
    for name, label in (
        ("plain", "plain mock (baseline)"),
        ("control_default", "control on, 100 sessions, built-in client"),
        ("control_session", "control on, 100 sessions, a session's client"),
    ):
        lines.append(f"| {label} | {app_time[name]:.1f} | {app_time[name] / floor:.2f}x |")
    lines += ["", "| one call over a keep-alive connection | p50 ms | p99 ms |", "|---|---|---|"]
    for name in dict.fromkeys(key.split("|")[0] for key in latency):
        lines.append(f"| {name} | {latency[name + '|p50']:.2f} | {latency[name + '|p99']:.2f} |")
    if memory:
        per_open = memory["open_mb"] * 1024 / memory["sessions"]
        per_used = memory["used_mb"] * 1024 / memory["sessions"]
        lines += [
            "",
            f"Memory with {memory['sessions']:,.0f} sessions open: {memory['open_mb']:.1f} MB resident growth "
            f"({per_open:.0f} KB each); after each served one token request: {memory['used_mb']:.1f} MB "
            f"({per_used:.0f} KB each).",
        ]
    return "\n".join(lines) + "\n"


def run(quick: bool) -> str:
    """Every control benchmark; the Markdown tables."""
    print("control: token throughput with 100 sessions…", flush=True)
    throughput = bench_throughput(2 if quick else 4, 3 if quick else 7)
    print("control: in-process app time…", flush=True)
    app_time = bench_app_time(*((1_000, 3) if quick else (3_000, 7)))
    print("control: one control call's latency…", flush=True)
    latency = bench_control_latency(100 if quick else 500)
    print("control: memory with 1,000 sessions…", flush=True)
    memory = bench_session_memory(1_000)
    return report(throughput, app_time, latency, memory)
