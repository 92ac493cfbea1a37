"""The plugin's settings: the ``--labelf-*`` options and their ini keys, and the markers' options.

The contract suite's plugin registers its own options with :func:`add_option` and reads them with
:func:`setting`, so every ``--labelf-*`` option behaves alike (an ini key of the same name, flags that read
``true`` in an ini file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from .mock_server.internal import DEFAULT_LIVE_API_URL, DEFAULT_LIVE_AUTH_URL

__all__ = [
    "REMOTE_URL_ENV",
    "InterceptOptions",
    "MarkerOptions",
    "add_option",
    "enabled",
    "is_live",
    "marker_options",
    "register_options",
    "remote_url",
    "setting",
]

#: The environment variable that names a remote mock, as ``--labelf-mock-url`` does.
REMOTE_URL_ENV = "LABELF_MOCK_URL"
_Options = TypeVar("_Options", "MarkerOptions", "InterceptOptions")


@dataclass(frozen=True, kw_only=True)
class MarkerOptions:
    """Options of ``@pytest.mark.labelf(...)``; unknown keywords are a ``TypeError``."""

    assert_all_faults_used: bool | None = None


@dataclass(frozen=True, kw_only=True)
class InterceptOptions:
    """Options of ``@pytest.mark.labelf_intercept(...)``; unknown keywords are a ``TypeError``."""

    block_other_hosts: bool = False


def add_option(
    parser: pytest.Parser, name: str, help: str, default: str | None = None, *, flag: bool = False, **kwargs: Any
) -> None:
    """A ``--labelf-*`` option in the ``labelf`` group, and an ini key of the same name (read by :func:`setting`).

    A ``flag`` takes no value on the command line and reads ``name = true`` in an ini file (see :func:`enabled`).
    """
    ini = name.removeprefix("--").replace("-", "_")
    group = parser.getgroup("labelf", "labelf-testkit: mock and live Labelf targets")
    if flag:
        kwargs.update(action="store_const", const="true")
    group.addoption(name, dest=ini, default=None, help=f"{help} (ini: {ini}{' = true' if flag else ''})", **kwargs)
    parser.addini(ini, help=f"{help} (true/false)" if flag else help, default="false" if flag else default)


def register_options(parser: pytest.Parser) -> None:
    """The ``labelf`` option group (the plugin's ``pytest_addoption``); each option also reads an ini key of the
    same name."""

    def option(name: str, help: str, default: str | None = None, **kwargs: Any) -> None:
        add_option(parser, name, help, default, **kwargs)

    def flag(name: str, help: str) -> None:
        add_option(parser, name, help, flag=True)

    option(
        "--labelf-target",
        "mock (default) or live: where labelf_target, labelf_token and labelf_http point",
        "mock",
        choices=["mock", "live"],
    )
    option("--labelf-auth-url", f"live auth base URL (default {DEFAULT_LIVE_AUTH_URL})", DEFAULT_LIVE_AUTH_URL)
    option("--labelf-api-url", f"live API base URL (default {DEFAULT_LIVE_API_URL})", DEFAULT_LIVE_API_URL)
    option("--labelf-ca-bundle", "extra CA bundle to trust for the live target (verification stays on)")
    option("--labelf-max-live-requests", "hard cap on HTTP requests to a live target, for the whole run", "60")
    flag(
        "--labelf-skip-without-credentials",
        "live mode: skip the live tests when LABELF_CLIENT_ID/LABELF_CLIENT_SECRET are unset, instead of refusing "
        "to start",
    )
    flag("--labelf-assert-all-faults-used", "fail tests whose planned faults were never triggered")
    flag("--labelf-mock-tls", "serve the session's mock over https from a throwaway CA (labelf_mock.ca_bundle)")
    option(
        "--labelf-mock-url",
        "use the labelf-mock serve at this URL instead of one in this process: each worker steers a control session "
        f"of its own there (env {REMOTE_URL_ENV}; control token from LABELF_MOCK_CONTROL_TOKEN)",
    )


def setting(config: pytest.Config, name: str) -> str | None:
    """A ``--labelf-*`` option by its dest name (``labelf_target``), else its ini key, else ``None``.

    ``None`` too when the option is not registered (``-p no:labelf_testkit``).
    """
    value = config.getoption(name, None)
    if value is None:
        try:
            value = config.getini(name) or None
        except ValueError:
            return None
    return str(value) if value is not None else None


def enabled(config: pytest.Config, name: str) -> bool:
    """Whether an on/off ``--labelf-*`` setting is on (the flag given, or ``true``/``yes``/``1`` in the ini)."""
    return (setting(config, name) or "false").lower() in {"1", "true", "yes"}


def remote_url(config: pytest.Config) -> str | None:
    """The remote mock this run steers (``--labelf-mock-url``, its ini key, or ``LABELF_MOCK_URL``), if any."""
    return setting(config, "labelf_mock_url") or os.environ.get(REMOTE_URL_ENV) or None


def is_live(config: pytest.Config) -> bool:
    """Whether this run targets the live service (``--labelf-target=live``)."""
    return setting(config, "labelf_target") == "live"


def marker_options(request: pytest.FixtureRequest, name: str, options: type[_Options]) -> _Options:
    """The keywords of every ``@pytest.mark.<name>`` on the test (the closest wins), checked by ``options``."""
    __tracebackhide__ = True
    merged: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(name))):
        merged.update(marker.kwargs)
    known = set(options.__dataclass_fields__)
    if unknown := sorted(set(merged) - known):
        raise TypeError(
            f"@pytest.mark.{name} got unknown keyword(s) {', '.join(map(repr, unknown))}; "
            f"it takes {', '.join(sorted(known))}."
        )
    return options(**merged)
