"""Secrets never reach pytest's output or JUnit XML; sessions leave nothing running; xdist workers work."""

from __future__ import annotations

import base64

import pytest

from labelf_testkit.mock_server import Redactor, fingerprint

SECRET = "s3cr3t-Pa55word-xyz"


def test_failure_output_and_junit_are_scrubbed(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(f"""
        import pytest
        from labelf_testkit.mock_server import ClientConfig, MockConfig

        @pytest.fixture(scope="session")
        def labelf_config():
            return MockConfig(clients=(ClientConfig("app", "{SECRET}"),), api_keys=("lbl_sk_livekey123",))
    """)
    pytester.makepyfile(
        test_inner="""
        import base64, httpx, logging

        def test_leaks_everything(labelf_mock, labelf_credentials):
            with httpx.Client() as http:
                token = http.post(labelf_mock.token_url, data={"grant_type": "client_credentials"},
                                  auth=labelf_credentials.auth).json()["access_token"]
            with open("token.txt", "w") as out:
                out.write(token)
            header = "Basic " + base64.b64encode(b"app:" + labelf_credentials.client_secret.encode()).decode()
            print("token", token, "header", header, "secret", labelf_credentials.client_secret)
            logging.getLogger("app").warning("calling with %s", token)
            assert token == labelf_credentials.client_secret + " lbl_sk_livekey123"
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--junitxml=report.xml", "-rA")
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    junit = (pytester.path / "report.xml").read_text()
    token = (pytester.path / "token.txt").read_text()
    random_part = token.removeprefix("ory_at_")
    for text in (output, junit):
        assert "[REDACTED]" in text
        assert SECRET not in text
        assert "lbl_sk_livekey123" not in text
        assert token not in text
        assert "s3cr3t-Pa" not in text and "livekey" not in text  # not even fragments of shortened reprs
        assert not any(random_part[i : i + 8] in text for i in range(len(random_part) - 7))
    assert "calling with [token sha256:" in output


def test_redactor_knows_only_registered_values() -> None:
    # Nothing is guessed from shapes: tokens, JWTs and Basic headers nobody registered are left alone.
    text = "Bearer ory_at_" + "a" * 43 + "." + "b" * 43 + " eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig Basic YTpi"
    assert Redactor()(text) == text
    assert Redactor(["CLIENT_SECRET"])("needs LABELF_CLIENT_SECRET") == "needs LABELF_CLIENT_SECRET"


def test_redactor_replaces_any_run_of_eight_or_more_characters() -> None:
    redact = Redactor([SECRET])
    assert redact(f"x {SECRET} y") == "x [REDACTED] y"
    assert (
        redact("'s3cr3t-Pa55w...' and '...word-xyz' and -Pa55wor")
        == "'[REDACTED]...' and '...[REDACTED]' and [REDACTED]"
    )
    assert redact("s3cr3t-P alone is 8? no: s3cr3t- is 7") == "[REDACTED] alone is 8? no: s3cr3t- is 7"


def test_redactor_credential_forms_and_token_fingerprints() -> None:
    redact = Redactor()
    redact.add_credentials("my id", "p:w+rd-1234")
    raw = base64.b64encode(b"my id:p:w+rd-1234").decode()
    encoded = base64.b64encode(b"my+id:p%3Aw%2Brd-1234").decode()
    assert redact(f"{raw} {encoded[:-3]} p%3Aw%2Brd-1234") == "[REDACTED] [REDACTED] [REDACTED]"
    token = "ory_at_" + "Q1w2E3r4" * 5 + "abc." + "Z9" * 21 + "z"
    redact.add_token(token)
    assert redact(f"{token} '{token[:15]}...' '...{token[-8:]}'") == (
        f"[token {fingerprint(token)}] '[token {fingerprint(token)}]...' '...[token {fingerprint(token)}]'"
    )
    assert redact("ory_at_Q1w2E3r") == "ory_at_Q1w2E3r"  # seven characters of the random part say nothing


def test_session_leaves_no_threads_or_sockets(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import socket, threading

        def pytest_unconfigure(config):
            leftovers = [t.name for t in threading.enumerate() if t.name.startswith("labelf")]
            port = getattr(config, "_labelf_port", None)
            free = True
            if port:
                with socket.socket() as probe:
                    free = probe.connect_ex(("127.0.0.1", port)) != 0
            with open("leak-report.txt", "w") as out:
                out.write(f"{leftovers} {free} {port}")
    """)
    pytester.makepyfile(
        test_inner="""
        import httpx

        def test_uses_server(labelf_mock, request):
            request.config._labelf_port = int(labelf_mock.base_url.rsplit(":", 1)[1])
            with httpx.Client() as http:
                assert http.get(labelf_mock.base_url + "/openapi.json").status_code == 200

        def test_uses_interception(labelf_intercept):
            import requests
            assert requests.get("https://api.app.labelf.ai/v2/models").status_code == 401
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)
    leftovers, free, port = (pytester.path / "leak-report.txt").read_text().split()
    assert leftovers == "[]" and free == "True" and port.isdigit()


def test_xdist_workers_each_get_a_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import os, pytest, httpx

        @pytest.mark.parametrize("n", range(6))
        def test_token(labelf_mock, n):
            with httpx.Client() as http:
                assert http.post(labelf_mock.token_url, data={"grant_type": "client_credentials"},
                                 auth=labelf_mock.credentials.auth).status_code == 200
            labelf_mock.journal.assert_token_fetched(times=1)
            with open(f"port-{os.environ['PYTEST_XDIST_WORKER']}-{n}", "w") as out:
                out.write(labelf_mock.base_url)
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-W", "error")
    result.assert_outcomes(passed=6)
    by_worker: dict[str, set[str]] = {}
    for path in pytester.path.glob("port-*"):
        by_worker.setdefault(path.name.split("-")[1], set()).add(path.read_text())
    assert len(by_worker) == 2
    assert all(len(urls) == 1 for urls in by_worker.values())
    assert len(set().union(*by_worker.values())) == 2


def test_socket_server_accepts_tcp_sockets_that_asyncio_marks_nodelay() -> None:
    # asyncio sets TCP_NODELAY only when the socket's proto is IPPROTO_TCP; without it each response
    # waits for the client's delayed ACK.  Structural check (tests never time anything).
    import socket

    from labelf_testkit.mock_server import SocketServer, create_app

    server = SocketServer(create_app())
    server.start()
    try:
        assert server._socket is not None and server._socket.proto == socket.IPPROTO_TCP
    finally:
        server.stop()
