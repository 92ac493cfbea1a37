"""A baseline accepts findings until a date; the live request count stays within the cap, counted upstream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelf_testkit.mock_server.cli import main
from labelf_testkit.mock_server.drift.runner import planned_requests

from .conftest import Workspace
from .proxy import altering_proxy
from .test_alterations import run_drift, token_type_capitalised


@pytest.mark.usefixtures("credentials")
def test_baseline_accepts_until_the_entry_expires(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    with altering_proxy(workspace.url, token_type_capitalised) as url:
        assert run_drift(url, tmp_path)[0] == 1
        code, document = run_drift(url, tmp_path, "--update-baseline", str(baseline), "--baseline-days", "30")
        assert (code, document["summary"]["accepted"]) == (0, 1)

        code, document = run_drift(url, tmp_path, "--baseline", str(baseline))
        assert (code, [f["status"] for f in document["findings"]]) == (0, ["accepted"])

        saved = json.loads(baseline.read_text())
        (entry,) = saved["accepted"]
        assert (entry["case"], entry["kind"], entry["location"]) == ("token-success", "value", "$.token_type")
        entry["until"] = "2000-01-01"
        baseline.write_text(json.dumps(saved))
        capsys.readouterr()
        code, document = run_drift(url, tmp_path, "--baseline", str(baseline))
    assert (code, [f["status"] for f in document["findings"]]) == (1, ["expired"])
    assert "(baseline entry expired 2000-01-01)" in capsys.readouterr().out
    assert "## Expired baseline entries" in (tmp_path / "drift.md").read_text()


@pytest.mark.usefixtures("credentials")
def test_a_baseline_does_not_hide_other_drift(workspace: Workspace, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps(
            {"accepted": [{"case": "token-success", "kind": "header", "location": "pragma", "until": "2999-01-01"}]}
        )
    )
    with altering_proxy(workspace.url, token_type_capitalised) as url:
        code, document = run_drift(url, tmp_path, "--baseline", str(baseline))
    assert (code, [f["status"] for f in document["findings"]]) == (1, ["new"])


@pytest.mark.usefixtures("credentials")
def test_live_requests_stay_within_the_cap(workspace: Workspace, tmp_path: Path) -> None:
    before = workspace.requests_served()
    code, document = run_drift(workspace.url, tmp_path, "--repeat", "2", "--max-requests", "60")
    served = workspace.requests_served() - before
    assert code == 0
    # Two models in the workspace: the snapshot reads the list and each model once.
    assert served == document["live_requests"] == planned_requests(2) + 3
    assert served <= 60


@pytest.mark.usefixtures("credentials")
def test_a_run_that_could_pass_the_cap_sends_nothing(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = workspace.requests_served()
    code = main(["drift", "--live-auth-url", workspace.url, "--live-api-url", workspace.url, "--repeat", "3"])
    assert code == 2
    assert workspace.requests_served() == before
    (line,) = capsys.readouterr().err.splitlines()
    assert "more than --max-requests 60" in line


@pytest.mark.usefixtures("credentials")
def test_the_snapshot_stops_before_reading_more_models_than_the_cap_allows(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = workspace.requests_served()
    cap = str(planned_requests(1) + 2)  # room for the list, not for both models
    code = main(["drift", "--live-auth-url", workspace.url, "--live-api-url", workspace.url, "--max-requests", cap])
    assert code == 2
    assert workspace.requests_served() - before == 2  # the documented request and the model list
    (line,) = capsys.readouterr().err.splitlines()
    assert "the workspace lists 2 models" in line


@pytest.mark.usefixtures("credentials")
def test_files_go_into_new_folders_and_an_unwritable_one_is_one_line(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = ["--live-auth-url", workspace.url, "--live-api-url", workspace.url]
    baseline, config = tmp_path / "new" / "baseline.json", tmp_path / "new" / "mock" / "labelf-mock.toml"
    assert main(["drift", "--update-baseline", str(baseline), *live]) == 0
    assert json.loads(baseline.read_text())["accepted"] == []
    assert main(["snapshot", "--out", str(config), *live]) == 0
    assert "[[models]]" in config.read_text()
    capsys.readouterr()
    (tmp_path / "a-file").write_text("")
    assert main(["drift", "--update-baseline", str(tmp_path / "a-file" / "baseline.json"), *live]) == 2
    (line,) = capsys.readouterr().err.splitlines()  # one line, no traceback
    assert "--update-baseline" in line and "a-file/baseline.json' cannot be written: " in line
