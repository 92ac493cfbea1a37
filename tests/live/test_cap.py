"""One live request cap for the whole run, whatever the process model: counted at the server, in the access
log of a ``labelf-mock serve`` on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import ServedMock, start_served_mock

CAP = 5
# Twelve tests that each want a token; every one fails after getting it, so reruns have something to rerun.
TESTS = """
import pytest

@pytest.mark.parametrize("n", range(12))
def test_wants_a_token(labelf_token, n):
    assert not labelf_token, "fails on purpose, so --reruns reruns it"
"""


def token_requests(served: ServedMock) -> int:
    """POSTs to the token endpoint that reached the server."""
    return len(re.findall(r'"POST /oauth2/token HTTP/1\.1" \d{3}', served.output()))


@pytest.fixture
def served(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServedMock]:
    monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
    monkeypatch.setenv("LABELF_CLIENT_SECRET", "CLIENT_SECRET")
    served = start_served_mock(pytester.path, "--access-log")
    yield served
    assert served.stop() == 0


@pytest.mark.parametrize(
    "process_model",
    [
        pytest.param(["-n", "2"], id="xdist-n"),
        pytest.param(["-p", "xdist", "--dist", "load", "--tx", "3*popen"], id="xdist-tx"),
        pytest.param(["--reruns", "2"], id="rerunfailures"),
        pytest.param(["--count", "3"], id="repeat"),
    ],
)
def test_at_most_the_cap_leaves_the_run(
    pytester: pytest.Pytester, served: ServedMock, process_model: list[str]
) -> None:
    pytester.makepyfile(test_live=TESTS)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--labelf-target=live",
        f"--labelf-auth-url={served.base_url}",
        f"--labelf-api-url={served.base_url}",
        f"--labelf-max-live-requests={CAP}",
        *process_model,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert token_requests(served) == CAP, result.stdout.str()[-2000:]  # measured at the server
    result.stdout.fnmatch_lines(["*cap of 5 live requests (--labelf-max-live-requests) is reached*"])
