"""The mock's configuration: clients, token lifetime, API keys and models.

Defaults make the documentation's own snippets work with only the host changed: client id ``CLIENT_ID``,
secret ``CLIENT_SECRET``, ``expires_in`` 3122063999 (Labelf's guide "Obtaining a token",
labelf.ai/docs/guides/obtaining-a-token).
A file (TOML or JSON) and ``LABELF_MOCK_*`` environment variables override them; a bad value is refused at
start with a message that names the key and the value.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "ClientConfig",
    "ConfigError",
    "MockConfig",
    "ModelConfig",
    "load_config",
]

#: The documented example response (Labelf's "Obtaining a token" guide, labelf.ai/docs/guides/obtaining-a-token).
DEFAULT_EXPIRES_IN = 3122063999
#: Every grant type Hydra has a token-endpoint handler for (fosite `handler/`, see docs/fidelity.md).
HYDRA_GRANT_TYPES = frozenset(
    {
        "client_credentials",
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
)
_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
#: Hydra's ``strategies.access_token`` (and, since v2, the per-client ``access_token_strategy``).
TOKEN_FORMATS = ("opaque", "jwt")
#: The workspace roles of Labelf's newer docs (``/resources/developers/authentication``).  Which of them may
#: call the model API is not documented; the mock lets every role but ``viewer`` run models (a **choice**).
ROLES = ("api-user", "labeler", "viewer", "dashboard_editor", "member", "admin", "owner")
#: The two documented generations of the model API (docs/fidelity.md, "Where Labelf's docs conflict").
API_GENERATIONS = ("older", "newer")


class ConfigError(ValueError):
    """A configuration value the mock cannot start with."""


def _bad(key: str, value: object, expected: str) -> ConfigError:
    return ConfigError(f"Config '{key}' has value {value!r}. {expected}")


@dataclass(frozen=True)
class ClientConfig:
    """One registered OAuth 2.0 client.

    ``token_endpoint_auth_method`` is Hydra's client field: ``client_secret_basic`` (Hydra's default) or
    ``client_secret_post``.  ``expires_in`` overrides the server-wide token lifetime for this client, like
    Hydra's per-client ``client_credentials_grant_access_token_lifespan``; ``token_format`` overrides the
    server-wide one, like Hydra's per-client ``access_token_strategy``.  ``role`` is the workspace role the
    client's tokens act with.
    """

    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ()
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 - a method name, not a secret
    grant_types: tuple[str, ...] = ("client_credentials",)
    audience: tuple[str, ...] = ()
    expires_in: int | None = None
    token_format: str | None = None
    role: str = "api-user"

    def __post_init__(self) -> None:
        where = f"clients[{self.client_id}]"
        if self.token_format is not None:
            _check_choice(f"{where}.token_format", self.token_format, TOKEN_FORMATS)
        _check_choice(f"{where}.role", self.role, ROLES)
        if not self.client_id:
            raise _bad("clients[].client_id", self.client_id, "A client id must be a non-empty string.")
        if not self.client_secret:  # Hydra gives every client that authenticates with a secret one (never empty)
            raise _bad(f"{where}.client_secret", "", "A client secret must be a non-empty string.")
        if self.token_endpoint_auth_method not in _AUTH_METHODS:
            raise _bad(
                f"{where}.token_endpoint_auth_method",
                self.token_endpoint_auth_method,
                f"Expected one of {', '.join(_AUTH_METHODS)}.",
            )
        unknown = sorted(set(self.grant_types) - HYDRA_GRANT_TYPES)
        if unknown:
            raise _bad(f"{where}.grant_types", unknown, f"Expected grant types among {sorted(HYDRA_GRANT_TYPES)}.")
        if self.expires_in is not None:
            _check_lifetime(f"{where}.expires_in", self.expires_in)


#: ``training`` is listed by the newer docs' ``/models`` page ("training status"); inference on it answers 409.
MODEL_STATUSES = ("ready", "archived", "training")


@dataclass(frozen=True, init=False)
class ModelConfig:
    """A fake model: its id, display name and labels.  Scores are derived from the text, so repeatable.

    ``model_id`` may be given as an int or a str; it is kept as the str the API path carries, so
    ``ModelConfig(7, …)`` answers ``/v2/models/7``.  ``status`` is ``"ready"``, ``"archived"`` (inference
    answers 400 "Model is archived") or ``"training"`` (inference answers 409, a resource state conflict).
    """

    model_id: str
    name: str
    labels: tuple[str, ...]
    model_type: str = "classification"
    status: str = "ready"

    def __init__(
        self,
        model_id: str | int,
        name: str,
        labels: tuple[str, ...] | list[str],
        model_type: str = "classification",
        status: str = "ready",
    ) -> None:
        if isinstance(model_id, bool) or not isinstance(model_id, str | int) or model_id == "":
            raise _bad("models[].model_id", model_id, "A model id must be a non-empty string or an integer.")
        for attribute, value in (
            ("model_id", str(model_id)),
            ("name", name),
            ("labels", tuple(labels)),
            ("model_type", model_type),
            ("status", status),
        ):
            object.__setattr__(self, attribute, value)
        where = f"models[{self.model_id}]"
        if not self.labels or len(set(self.labels)) != len(self.labels):
            raise _bad(f"{where}.labels", list(self.labels), "Expected distinct labels.")
        if self.status not in MODEL_STATUSES:
            raise _bad(f"{where}.status", self.status, f"Expected one of {', '.join(MODEL_STATUSES)}.")


DEFAULT_MODELS = (
    ModelConfig("1", "Sentiment", ("positive", "neutral", "negative")),
    ModelConfig("2", "Support topic", ("billing", "delivery", "product quality", "account", "other")),
    ModelConfig("3", "Language", ("english", "swedish", "german", "other")),
)


def _check_choice(key: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise _bad(key, value, f"Expected one of {', '.join(choices)}.")


def _check_lifetime(key: str, value: object, unit: str = "seconds") -> int:
    """``value`` when it is a positive integer (a number of ``unit``); else a :class:`ConfigError` naming both."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _bad(key, value, f"Expected a positive integer number of {unit}.")
    return value


