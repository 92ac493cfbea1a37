"""``labelf-mock snapshot`` mirrors a workspace's models in a config the mock loads, with no secret in it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from labelf_testkit.mock_server import load_config
from labelf_testkit.mock_server.cli import main
from labelf_testkit.mock_server.drift.snapshot import PLACEHOLDER_SECRET
from tests.conftest import start_served_mock

from .conftest import CLIENT_ID, CLIENT_SECRET, Workspace
from .proxy import Relayed, altering_proxy


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("name", ["snapshot.toml", "snapshot.json"])
def test_snapshot_reproduces_the_models_exactly(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    before = workspace.requests_served()
    code = main(["snapshot", "--out", str(out), "--live-auth-url", workspace.url, "--live-api-url", workspace.url])
    assert code == 0
    assert workspace.requests_served() - before == 5  # token, list, two models, revocation of the token
    served, mirrored = load_config(workspace.config, env={}), load_config(out, env={})
    assert mirrored.models == served.models
    assert mirrored.expires_in == served.expires_in
    assert [(c.client_id, c.client_secret) for c in mirrored.clients] == [(CLIENT_ID, PLACEHOLDER_SECRET)]
    printed = capsys.readouterr().out
    assert PLACEHOLDER_SECRET in printed and PLACEHOLDER_SECRET in out.read_text()
    assert CLIENT_SECRET not in printed + out.read_text()
    if out.suffix == ".toml":
        assert out.read_text().startswith("# Written by `labelf-mock snapshot`")
    else:
        json.loads(out.read_text())


@pytest.mark.usefixtures("credentials")
def test_serve_accepts_the_snapshot(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "snapshot.toml"
    assert main(["snapshot", "--out", str(out), "--live-auth-url", workspace.url, "--live-api-url", workspace.url]) == 0
    served = start_served_mock(tmp_path, "--config", str(out))
    try:
        with httpx.Client(base_url=served.base_url) as http:
            token = http.post(
                "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, PLACEHOLDER_SECRET)
            ).json()["access_token"]
            models = http.get("/v2/models", headers={"authorization": f"Bearer {token}"}).json()["models"]
    finally:
        assert served.stop() == 0
    assert [model["id"] for model in models] == ["7", "topic-x"]


def test_snapshot_without_credentials_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LABELF_CLIENT_ID", raising=False)
    monkeypatch.delenv("LABELF_CLIENT_SECRET", raising=False)
    assert main(["snapshot", "--out", str(tmp_path / "x.toml"), "--live-api-url", "http://127.0.0.1:9"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("labelf-mock snapshot: set LABELF_CLIENT_ID and LABELF_CLIENT_SECRET")
    assert not (tmp_path / "x.toml").exists()


def other_listing_shapes(relayed: Relayed) -> None:
    """Labelf documents no schema for these endpoints: ``data``/``model_id`` and labels as objects."""
    if relayed.path == "/v2/models" and relayed.status == 200:
        models = json.loads(relayed.body)["models"]
        relayed.body = json.dumps({"data": [{"model_id": m.pop("id"), **m} for m in models]}).encode()
    elif relayed.path.startswith("/v2/models/") and relayed.status == 200:
        detail = json.loads(relayed.body)
        labels = [] if detail["id"] == "topic-x" else [{"label": label} for label in detail["labels"]]
        relayed.body = json.dumps({**detail, "labels": labels}).encode()


@pytest.mark.usefixtures("credentials")
def test_snapshot_reads_other_shapes_and_leaves_out_models_without_labels(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snapshot.toml"
    with altering_proxy(workspace.url, other_listing_shapes) as url:
        assert main(["snapshot", "--out", str(out), "--live-auth-url", url, "--live-api-url", url]) == 0
    served = load_config(workspace.config, env={})
    assert load_config(out, env={}).models == served.models[:1]
    assert "model topic-x (" in capsys.readouterr().out


@pytest.mark.usefixtures("credentials")
def test_snapshot_of_an_unreadable_listing_says_what_came_back(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def not_a_listing(relayed: Relayed) -> None:
        if relayed.path == "/v2/models":
            relayed.body = b'{"models": "soon"}'

    with altering_proxy(workspace.url, not_a_listing) as url:
        assert main(["snapshot", "--out", str(tmp_path / "x.json"), "--live-auth-url", url, "--live-api-url", url]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert 'expected {"models": [{"id", "name", "type", "status"}]}' in line and '"soon"' in line
