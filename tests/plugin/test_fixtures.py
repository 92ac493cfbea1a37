"""The plugin's fixtures, markers and options, run as a user would run them: pytester in a subprocess."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-W", "error", *args)


FIXTURES = (
    "labelf_mock",
    "labelf_intercept",
    "labelf_mock_server",
    "labelf_config",
    "labelf_credentials",
    "labelf_target",
    "labelf_token",
    "labelf_http",
)


def _docstrings(fixtures_output: str) -> dict[str, str]:
    """Each fixture's docstring as ``pytest --fixtures`` prints it (indented lines under its name)."""
    found: dict[str, str] = {}
    name = None
    for line in fixtures_output.splitlines():
        if line and not line.startswith(" "):
            name = line.split(" ", 1)[0]
            found[name] = ""
        elif name is not None and line.startswith("    "):
            found[name] += " " + line.strip()
    return found


def test_fixtures_are_listed_with_docstrings(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    docs = _docstrings(result.stdout.str())
    for name in FIXTURES:
        text = docs.get(name, "").strip()
        scope, _, rest = text.partition(". ")
        # The scope, then a real description: what it is and how to use it (not just "Scope: session.").
        assert scope.startswith("Scope: "), f"{name}: {text!r}"
        assert len(rest.split()) >= 8, f"{name} has no description after its scope: {text!r}"


def test_help_shows_the_option_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["labelf-testkit: mock and live Labelf targets:", "*--labelf-target*"])


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.labelf(assert_all_faults_used=None)*", "@pytest.mark.labelf_intercept(*"]
    )


def test_mock_serves_a_real_socket_and_resets_between_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx

        def test_first(labelf_mock):
            assert labelf_mock.base_url.startswith("http://127.0.0.1:")
            labelf_mock.token.fail(times=5, status=503)
            labelf_mock.clock.freeze(at=1000)
            with httpx.Client() as http:
                assert http.post(labelf_mock.token_url, data={"grant_type": "client_credentials"}).status_code == 503
            assert len(labelf_mock.journal) == 1

        def test_second_sees_a_clean_mock(labelf_mock, labelf_credentials):
            assert len(labelf_mock.journal) == 0
            assert labelf_mock.clock.now() > 1_600_000_000
            with httpx.Client() as http:
                response = http.post(labelf_mock.token_url, data={"grant_type": "client_credentials"},
                                     auth=labelf_credentials.auth)
            assert response.status_code == 200
    """,
    )
    result.assert_outcomes(passed=2)


def test_faults_in_order_and_every_kind_over_a_socket(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx, pytest

        def token(http, mock):
            return http.post(mock.token_url, data={"grant_type": "client_credentials"}, auth=mock.credentials.auth)

        def test_kinds(labelf_mock):
            m = labelf_mock
            m.token.fail(times=2, status=500)
            m.token.rate_limit(retry_after=7)
            m.token.malformed_json()
            m.token.empty_body()
            m.token.drop()
            m.token.fail(status=400, body={"error": "custom"})
            with httpx.Client() as http:
                assert [token(http, m).status_code for _ in range(2)] == [500, 500]
                limited = token(http, m)
                assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
                garbled = token(http, m)
                assert garbled.status_code == 200
                with pytest.raises(ValueError):
                    garbled.json()
                empty = token(http, m)
                assert empty.status_code == 200 and empty.content == b""
                with pytest.raises(httpx.RemoteProtocolError):
                    token(http, m)
                assert token(http, m).json() == {"error": "custom"}
                assert token(http, m).status_code == 200
            statuses = [e.status for e in m.journal.token_requests]
            assert statuses == [500, 500, 429, 200, 200, None, 400, 200]
            assert "dropped connection" in m.journal.token_requests[5].fault

        def test_api_faults_use_the_api_error_body(labelf_mock):
            labelf_mock.api.fail(status=503)
            with httpx.Client() as http:
                body = http.get(labelf_mock.api_url + "/models").json()
            assert body["status"] == 503 and body["error_code"] == "SERVICE_UNAVAILABLE"
    """,
    )
    result.assert_outcomes(passed=2)


