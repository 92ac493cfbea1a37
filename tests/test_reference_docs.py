"""The reference pages list every option, ini key and marker the plugins register (docs/reference/)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

REFERENCE = Path(__file__).parent.parent / "docs" / "reference"


def _labelf_options(config: pytest.Config) -> set[str]:
    return {name for name in vars(config.option) if name.startswith("labelf_")}


def test_every_option_and_ini_key_is_in_the_options_reference(pytestconfig: pytest.Config) -> None:
    page = (REFERENCE / "options.md").read_text(encoding="utf-8")
    options = _labelf_options(pytestconfig)
    assert {"labelf_target", "labelf_mock_tls", "labelf_report"} <= options
    missing = sorted(name for name in options if f"`--{name.replace('_', '-')}" not in page or f"`{name}`" not in page)
    assert missing == [], "options (or their ini keys) missing from docs/reference/options.md"


def test_every_marker_is_in_the_markers_reference(pytestconfig: pytest.Config) -> None:
    page = (REFERENCE / "markers.md").read_text(encoding="utf-8")
    markers = {re.split(r"[(:]", line, maxsplit=1)[0] for line in pytestconfig.getini("markers")}
    labelf = {name for name in markers if name.startswith("labelf")}
    assert {"labelf", "labelf_intercept"} <= labelf
    missing = sorted(name for name in labelf if f"@pytest.mark.{name}(" not in page)
    assert missing == [], "markers missing from docs/reference/markers.md"


def test_every_endpoint_is_in_the_endpoints_reference() -> None:
    from labelf_testkit.mock_server.endpoints import ENDPOINTS

    page = (REFERENCE / "endpoints.md").read_text(encoding="utf-8")
    served = {(endpoint.methods[0], endpoint.path.replace("{model_id}", "{id}")) for endpoint in ENDPOINTS}
    assert ("POST", "/oauth2/token") in served
    missing = sorted(f"{method} {path}" for method, path in served if f"`{method} {path}`" not in page)
    assert missing == [], "endpoints missing from docs/reference/endpoints.md"


def _accepted_keys(document: dict[str, object]) -> set[str]:
    """The keys the config loader accepts where ``document`` has the unknown key ``zz``, as its error lists them."""
    from labelf_testkit.mock_server.config import ConfigError, config_from_mapping

    with pytest.raises(ConfigError, match="expected some of") as refused:
        config_from_mapping(document)
    return set(ast.literal_eval(str(refused.value).rsplit("expected some of ", 1)[1].rstrip(".")))


def test_the_config_reference_file_shows_every_key_and_loads() -> None:
    from labelf_testkit.mock_server.config import config_from_mapping

    page = (REFERENCE / "config.md").read_text(encoding="utf-8")
    document = tomllib.loads(re.search(r"```toml\n(.*?)```", page, re.DOTALL)[1])  # type: ignore[index]
    config_from_mapping(document)  # every value shown is one the mock accepts
    client, model = {"client_id": "a", "client_secret": "b"}, {"model_id": 1}
    assert set(document) == _accepted_keys({"zz": 1})
    assert set(document["clients"][0]) == _accepted_keys({"clients": [{**client, "zz": 1}]})
    assert set(document["models"][0]) == _accepted_keys({"models": [{**model, "zz": 1}]})


def test_the_mocks_public_names_are_the_documented_list() -> None:
    import labelf_testkit.mock_server as mock_server

    page = (REFERENCE / "api.md").read_text(encoding="utf-8")
    table = page.split("<!-- mock names", 1)[1].split("-->", 1)[1].split("\n\n", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)
    assert "create_app" in documented and len(documented) == len(set(documented))
    assert sorted(mock_server.__all__) == sorted(documented)