@dataclass(frozen=True)
class MockConfig:
    """Everything the mock serves.  Immutable; build another with :func:`dataclasses.replace`."""

    clients: tuple[ClientConfig, ...] = (ClientConfig("CLIENT_ID", "CLIENT_SECRET"),)
    expires_in: int = DEFAULT_EXPIRES_IN
    api_keys: tuple[str, ...] = ()
    models: tuple[ModelConfig, ...] = DEFAULT_MODELS
    max_body_bytes: int = 1 << 20
    token_key: bytes | None = field(default=None, repr=False)
    #: Discovery's ``issuer`` (Hydra's ``urls.self.issuer``); by default the URL the mock is served at.
    issuer: str | None = None
    #: ``opaque`` (``ory_at_…``, Hydra's default) or ``jwt`` (RS256, verifiable against the JWKS).
    token_format: str = "opaque"  # noqa: S105 - a format name, not a secret
    #: The model API generation served unless the host or a header picks one (``older``: the official client's).
    api_generation: str = "older"
    #: Workspace roles of static API keys, as ``(key, role)`` pairs; a key not listed is an ``api-user``.
    api_key_roles: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    #: Texts (times models) the workspace may classify before inference answers 403; ``None``: no quota.
    quota: int | None = None
    #: How many requests the journal keeps (the oldest are dropped first); control sessions keep fewer.
    journal_size: int = 1_000
    #: Recording files (``labelf-mock record``) the mock answers from; a config file's relative paths are
    #: relative to that file.  Their models are added to ``models`` when the app is built.
    recordings: tuple[str, ...] = ()
    #: Whether a text no recording holds is an error (400 ``TEXT_NOT_RECORDED``) instead of a deterministic answer.
    recording_strict: bool = False

    def __post_init__(self) -> None:
        _check_lifetime("expires_in", self.expires_in)
        _check_choice("token_format", self.token_format, TOKEN_FORMATS)
        _check_choice("api_generation", self.api_generation, API_GENERATIONS)
        for _, role in self.api_key_roles:
            _check_choice("api_key_roles", role, ROLES)
        if self.quota is not None:
            _check_lifetime("quota", self.quota, "texts")
        if self.issuer is not None:
            url = urlsplit(self.issuer) if isinstance(self.issuer, str) else None
            if url is None or url.scheme not in {"http", "https"} or not url.netloc:
                raise _bad(
                    "issuer", self.issuer, "Expected an http:// or https:// URL, such as 'https://auth.example'."
                )
        ids = [c.client_id for c in self.clients]
        if len(set(ids)) != len(ids):
            raise _bad("clients", ids, "Client ids must be unique.")
        for key in self.api_keys:
            if not key.startswith("lbl_sk_") or len(key) <= len("lbl_sk_"):
                raise _bad(
                    "api_keys",
                    "lbl_sk_…" if key.startswith("lbl_sk_") else key[:12],
                    "API keys look like 'lbl_sk_' followed by the key.",
                )
        model_ids = [m.model_id for m in self.models]
        if len(set(model_ids)) != len(model_ids):
            raise _bad("models", model_ids, "Model ids must be unique.")

    def client(self, client_id: str) -> ClientConfig | None:
        """The registered client with this id, if any."""
        for candidate in self.clients:
            if candidate.client_id == client_id:
                return candidate
        return None

    def role_of_key(self, key: str) -> str:
        """The workspace role of a configured API key."""
        return dict(self.api_key_roles).get(key, "api-user")

    def model(self, model_id: str) -> ModelConfig | None:
        """The configured model with this id, if any."""
        for candidate in self.models:
            if candidate.model_id == model_id:
                return candidate
        return None


