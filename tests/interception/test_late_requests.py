"""Row 10: a request sent by a thread after its test ended is not journaled in a later test, and the run
shows a warning that names the route and says the request arrived after its test ended."""

from __future__ import annotations

import pytest

LATE_THREAD = """
import threading
import pytest, requests

go = threading.Event()
answers = []

def send_later(url):
    go.wait(30)
    response = requests.post(url, data={{"grant_type": "client_credentials"}}, auth=("CLIENT_ID", "CLIENT_SECRET"))
    answers.append(response.status_code)

@pytest.mark.labelf_intercept
def test_1_starts_a_thread_and_ends({fixture}):
    url = {url}
    test_1_starts_a_thread_and_ends.thread = threading.Thread(target=send_later, args=(url,), daemon=True)
    test_1_starts_a_thread_and_ends.thread.start()

def test_2_later_test({later}):
    go.set()
    test_1_starts_a_thread_and_ends.thread.join(30)
    assert answers == [503]
    assert len({later}.journal) == 0
    own = requests.post({own_url}, data={{"grant_type": "client_credentials"}}, auth=("CLIENT_ID", "CLIENT_SECRET"))
    assert own.status_code == 200 and len({later}.journal) == 1  # the test's own requests still count
"""


PRODUCTION = '"https://auth.app.labelf.ai/oauth2/token"'


@pytest.mark.parametrize(
    ("fixture", "url", "later", "own_url"),
    [
        ("labelf_intercept", PRODUCTION, "labelf_intercept", PRODUCTION),
        ("labelf_mock", "labelf_mock.token_url", "labelf_intercept", PRODUCTION),
        ("labelf_mock", "labelf_mock.token_url", "labelf_mock", "labelf_mock.token_url"),
        ("", PRODUCTION, "labelf_intercept", PRODUCTION),
    ],
    ids=["production-url", "base-url", "base-url-without-interception", "marker"],
)
def test_a_late_request_is_not_journaled_and_is_warned_about(
    pytester: pytest.Pytester, fixture: str, url: str, later: str, own_url: str
) -> None:
    pytester.makepyfile(test_late=LATE_THREAD.format(fixture=fixture, url=url, later=later, own_url=own_url))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*LateRequestWarning: labelf-testkit: POST /oauth2/token (Host: *) arrived after its test ended: it was "
            "sent by a thread that test_late.py::test_1_starts_a_thread_and_ends started*",
        ]
    )


def test_threads_that_end_with_their_test_are_not_suspects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_joined="""
        import threading
        from concurrent.futures import ThreadPoolExecutor
        import requests

        POOL = ThreadPoolExecutor(2)  # workers outlive tests and serve whichever test submits work

        def call():
            return requests.post("https://auth.app.labelf.ai/oauth2/token", data={"grant_type": "client_credentials"},
                                 auth=("CLIENT_ID", "CLIENT_SECRET")).status_code

        def test_1(labelf_intercept):
            thread = threading.Thread(target=call)
            thread.start()
            thread.join()
            assert POOL.submit(call).result() == 200

        def test_2(labelf_intercept):
            assert POOL.submit(call).result() == 200
            assert len(labelf_intercept.journal) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)


def test_a_worker_thread_started_by_a_fixture_is_not_a_suspect(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_worker="""
        import queue, threading
        import pytest, requests

        jobs, results = queue.Queue(), queue.Queue()

        def work():
            while True:
                url = jobs.get()
                results.put(requests.post(url, data={"grant_type": "client_credentials"},
                                          auth=("CLIENT_ID", "CLIENT_SECRET")).status_code)

        @pytest.fixture(scope="session")
        def worker():
            threading.Thread(target=work, daemon=True).start()

        @pytest.mark.parametrize("run", range(2))
        def test_uses_the_worker(worker, labelf_intercept, run):
            jobs.put("https://auth.app.labelf.ai/oauth2/token")
            assert results.get(timeout=30) == 200
            assert len(labelf_intercept.journal) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)
