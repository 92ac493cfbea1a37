"""Row 10 for asyncio tasks: a task an async test creates and leaves running, on an event loop that outlives the
test, sends its request while a later test runs. It is not journaled there (the mock answers 503) and the run
shows a ``LateRequestWarning`` naming the route and the test, as for a thread. Under pytest-asyncio with a
session-scoped loop, and under anyio with its runner kept alive by a module-scoped async fixture; through
httpx's and aiohttp's async clients, to a Labelf URL through interception and to ``labelf_mock.base_url``."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = pytest.mark.slow

#: How each client posts the token request and gives back the status (inside an async function).
CLIENTS = {
    "httpx": """
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data=GRANT, auth=AUTH)
    return response.status_code
""",
    "aiohttp": """
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=GRANT, headers={"Authorization": BASIC}) as response:
            return response.status
""",
}

LATE_TASK = """
import asyncio, base64
import aiohttp, httpx, pytest

GRANT = {{"grant_type": "client_credentials"}}
AUTH = ("CLIENT_ID", "CLIENT_SECRET")
BASIC = "Basic " + base64.b64encode(b"CLIENT_ID:CLIENT_SECRET").decode()
started = {{}}
answers = []

async def post(url):
{post}

async def send_later(url):
    await started["go"].wait()
    answers.append(await post(url))

{setup}

{mark}
async def test_1_creates_a_task_and_ends({uses}{fixture}):
    started["go"] = asyncio.Event()
    started["task"] = asyncio.create_task(send_later({url}))
    await asyncio.sleep(0)

{mark}
async def test_2_later_test({uses}{later}):
    started["go"].set()
    await asyncio.wait_for(started["task"], 30)
    assert answers == [503]
    assert len({later}.journal) == 0
    assert await post({own_url}) == 200 and len({later}.journal) == 1  # the test's own requests still count
"""

PYTEST_ASYNCIO = {"mark": '@pytest.mark.asyncio(loop_scope="session")', "setup": "", "uses": ""}
ANYIO = {
    "mark": "@pytest.mark.anyio",
    # The module's async fixture holds anyio's runner, so its event loop outlives each test.
    "setup": '@pytest.fixture(scope="module")\ndef anyio_backend():\n    return "asyncio"\n\n'
    '@pytest.fixture(scope="module")\nasync def loop_for_the_module(anyio_backend):\n    yield',
    "uses": "loop_for_the_module, ",
}
#: anyio on uvloop: uvloop connects in C, below the ``socket.connect`` that sees Python's own loop's connections.
ANYIO_UVLOOP = {
    "mark": "@pytest.mark.anyio",
    "setup": '@pytest.fixture(scope="module")\ndef anyio_backend():\n    return ("asyncio", {"use_uvloop": True})\n\n'
    '@pytest.fixture(scope="module")\nasync def loop_for_the_module(anyio_backend):\n'
    "    import uvloop\n    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)\n    yield",
    "uses": "loop_for_the_module, ",
}
PRODUCTION = '"https://auth.app.labelf.ai/oauth2/token"'
RUNNERS = {"pytest-asyncio": PYTEST_ASYNCIO, "anyio": ANYIO}
if importlib.util.find_spec("uvloop") is not None:  # no Windows build
    RUNNERS["anyio-uvloop"] = ANYIO_UVLOOP


@pytest.mark.parametrize("runner", list(RUNNERS.values()), ids=list(RUNNERS))
@pytest.mark.parametrize("client", sorted(CLIENTS))
@pytest.mark.parametrize(
    ("fixture", "url", "later", "own_url"),
    [
        ("labelf_intercept", PRODUCTION, "labelf_intercept", PRODUCTION),
        ("labelf_mock", "labelf_mock.token_url", "labelf_mock", "labelf_mock.token_url"),
    ],
    ids=["production-url", "base-url-without-interception"],
)
def test_a_late_request_from_a_task_is_not_journaled_and_is_warned_about(
    pytester: pytest.Pytester, runner: dict[str, str], client: str, fixture: str, url: str, later: str, own_url: str
) -> None:
    source = LATE_TASK.format(
        post=CLIENTS[client].strip("\n"), fixture=fixture, url=url, later=later, own_url=own_url, **runner
    )
    pytester.makepyfile(test_late=source)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*LateRequestWarning: labelf-testkit: POST /oauth2/token (Host: *) arrived after its test ended: it was "
            "sent by an asyncio task that test_late.py::test_1_creates_a_task_and_ends started and left running*",
        ]
    )


def test_tasks_awaited_by_their_test_or_started_by_a_fixture_are_not_suspects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_tasks="""
        import asyncio
        import httpx, pytest, pytest_asyncio

        URL = "https://auth.app.labelf.ai/oauth2/token"
        GRANT = {"grant_type": "client_credentials"}
        AUTH = ("CLIENT_ID", "CLIENT_SECRET")
        jobs = []

        async def post():
            async with httpx.AsyncClient() as client:
                return (await client.post(URL, data=GRANT, auth=AUTH)).status_code

        async def serve(queue):  # an app's background worker: outlives every test, serves whichever asks
            while True:
                done = await queue.get()
                done.set_result(await post())

        @pytest_asyncio.fixture(loop_scope="session", scope="session")
        async def worker():
            queue = asyncio.Queue()
            task = asyncio.create_task(serve(queue))
            yield queue
            task.cancel()

        async def ask(queue):
            done = asyncio.get_running_loop().create_future()
            await queue.put(done)
            return await asyncio.wait_for(done, 30)

        @pytest.mark.asyncio(loop_scope="session")
        async def test_1(worker, labelf_intercept):
            assert await asyncio.create_task(post()) == 200  # awaited before the test ends
            assert await ask(worker) == 200

        @pytest.mark.asyncio(loop_scope="session")
        async def test_2(worker, labelf_intercept):
            assert await ask(worker) == 200
            assert len(labelf_intercept.journal) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)


def test_a_test_run_again_is_not_late_for_itself(pytester: pytest.Pytester) -> None:
    """pytest-rerunfailures runs a failed test again under the same id: the second run's tasks belong to that
    run, not to the id of a test that has ended."""
    pytester.makepyfile(
        test_again="""
        import asyncio
        import httpx, pytest

        runs = []

        @pytest.mark.flaky(reruns=1)
        @pytest.mark.asyncio(loop_scope="session")
        async def test_again(labelf_intercept):
            async def post():
                async with httpx.AsyncClient() as client:
                    return (await client.post("https://auth.app.labelf.ai/oauth2/token",
                                              data={"grant_type": "client_credentials"},
                                              auth=("CLIENT_ID", "CLIENT_SECRET"))).status_code
            runs.append(await asyncio.create_task(post()))
            assert len(runs) == 2, "the first run fails, so that it is run again"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 passed, 1 rerun*"])
    result.stdout.no_fnmatch_line("*LateRequestWarning*")