def test_clock_and_token_lifetime_drive_expiry(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx

        def test_expiry(labelf_mock):
            labelf_mock.clock.freeze()
            labelf_mock.token.expires_in(60)
            with httpx.Client() as http:
                body = http.post(labelf_mock.token_url, data={"grant_type": "client_credentials"},
                                 auth=labelf_mock.credentials.auth).json()
                assert body["expires_in"] == 60
                auth = {"Authorization": "Bearer " + body["access_token"]}
                assert http.get(labelf_mock.api_url + "/models", headers=auth).status_code == 200
                labelf_mock.clock.advance(60)
                assert http.get(labelf_mock.api_url + "/models", headers=auth).status_code == 401

        def test_minted_and_revoked_without_http(labelf_mock):
            token = labelf_mock.issue_token()
            with httpx.Client() as http:
                auth = {"Authorization": "Bearer " + token}
                assert http.get(labelf_mock.api_url + "/models", headers=auth).status_code == 200
                labelf_mock.revoke_token(token)
                assert http.get(labelf_mock.api_url + "/models", headers=auth).status_code == 401
    """,
    )
    result.assert_outcomes(passed=2)


def test_journal_helpers_and_their_failure_messages(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx

        def fetch(http, mock):
            return http.post(mock.token_url, data={"grant_type": "client_credentials"},
                             auth=mock.credentials.auth).json()["access_token"]

        def test_passes(labelf_mock):
            with httpx.Client() as http:
                token = fetch(http, labelf_mock)
                http.get(labelf_mock.api_url + "/models", headers={"Authorization": "Bearer " + token})
            labelf_mock.journal.assert_token_fetched(times=1)
            labelf_mock.journal.assert_api_calls_used_latest_token()
            entry = labelf_mock.journal.token_requests[0]
            assert entry.client_id == "CLIENT_ID"
            assert entry.headers["authorization"] == "Basic [REDACTED]"
            assert entry.form == {"grant_type": ["client_credentials"]}

        def test_stale_token_is_reported(labelf_mock):
            with httpx.Client() as http:
                old = fetch(http, labelf_mock)
                fetch(http, labelf_mock)
                http.get(labelf_mock.api_url + "/models", headers={"Authorization": "Bearer " + old})
            labelf_mock.journal.assert_api_calls_used_latest_token()

        def test_wrong_count_is_reported(labelf_mock):
            labelf_mock.journal.assert_token_fetched(times=1)
    """,
    )
    result.assert_outcomes(passed=1, failed=2)
    # One failure's lines in order; the two failures in whichever order the tests ran (pytest-randomly).
    result.stdout.fnmatch_lines(
        [
            "*Some API calls did not carry the newest token:",
            "*GET /v2/models -> 200: carried sha256:*, newest issued was sha256:*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*Expected a token to be fetched 1 time(s), but it was fetched 0 time(s).", "*(no requests)"]
    )
    assert "ory_at_" not in result.stdout.str()


def test_unused_faults_fail_the_test_with_a_listing(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.labelf(assert_all_faults_used=True)
        def test_never_calls(labelf_mock):
            labelf_mock.token.fail(times=2, status=503)
            labelf_mock.similarity.delay(0.5)

        def test_off_by_default(labelf_mock):
            labelf_mock.token.fail()

        @pytest.mark.labelf(asert_all_faults_used=True)
        def test_typo(labelf_mock):
            pass
    """,
    )
    # The check runs right after the test body, so the test itself fails (no teardown error, no plugin source).
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.labelf got unknown keyword(s) 'asert_all_faults_used'; it takes assert_all_faults_used.*",
            "*These planned faults were never triggered*",
            "*  - token: status 503 (0/2 used)",
            "*  - similarity: latency 0.5s (0/1 used)",
        ]
    )
    failures = result.stdout.str().split("= FAILURES =", 1)[1]
    assert "def labelf_mock(" not in failures  # the listing, not the plugin's source
    result.stdout.fnmatch_lines(["FAILED *test_never_calls*These planned faults*"])


def test_unused_faults_check_from_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlabelf_assert_all_faults_used = true\n")
    result = run(
        pytester,
        """
        def test_never_calls(labelf_mock):
            labelf_mock.inference.fail()
    """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*  - inference: status 500 (0/1 used)"])


def test_the_unused_faults_option_is_a_flag(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_flag="""
        def test_never_calls(labelf_mock):
            labelf_mock.inference.fail()
        """
    )
    # As a flag before a path: the path must stay a path (it used to be taken as the option's value).
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--labelf-assert-all-faults-used", "test_flag.py")
    result.assert_outcomes(failed=1)


def test_a_labelf_config_that_is_not_a_mock_config_is_named(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def labelf_config():
            return {"clients": []}
        """
    )
    result = run(pytester, "def test_x(labelf_mock):\n    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*The labelf_config fixture returned dict, not a MockConfig*"])


