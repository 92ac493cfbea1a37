"""Configuration from files and the environment; bad values are refused naming the key and value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelf_testkit.mock_server import ClientConfig, ConfigError, MockConfig, ModelConfig, load_config
from labelf_testkit.mock_server.config import parse_client_spec


def test_defaults_match_the_documentation() -> None:
    config = load_config(env={})
    assert config.clients == (ClientConfig("CLIENT_ID", "CLIENT_SECRET"),)
    assert config.expires_in == 3122063999
    assert [m.model_id for m in config.models] == ["1", "2", "3"]


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "mock.toml"
    path.write_text(
        'expires_in = 3600\napi_keys = ["lbl_sk_abc"]\n'
        '[[clients]]\nclient_id = "a"\nclient_secret = "b"\nscopes = ["read", "write"]\nexpires_in = 60\n'
        '[[models]]\nmodel_id = 7\nname = "Seven"\nlabels = ["x", "y"]\n'
    )
    config = load_config(path, env={})
    assert config.expires_in == 3600 and config.api_keys == ("lbl_sk_abc",)
    assert config.clients == (ClientConfig("a", "b", scopes=("read", "write"), expires_in=60),)
    assert config.models == (ModelConfig("7", "Seven", ("x", "y")),)


def test_json_file_and_env_override(tmp_path: Path) -> None:
    path = tmp_path / "mock.json"
    path.write_text(json.dumps({"clients": [{"client_id": "a", "client_secret": "b"}]}))
    env = {"LABELF_MOCK_CONFIG": str(path), "LABELF_MOCK_EXPIRES_IN": "120", "LABELF_MOCK_CLIENTS": "x:y:z,w:v"}
    config = load_config(env=env)
    assert config.expires_in == 120
    assert [(c.client_id, c.client_secret) for c in config.clients] == [("x", "y:z"), ("w", "v")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("expires_in = 'soon'", "Config 'expires_in' has value 'soon'"),
        ("expires_in = -5", "Config 'expires_in' has value -5"),
        ("colour = 1", "Config '<top level>' has value ['colour']"),
        ("clients = []", "Config 'clients' has value []"),
        ('[[clients]]\nclient_id = "a"', "Config 'clients[0].client_secret' has value None"),
        (
            '[[clients]]\nclient_id = "a"\nclient_secret = "b"\ntoken_endpoint_auth_method = "none"',
            "Config 'clients[a].token_endpoint_auth_method' has value 'none'",
        ),
        (
            '[[clients]]\nclient_id = "a"\nclient_secret = "b"\ngrant_types = ["password"]',
            "Config 'clients[a].grant_types' has value ['password']",
        ),
        ('api_keys = ["sk_live_x"]', "Config 'api_keys' has value 'sk_live_x'"),
        ('[[models]]\nmodel_id = "m"\nlabels = []', "Config 'models[m].labels' has value []"),
        (
            '[[clients]]\nclient_id = "a"\nclient_secret = ""',
            "Config 'clients[a].client_secret' has value ''. A client",
        ),
        ("quota = -1", "Config 'quota' has value -1. Expected a positive integer number of texts."),
        ("max_body_bytes = 0", "Config 'max_body_bytes' has value 0. Expected a positive integer number of bytes."),
    ],
)
def test_bad_values_name_key_and_value(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_config(path, env={})


def test_secret_values_are_not_echoed_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[clients]]\nclient_id = "a"\nclient_secret = 12345')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert "12345" not in str(caught.value)


def test_env_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LABELF_MOCK_EXPIRES_IN' has value 'x'"):
        load_config(env={"LABELF_MOCK_EXPIRES_IN": "x"})
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "missing.toml", env={})
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(tmp_path / "broken.json", env={})


def test_client_spec_splits_at_first_colon() -> None:
    assert parse_client_spec("id:se:cret") == ClientConfig("id", "se:cret")
    with pytest.raises(ConfigError, match="Expected ID:SECRET"):
        parse_client_spec("no-colon")
    with pytest.raises(ConfigError, match="A client secret must be a non-empty string"):
        parse_client_spec("id:")  # `--client id:` and LABELF_MOCK_CLIENTS=id: registered a client with no secret


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ConfigError, match="Client ids must be unique"):
        MockConfig(clients=(ClientConfig("a", "b"), ClientConfig("a", "c")))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[models]]\nmodel_id = 7\nlabels = ["a"]\ncolour = "red"', "Config 'models[0]' has value ['colour']"),
        (
            '[[models]]\nmodel_id = 7\nlabels = ["a"]\nstatus = "archivd"',
            "Config 'models[7].status' has value 'archivd'",
        ),
        ('[[models]]\nmodel_id = 7\nlabels = ["a"]\nname = 5', "Config 'models[0].name' has value 5"),
        ('issuer = "auth.example"', "Config 'issuer' has value 'auth.example'"),
    ],
)
def test_model_keys_and_enum_values_are_checked(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path, env={})


def test_a_file_neither_toml_nor_json_says_so(tmp_path: Path) -> None:
    path = tmp_path / "mock.yaml"
    path.write_text("expires_in: 60\n")
    with pytest.raises(ConfigError, match=r"'.*mock\.yaml' is neither TOML nor JSON \(its name ends in '\.yaml'\)"):
        load_config(path, env={})


def test_int_and_str_model_ids_are_one_id() -> None:
    seven = ModelConfig(7, "Seven", ["x", "y"])
    assert seven == ModelConfig("7", "Seven", ("x", "y"))
    assert MockConfig(models=(seven,)).model("7") is seven
    with pytest.raises(ConfigError, match=r"Config 'models\[\]\.model_id' has value True"):
        ModelConfig(True, "Bool", ("x",))


def test_int_model_id_answers_inference(tmp_path: Path) -> None:
    import httpx

    from labelf_testkit.mock_server import InProcessTransport, create_app

    app = create_app(MockConfig(models=(ModelConfig(7, "Seven", ("x", "y")),)))
    token = app.mock.tokens.issue("CLIENT_ID", 2**40)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
        response = http.post(
            "/v2/models/7/inference", json={"texts": ["x"]}, headers={"authorization": f"Bearer {token}"}
        )
        listed = http.get("/v2/models", headers={"authorization": f"Bearer {token}"}).json()
    assert response.status_code == 200, response.text
    assert listed["models"][0]["id"] == "7"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"clients": [{"client_id": "", "client_secret": "x"}]}, "clients[].client_id"),
        (
            {"models": [{"model_id": 1, "labels": ["a"]}, {"model_id": "1", "labels": ["b"]}]},
            "Model ids must be unique",
        ),
        ({"api_keys": 7}, "Expected a list of strings"),
        ({"clients": ["CLIENT_ID"]}, "Expected a table with client_id and client_secret"),
        ({"clients": [{"client_id": "a", "client_secret": "b", "colour": "red"}]}, "Unknown keys"),
        ({"models": ["sentiment"]}, "Expected a table with model_id, name and labels"),
        ({"models": {"model_id": 1}}, "Expected a list of models"),
        ({"max_body_bytes": 0}, "'max_body_bytes' has value 0"),
        ({"quota": -1}, "'quota' has value -1"),
        ({"api_key_roles": ["viewer"]}, "Expected a table mapping each API key to a role"),
        ({"api_key_roles": {"lbl_sk_x": "boss"}}, "'api_key_roles' has value 'boss'"),
        ({"token_format": "paseto"}, "'token_format' has value 'paseto'"),
        ({"clients": [{"client_id": "a", "client_secret": "b", "role": "root"}]}, "'clients[a].role' has value 'root'"),
    ],
)
def test_every_bad_value_names_its_key(document: dict[str, object], message: str) -> None:
    from labelf_testkit.mock_server.config import config_from_mapping

    with pytest.raises(ConfigError) as error:
        config_from_mapping(document)
    assert message in str(error.value)


def test_a_file_holding_a_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mock.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ConfigError, match="must hold a table/object at the top level"):
        load_config(path, env={})


def test_api_keys_from_the_environment() -> None:
    assert load_config(env={"LABELF_MOCK_API_KEYS": "lbl_sk_one,,lbl_sk_two"}).api_keys == ("lbl_sk_one", "lbl_sk_two")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "explode"}, "Unknown fault kind 'explode'"),
        ({"times": 0}, "times must be at least 1"),
        ({"delay": -1.0}, "delay must be non-negative"),
    ],
)
def test_fault_values_are_checked(kwargs: dict[str, object], message: str) -> None:
    from labelf_testkit import Fault

    with pytest.raises(ValueError, match=message):
        Fault("token", **kwargs)  # type: ignore[arg-type]
