"""Where the run's redactor reaches pytest's output: reports, warnings and log handlers.

Every hook here does nothing until a ``labelf_*`` fixture or live mode has registered a secret, so a project
that never uses the kit gets pytest's output byte for byte.  Reports keep their types (pytest's ``-ra`` line,
JUnit XML and xdist read their structure): only the strings inside them are replaced.  Imports nothing but
pytest and the standard library.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock_server.internal import Redactor

__all__ = ["REDACTOR", "active_redactor", "redact_mock", "redact_report", "redactor", "register"]

#: The run's redactor, once something secret is known.
REDACTOR: pytest.StashKey[Redactor] = pytest.StashKey()
#: The mocks whose secrets the run already redacts (by ``id`` of their state).
_LEARNING = pytest.StashKey[set[int]]()
_log = logging.getLogger("labelf_testkit.redaction")


def active_redactor(config: pytest.Config) -> Redactor | None:
    """The run's redactor if it knows any secret, else ``None`` (nothing to do)."""
    redact = config.stash.get(REDACTOR, None)
    return redact if redact else None


def _scrub(value: Any, redact: Callable[[str], str], seen: set[int]) -> Any:
    """``value`` with every string inside it redacted; objects are edited in place and keep their type."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(_scrub(item, redact, seen) for item in value)
    if isinstance(value, list):
        value[:] = [_scrub(item, redact, seen) for item in value]
        return value
    if id(value) in seen or not (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return value  # pytest's repr objects (ReprEntry, ReprFileLocation, ...) are all dataclasses
    seen.add(id(value))
    for field in dataclasses.fields(value):
        current = getattr(value, field.name)
        scrubbed = _scrub(current, redact, seen)
        if scrubbed is not current:
            object.__setattr__(value, field.name, scrubbed)
    return value


def redact_report(report: pytest.TestReport | pytest.CollectReport, redact: Callable[[str], str]) -> None:
    """Redact a report in place: its failure or skip repr, captured sections, xfail reason, user properties."""
    report.longrepr = _scrub(report.longrepr, redact, set())
    report.sections = [(title, redact(content)) for title, content in report.sections]
    wasxfail = getattr(report, "wasxfail", None)
    if isinstance(wasxfail, str):
        report.wasxfail = redact(wasxfail)  # type: ignore[union-attr]
    if isinstance(report, pytest.TestReport):
        report.user_properties = [(name, _redact_property(value, redact)) for name, value in report.user_properties]


def _redact_property(value: object, redact: Callable[[str], str]) -> object:
    text = value if isinstance(value, str) else str(value)
    scrubbed = redact(text)
    return value if scrubbed == text else scrubbed  # JUnit XML writes str(value)


def safely_redact_report(report: pytest.TestReport | pytest.CollectReport, config: pytest.Config) -> None:
    """:func:`redact_report` with the run's redactor; never lets an error in redaction reach pytest."""
    redact = active_redactor(config)
    if redact is None:
        return
    try:
        redact_report(report, redact)
    except Exception:  # a report we could not walk: keep pytest running, show the text only
        _log.exception("labelf-testkit could not redact a report structurally; showing it as redacted text")
        if not isinstance(report.longrepr, tuple):
            report.longrepr = redact(str(report.longrepr))


class _RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter: the formatted line is redacted just before it is written."""

    def __init__(self, inner: logging.Formatter, config: pytest.Config) -> None:
        super().__init__()
        self.inner = inner
        self.config = config

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        redact = active_redactor(self.config)
        return redact(text) if redact is not None else text


class RedactionHooks:
    """Warnings, collection reports and pytest's own log handlers (``log_cli``, ``--log-file``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        """Collection errors can print a secret too."""
        report = yield
        safely_redact_report(report, self.config)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        """Before the terminal summary (or xdist) copies a warning's text, redact it."""
        redact = active_redactor(self.config)
        if redact is None:
            return
        text = str(warning_message.message)
        scrubbed = redact(text)
        if scrubbed != text:
            warning_message.message = _same_category(warning_message.message, scrubbed)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self) -> None:
        """Wrap the formatters of pytest's live (``log_cli``) and file log handlers."""
        logging_plugin = self.config.pluginmanager.get_plugin("logging-plugin")
        for name in ("log_cli_handler", "log_file_handler"):
            handler = getattr(logging_plugin, name, None)
            if isinstance(handler, logging.Handler) and not isinstance(handler.formatter, _RedactingFormatter):
                handler.setFormatter(_RedactingFormatter(handler.formatter or logging.Formatter(), self.config))


def _same_category(original: object, text: str) -> Warning:
    """A warning of the original's class carrying ``text`` (without calling a custom ``__init__``)."""
    cls = type(original) if isinstance(original, Warning) else UserWarning
    warning = cls.__new__(cls)
    warning.args = (text,)
    return warning


def register(config: pytest.Config) -> None:
    """Install the hooks above for this run."""
    if not config.pluginmanager.has_plugin("labelf-redaction"):
        config.pluginmanager.register(RedactionHooks(config), "labelf-redaction")


def redactor(config: pytest.Config) -> Redactor:
    """The run's :class:`~labelf_testkit.mock_server.Redactor`, created on first use.

    It knows only what the run registers: configured client secrets and API keys, the live credentials, and
    every token issued or received.  Until something is registered, pytest's output is left untouched."""
    redact = config.stash.get(REDACTOR, None)
    if redact is None:
        from .mock_server.internal import Redactor

        redact = config.stash[REDACTOR] = Redactor()
    return redact


def redact_mock(config: pytest.Config, app: object) -> None:
    """Redact, from the run's output, what the mock behind ``app`` knows to be secret: its clients' credentials,
    its API keys and every token it issues from now on (once per mock).

    ``app`` may wrap the mock in ASGI middleware (``.app`` attributes); an app with no mock behind it (a foreign
    app checked by the contract suite) has nothing known to hide.
    """
    state, layer = None, app
    for _ in range(8):
        state = getattr(layer, "mock", None)
        if state is not None or not hasattr(layer, "app"):
            break
        layer = layer.app
    seen = config.stash.setdefault(_LEARNING, set())
    if state is None or id(state) in seen:
        return
    seen.add(id(state))
    redact = redactor(config)
    for client in state.config.clients:
        redact.add_credentials(client.client_id, client.client_secret)
    for key in state.config.api_keys:
        redact.add(key)
    state.on_token_issued(redact.add_token)
