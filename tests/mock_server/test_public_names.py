"""``labelf_testkit.mock_server.__all__`` is small (docs/reference/api.md lists it); every name the package exported
before 0.3 is still importable from it, outside ``__all__``, and loading a light one does not load Starlette."""

from __future__ import annotations

import subprocess
import sys

import pytest

import labelf_testkit.mock_server as mock_server

#: ``mock_server.__all__`` before 0.3 (issue 22 shrank it): a user's ``from labelf_testkit.mock_server import X``
#: keeps working for each.
BEFORE_0_3 = [
    "DroppedConnection",
    "ApiError",
    "MockApp",
    "create_app",
    "Clock",
    "ManualClock",
    "SystemClock",
    "ClientConfig",
    "ConfigError",
    "MockConfig",
    "ModelConfig",
    "load_config",
    "CONTROL_PREFIX",
    "CONTROL_TOKEN_ENV",
    "API_PREFIX",
    "DISCOVERY_PATH",
    "FAULT_ROUTES",
    "JWKS_PATH",
    "OPENAPI_PATH",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "HostFamily",
    "host_of",
    "Fault",
    "FaultKind",
    "AUTH_HOST",
    "DEFAULT_LIVE_API_URL",
    "DEFAULT_LIVE_AUTH_URL",
    "LABELF_HOSTS",
    "LOOPBACK_HOSTS",
    "NEWER_API_HOST",
    "OLDER_API_HOST",
    "normalize_host",
    "AsyncInProcessTransport",
    "InProcessTransport",
    "requests_adapter",
    "JournalEntry",
    "MatchArgs",
    "RequestMatch",
    "OAuthError",
    "openapi_document",
    "RecordedModel",
    "Recording",
    "RecordingError",
    "TextKey",
    "load_recording",
    "render_recording",
    "REDACTED",
    "Redactor",
    "fingerprint",
    "Replay",
    "InferenceScript",
    "ModelStatus",
    "ScriptError",
    "SimilarityScript",
    "TextMatcher",
    "ServerError",
    "SocketServer",
    "bind_socket",
    "LoopbackTLS",
    "make_loopback_tls",
]


@pytest.mark.parametrize("name", BEFORE_0_3)
def test_every_name_exported_before_0_3_is_still_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from labelf_testkit.mock_server import {name}", namespace)  # noqa: S102 - the import as a user writes it
    assert namespace[name] is getattr(mock_server, name)


def test_names_outside_all_are_the_kits_internals() -> None:
    from labelf_testkit.mock_server import internal

    moved = set(BEFORE_0_3) - set(mock_server.__all__)
    assert moved and moved <= set(internal.__all__)
    assert not set(mock_server.__all__) & set(internal.__all__)
    assert set(dir(mock_server)) >= set(mock_server.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'create_ap'"):
        mock_server.create_ap  # noqa: B018 - the lookup is the test


@pytest.mark.slow
def test_a_light_internal_name_loads_no_starlette() -> None:
    code = (
        "import sys\n"
        "from labelf_testkit.mock_server import DEFAULT_LIVE_API_URL, LABELF_HOSTS, TOKEN_PATH, normalize_host\n"
        "print('starlette' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
