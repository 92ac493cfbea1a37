"""The recordings guide's shell commands, and the drift page's CI step, run as written against a loopback
stand-in (only the live URLs are added: nothing here may reach Labelf's hosts); quoted messages are real."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx
import pytest

from labelf_testkit.mock_server import MockConfig, create_app
from labelf_testkit.mock_server.cli import main
from tests.recordings.standin import CLIENT_ID, CLIENT_SECRET, stand_in
from tests.test_readme import examples

ROOT = Path(__file__).parent.parent.parent
GUIDE = (ROOT / "docs" / "guide" / "recordings.md").read_text(encoding="utf-8")
DRIFT = (ROOT / "docs" / "drift.md").read_text(encoding="utf-8")


def commands(page: str, fence: str = "bash") -> list[list[str]]:
    blocks = re.findall(rf"```{fence}\n(.*?)```", page, re.DOTALL)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    lines += [line.split("run:", 1)[1].strip() for line in lines if line.startswith("- run: labelf-mock")]
    return [shlex.split(line)[1:] for line in lines if line.startswith("labelf-mock ")]


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LABELF_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("LABELF_MODEL_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tickets.txt").write_text("I was charged twice\nWhere is my parcel?\n", encoding="utf-8")
    (tmp_path / "faq.txt").write_text("How do refunds work?\nWhen does my parcel arrive?\n", encoding="utf-8")
    (tmp_path / "questions.txt").write_text("I want my money back\n", encoding="utf-8")


def test_the_guides_commands_run_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    documented = commands(GUIDE)
    assert [c[:2] for c in documented] == [
        ["record", "--texts"],
        ["record", "--base-texts"],
        ["drift", "--recording"],
        ["record", "--update"],
    ]
    with stand_in() as live:
        for command in documented:
            assert main([*command, "--live-auth-url", live.url, "--live-api-url", live.url]) == 0, capsys.readouterr()
    assert Path("recordings/support.toml").exists() and Path("recordings/faq-similarity.json").exists()
    assert Path("recording-report.md").exists()


def test_the_ci_step_checks_the_recording() -> None:
    (step,) = [c for c in commands(DRIFT, "yaml") if "--recording" in c]
    with stand_in() as live:
        url = ["--live-auth-url", live.url, "--live-api-url", live.url]
        assert main(["record", *url, "--texts", "tickets.txt", "--model", "2", "--out", "recordings/support.toml"]) == 0
        assert main([*step, *url]) == 0
        live.app.mock.scripts.answer("2", "Where is my parcel?", {"account": 1.0})
        assert main([*step, *url]) == 1
    assert Path("recording-report.json").exists()


def test_the_quoted_plan_message_is_the_real_one(capsys: pytest.CaptureFixture[str]) -> None:
    quoted = one_line(re.search(r"\(`(this run needs .*?)`\)", GUIDE, re.DOTALL)[1])  # type: ignore[index]
    Path("thousand.txt").write_text("\n".join(f"text {i}" for i in range(1000)), encoding="utf-8")
    assert (
        main(
            [
                "record",
                "--texts",
                "thousand.txt",
                "--model",
                "2",
                "--out",
                "x.toml",
                "--live-auth-url",
                "http://127.0.0.1:9",
                "--live-api-url",
                "http://127.0.0.1:9",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err == f"labelf-mock record: {quoted}\n"


def test_the_quoted_strict_message_is_the_real_one() -> None:
    quoted = one_line(re.search(r"```text\n(The text .*?)```", GUIDE, re.DOTALL)[1])  # type: ignore[index]
    Path("support-recording.toml").write_text(examples()["support-recording.toml"], encoding="utf-8")
    app = create_app(MockConfig(recordings=("support-recording.toml",), recording_strict=True))
    token = app.mock.issue_token(app.mock.config.clients[0])[0]
    from labelf_testkit.mock_server import InProcessTransport

    with httpx.Client(transport=InProcessTransport(app), base_url="https://api.app.labelf.ai") as api:
        answer = api.post(
            "/v2/models/2/inference",
            json={"texts": ["I was charged twize"]},
            headers={"authorization": f"Bearer {token}"},
        )
    assert answer.json()["message"] == quoted
