"""TLS stays verified (an extra CA can be trusted, never verification dropped); ``--config`` instead of a snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labelf_testkit.mock_server.cli import main
from tests.conftest import ServedMock, start_served_mock

from .conftest import Workspace
from .test_alterations import points, run_drift


@pytest.fixture(scope="module")
def tls_workspace(tmp_path_factory: pytest.TempPathFactory, workspace: Workspace) -> Iterator[ServedMock]:
    """Scope: module. The same workspace served over https with a certificate from a throwaway CA."""
    tmp = tmp_path_factory.mktemp("tls")
    served = start_served_mock(tmp, "--config", str(workspace.config), "--tls", "--tls-dir", str(tmp))
    yield served
    assert served.stop() == 0


@pytest.mark.usefixtures("credentials")
def test_https_with_an_extra_ca(tls_workspace: ServedMock, tmp_path: Path) -> None:
    assert tls_workspace.ca_bundle is not None
    code, document = run_drift(tls_workspace.base_url, tmp_path, "--ca-bundle", tls_workspace.ca_bundle)
    assert (code, document["findings"]) == (0, [])


@pytest.mark.usefixtures("credentials")
def test_an_untrusted_certificate_is_refused(tls_workspace: ServedMock, capsys: pytest.CaptureFixture[str]) -> None:
    url = tls_workspace.base_url
    assert main(["drift", "--live-auth-url", url, "--live-api-url", url]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "cannot reach" in line and "CERTIFICATE_VERIFY_FAILED" in line


@pytest.mark.usefixtures("credentials")
def test_a_missing_ca_bundle(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    assert main(["drift", "--live-auth-url", "https://127.0.0.1:9", "--ca-bundle", missing]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"--ca-bundle {missing!r} cannot be loaded" in line


@pytest.mark.usefixtures("credentials")
def test_config_file_instead_of_a_snapshot(workspace: Workspace, tmp_path: Path) -> None:
    code, document = run_drift(workspace.url, tmp_path, "--config", str(workspace.config))
    assert (code, document["findings"], document["mock_config"]) == (0, [], str(workspace.config))
    shorter = tmp_path / "shorter.toml"
    shorter.write_text(workspace.config.read_text().replace("expires_in = 3600", "expires_in = 60"))
    code, document = run_drift(workspace.url, tmp_path, "--config", str(shorter))
    assert (code, points(document)) == (1, {("value", "$.expires_in")})
    assert document["findings"][0]["live"] == "3600" and document["findings"][0]["mock"] == "60"
