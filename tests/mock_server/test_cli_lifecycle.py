"""``labelf-mock serve``'s lifecycle: reusable ``--tls-dir``, announcing only once serving, the key removed."""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path

import httpx
import pytest

from labelf_testkit.mock_server import cli
from labelf_testkit.mock_server.config import MockConfig
from labelf_testkit.mock_server.tls import LoopbackTLS, make_loopback_tls
from tests.conftest import start_served_mock


def _certificates(path: str | Path) -> int:
    return Path(path).read_text().count("BEGIN CERTIFICATE")


@pytest.mark.slow
def test_tls_dir_can_be_reused(tmp_path: Path) -> None:
    folder = tmp_path / "certs"
    counts = []
    for _ in range(2):
        served = start_served_mock(tmp_path, "--tls", "--tls-dir", str(folder))
        try:
            assert served.ca_bundle is not None
            with httpx.Client(verify=ssl.create_default_context(cafile=served.ca_bundle)) as http:
                assert http.get(served.base_url + "/openapi.json").status_code == 200
            counts.append(_certificates(folder / "server-chain.pem"))
        finally:
            assert served.stop() == 0
    assert counts[0] == counts[1]  # rewritten, not appended to
    assert (folder / "server-key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_temporary_tls_dir_with_the_key_is_removed_at_exit(tmp_path: Path) -> None:
    served = start_served_mock(tmp_path, "--tls")
    assert served.ca_bundle is not None
    folder = Path(served.ca_bundle).parent
    assert (folder / "server-key.pem").exists()
    assert served.stop() == 0
    assert not folder.exists()


def test_nothing_is_announced_when_the_server_cannot_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def mismatched(directory: str | Path | None = None) -> LoopbackTLS:
        first, second = make_loopback_tls(tmp_path / "a"), make_loopback_tls(tmp_path / "b")
        return LoopbackTLS(first.ca_bundle, first.cert_chain, second.private_key)  # KEY_VALUES_MISMATCH

    monkeypatch.setattr(cli, "make_loopback_tls", mismatched)
    ready = tmp_path / "ready.json"
    code = cli.main(["serve", "--port", "0", "--tls", "--tls-dir", str(tmp_path), "--ready-file", str(ready)])
    out, err = capsys.readouterr()
    assert code == 1
    assert not ready.exists()
    assert "serving on" not in out
    assert "cannot serve https" in err


def test_the_ready_file_appears_whole_never_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reader polling for ``--ready-file`` sees no file, then the whole JSON: it is written beside its final
    name and moved there in one step (os.replace), so there is no moment it exists half-written."""
    ready = tmp_path / "ready.json"
    seen: list[tuple[str, bool, dict[str, object]]] = []
    real_replace = os.replace

    def spy(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        # At the moment of the move: the final name does not exist yet, the whole JSON is already on disk.
        seen.append((str(Path(source).parent), Path(target).exists(), json.loads(Path(source).read_text())))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    cli._announce("http://127.0.0.1:1234", 1234, MockConfig(), None, str(ready), None)
    capsys.readouterr()
    assert seen == [(str(tmp_path), False, json.loads(ready.read_text()))]
    assert json.loads(ready.read_text())["base_url"] == "http://127.0.0.1:1234"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready.json"]  # no temporary file left behind


def test_a_ready_file_that_cannot_be_moved_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        cli._announce("http://127.0.0.1:1234", 1234, MockConfig(), None, str(tmp_path / "ready.json"), None)
    capsys.readouterr()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--port", port])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert f"argument --port: invalid port {port}" in err.replace("'", "")
    assert "0 to 65535" in err
    assert "Traceback" not in err


def test_tls_dir_without_tls_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_serve", lambda *args: 0)  # never listens, if the check were missing
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--port", "0", "--tls-dir", str(tmp_path / "certs")])
    assert exit_info.value.code == 2
    assert "--tls-dir DIR is where --tls writes its files: add --tls" in capsys.readouterr().err
    assert not (tmp_path / "certs").exists()
