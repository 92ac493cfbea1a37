"""A project that never uses the kit gets pytest's own output, byte for byte, even when its values look like
tokens, JWTs or Basic credentials."""

from __future__ import annotations

import re

import pytest

TESTS = """
import base64, pytest, warnings

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
BASIC = "Basic " + base64.b64encode(b"alice:wonderland-42").decode()

def test_my_jwt_parser():
    print("parsing", JWT, BASIC, "ory_at_" + "x" * 43)
    warnings.warn(f"token {JWT}")
    assert JWT.split(".")[1] == BASIC

@pytest.mark.skip(reason=f"needs LABELF_CLIENT_SECRET and {BASIC}")
def test_skipped():
    pass

def test_xfailed():
    pytest.xfail(f"because {JWT}")
"""


def _normalized(text: str) -> str:
    text = re.sub(r"^plugins: .*$", "plugins: …", text, flags=re.MULTILINE)
    return re.sub(r"\d+\.\d+s", "Ns", text)


@pytest.mark.parametrize("junit", [False, True])
def test_output_is_pytests_own(pytester: pytest.Pytester, junit: bool) -> None:
    pytester.makepyfile(test_unrelated=TESTS)
    # Both runs in file order: pytest-randomly would shuffle each with its own seed and print it.
    args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-rA", "-W", "default"]
    outputs = []
    for plugins in ([], ["-p", "no:labelf_testkit", "-p", "no:labelf_contract"]):
        xml = pytester.path / f"junit-{len(plugins)}.xml"
        result = pytester.runpytest_subprocess(*args, *plugins, *([f"--junitxml={xml}"] if junit else []))
        result.assert_outcomes(failed=1, skipped=1, xfailed=1, warnings=1)
        text = _normalized(result.stdout.str()).replace(xml.name, "junit.xml")
        if junit:
            text += re.sub(r'(time|timestamp|hostname)="[^"]*"', "", xml.read_text())
        outputs.append(text)
    with_kit, without_kit = outputs
    assert with_kit == without_kit
    assert "FAILED test_unrelated.py::test_my_jwt_parser - AssertionError: assert" in with_kit


def test_tests_beside_the_kit_keep_their_values(pytester: pytest.Pytester) -> None:
    # Once a labelf fixture has run, later tests are still only scrubbed of what the run knows to be secret.
    pytester.makepyfile(test_a_kit="def test_kit(labelf_mock):\n    pass\n", test_unrelated=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-W", "default", "--junitxml=j.xml")
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1, warnings=1)
    junit = (pytester.path / "j.xml").read_text()
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    for text in (result.stdout.str(), junit):
        assert jwt in text and "Basic YWxpY2U6d29uZGVybGFuZC00Mg==" in text and "[REDACTED]" not in text
    result.stdout.fnmatch_lines(["FAILED test_unrelated.py::test_my_jwt_parser - AssertionError: assert*"])