def parse_client_spec(spec: str) -> ClientConfig:
    """``ID:SECRET`` split at the first ``:`` (so a secret may hold colons), as ``--client`` takes it."""
    client_id, sep, secret = spec.partition(":")
    if not sep or not client_id:
        # Without a ':' there is no secret in it to hide; with one, only the id is shown.
        shown = spec if not sep else ":…"
        raise _bad("client", shown, "Expected ID:SECRET, split at the first ':'.")
    return ClientConfig(client_id, secret)


def _str_tuple(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _bad(key, value, "Expected a list of strings.")


def _client_from_mapping(index: int, raw: object) -> ClientConfig:
    key = f"clients[{index}]"
    if not isinstance(raw, Mapping):
        raise _bad(key, raw, "Expected a table with client_id and client_secret.")
    allowed = {
        "client_id",
        "client_secret",
        "scopes",
        "token_endpoint_auth_method",
        "grant_types",
        "audience",
        "expires_in",
        "token_format",
        "role",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _bad(f"{key}", unknown, f"Unknown keys; expected some of {sorted(allowed)}.")
    for required in ("client_id", "client_secret"):
        if not isinstance(raw.get(required), str):
            shown = "…" if required == "client_secret" and required in raw else raw.get(required)
            raise _bad(f"{key}.{required}", shown, "Expected a string.")
    kwargs: dict[str, Any] = {"client_id": raw["client_id"], "client_secret": raw["client_secret"]}
    for name in ("scopes", "grant_types", "audience"):
        if name in raw:
            kwargs[name] = _str_tuple(f"{key}.{name}", raw[name])
    for name in ("token_endpoint_auth_method", "token_format", "role"):
        if name in raw:
            kwargs[name] = raw[name]  # checked by ClientConfig
    if "expires_in" in raw:
        kwargs["expires_in"] = _check_lifetime(f"{key}.expires_in", raw["expires_in"])
    return ClientConfig(**kwargs)


_MODEL_KEYS = frozenset({"model_id", "name", "labels", "model_type", "status"})


def _model_from_mapping(index: int, raw: object) -> ModelConfig:
    key = f"models[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("model_id"), str | int):
        raise _bad(key, raw, "Expected a table with model_id, name and labels.")
    unknown = sorted(set(raw) - _MODEL_KEYS)
    if unknown:
        raise _bad(key, unknown, f"Unknown keys; expected some of {sorted(_MODEL_KEYS)}.")
    for name in ("name", "model_type", "status"):
        if name in raw and not isinstance(raw[name], str):
            raise _bad(f"{key}.{name}", raw[name], "Expected a string.")
    return ModelConfig(
        model_id=raw["model_id"],
        name=raw.get("name", f"Model {raw['model_id']}"),
        labels=_str_tuple(f"{key}.labels", raw.get("labels")),
        model_type=raw.get("model_type", "classification"),
        status=raw.get("status", "ready"),
    )


def config_from_mapping(raw: Mapping[str, Any], base: MockConfig | None = None) -> MockConfig:
    """Apply a parsed TOML/JSON document to ``base`` (the defaults), checking every key and value."""
    config = base or MockConfig()
    allowed = {
        "clients",
        "expires_in",
        "api_keys",
        "models",
        "max_body_bytes",
        "issuer",
        "token_format",
        "api_generation",
        "api_key_roles",
        "quota",
        "recordings",
        "recording_strict",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _bad("<top level>", unknown, f"Unknown keys; expected some of {sorted(allowed)}.")
    changes: dict[str, Any] = {}
    if "clients" in raw:
        if not isinstance(raw["clients"], list) or not raw["clients"]:
            raise _bad("clients", raw["clients"], "Expected a non-empty list of clients.")
        changes["clients"] = tuple(_client_from_mapping(i, c) for i, c in enumerate(raw["clients"]))
    if "models" in raw:
        if not isinstance(raw["models"], list):
            raise _bad("models", raw["models"], "Expected a list of models.")
        changes["models"] = tuple(_model_from_mapping(i, m) for i, m in enumerate(raw["models"]))
    if "expires_in" in raw:
        changes["expires_in"] = _check_lifetime("expires_in", raw["expires_in"])
    if "max_body_bytes" in raw:
        changes["max_body_bytes"] = _check_lifetime("max_body_bytes", raw["max_body_bytes"], "bytes")
    if "api_keys" in raw:
        changes["api_keys"] = _str_tuple("api_keys", raw["api_keys"])
    for name in ("issuer", "token_format", "api_generation"):
        if name in raw:
            changes[name] = raw[name]  # checked by MockConfig
    if "quota" in raw:
        changes["quota"] = _check_lifetime("quota", raw["quota"], "texts")
    if "recordings" in raw:
        changes["recordings"] = _paths("recordings", raw["recordings"])
    if "recording_strict" in raw:
        if not isinstance(raw["recording_strict"], bool):
            raise _bad("recording_strict", raw["recording_strict"], "Expected true or false.")
        changes["recording_strict"] = raw["recording_strict"]
    if "api_key_roles" in raw:
        roles = raw["api_key_roles"]
        if not isinstance(roles, Mapping) or not all(isinstance(v, str) for v in roles.values()):
            raise _bad("api_key_roles", "…", "Expected a table mapping each API key to a role.")
        changes["api_key_roles"] = tuple(roles.items())
    return replace(config, **changes)


def _paths(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(key, value, "Expected a list of file paths.")
    return tuple(value)


def _relative_to(path: Path, raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """``raw`` with its recording paths made relative to the config file's folder (as a reader expects)."""
    paths = raw.get("recordings")
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        return raw  # config_from_mapping says what is wrong
    return {**raw, "recordings": [str(path.parent / p) for p in paths]}


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Config file {str(path)!r} cannot be read: {exc.strerror}.") from exc
    suffix = path.suffix.lower()
    if suffix not in {".json", ".toml", ""}:
        raise ConfigError(
            f"Config file {str(path)!r} is neither TOML nor JSON (its name ends in {path.suffix!r}). "
            "Write the configuration as TOML (.toml) or JSON (.json); the labelf-testkit docs' "
            "Configuration reference (docs/reference/config.md) has an example."
        )
    try:
        loaded = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if suffix == ".json" else "TOML"
        raise ConfigError(f"Config file {str(path)!r} is not valid {kind}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"Config file {str(path)!r} must hold a table/object at the top level.")
    return loaded


def _from_env(env: Mapping[str, str], config: MockConfig) -> MockConfig:
    changes: dict[str, Any] = {}
    if clients := env.get("LABELF_MOCK_CLIENTS"):
        changes["clients"] = tuple(parse_client_spec(spec) for spec in clients.split(",") if spec)
    if (expires := env.get("LABELF_MOCK_EXPIRES_IN")) is not None:
        if not expires.isdigit():
            raise _bad("LABELF_MOCK_EXPIRES_IN", expires, "Expected a positive integer number of seconds.")
        changes["expires_in"] = _check_lifetime("LABELF_MOCK_EXPIRES_IN", int(expires))
    if keys := env.get("LABELF_MOCK_API_KEYS"):
        changes["api_keys"] = tuple(k for k in keys.split(",") if k)
    return replace(config, **changes)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> MockConfig:
    """Defaults, then the file at ``path`` (or ``$LABELF_MOCK_CONFIG``), then ``LABELF_MOCK_*`` variables.

    Variables: ``LABELF_MOCK_CLIENTS`` (``ID:SECRET,ID2:SECRET2``), ``LABELF_MOCK_EXPIRES_IN`` (seconds),
    ``LABELF_MOCK_API_KEYS`` (``lbl_sk_…,lbl_sk_…``), ``LABELF_MOCK_CONFIG`` (a file path).
    """
    env = os.environ if env is None else env
    config = MockConfig()
    file_path = path if path is not None else env.get("LABELF_MOCK_CONFIG")
    if file_path:
        config = config_from_mapping(_relative_to(Path(file_path), _read_file(Path(file_path))), config)
    return _from_env(env, config)