def test_config_fixture_is_overridable(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest
        from labelf_testkit.mock_server import ClientConfig, MockConfig

        @pytest.fixture(scope="session")
        def labelf_config():
            return MockConfig(clients=(ClientConfig("my-app", "my-very-secret"),), expires_in=3600)
    """)
    result = run(
        pytester,
        """
        import httpx

        def test_custom_client(labelf_mock, labelf_credentials):
            assert labelf_credentials.client_id == "my-app"
            assert "my-very-secret" not in repr(labelf_credentials)
            with httpx.Client() as http:
                body = http.post(labelf_mock.token_url, data={"grant_type": "client_credentials"},
                                 auth=labelf_credentials.auth).json()
            assert body["expires_in"] == 3600
    """,
    )
    result.assert_outcomes(passed=1)


def test_target_token_and_http_on_the_mock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_target(labelf_target, labelf_token, labelf_http):
            assert labelf_target.kind == "mock"
            response = labelf_http.post("/v2/models/1/inference", json={"texts": ["hi"]},
                                        headers={"Authorization": "Bearer " + labelf_token})
            assert response.status_code == 200
    """,
    )
    result.assert_outcomes(passed=1)


def test_live_mode_skips_mock_only_fixtures_and_needs_credentials(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABELF_CLIENT_ID", raising=False)
    monkeypatch.delenv("LABELF_CLIENT_SECRET", raising=False)
    result = run(
        pytester,
        """
        def test_mock_only(labelf_mock):
            raise AssertionError("must not run")

        def test_needs_credentials(labelf_token):
            raise AssertionError("must not run")
    """,
        "--labelf-target=live",
        "--labelf-skip-without-credentials",  # without it a live run refuses to start (tests/live)
        "-rs",
    )
    result.assert_outcomes(skipped=2)
    # The two skip reasons in whichever order the tests ran (pytest-randomly shuffles the inner run too).
    result.stdout.fnmatch_lines(["*mock-only fixture: it is not available with --labelf-target=live*"])
    result.stdout.fnmatch_lines(["*live target: LABELF_CLIENT_ID and LABELF_CLIENT_SECRET are not set*"])


def test_live_mode_against_a_served_mock_with_a_request_cap(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import start_served_mock

    served = start_served_mock(pytester.path)
    try:
        monkeypatch.setenv("LABELF_CLIENT_ID", "CLIENT_ID")
        monkeypatch.setenv("LABELF_CLIENT_SECRET", "CLIENT_SECRET")
        result = run(
            pytester,
            """
            import pytest
            from labelf_testkit import LiveBudgetExceeded

            def test_live(labelf_target, labelf_token, labelf_http):
                assert labelf_target.kind == "live"
                auth = {"Authorization": "Bearer " + labelf_token}
                assert labelf_http.get("/v2/models", headers=auth).status_code == 200
                with pytest.raises(LiveBudgetExceeded, match="cap of 2 live requests"):
                    labelf_http.get("/v2/models")
                assert labelf_target.budget.spent == 2
        """,
            "--labelf-target=live",
            f"--labelf-auth-url={served.base_url}",
            f"--labelf-api-url={served.base_url}",
            "--labelf-max-live-requests=2",
        )
        result.assert_outcomes(passed=1)
    finally:
        assert served.stop() == 0
