"""A remote journal entry has every public field a local one has, with the same values (one base class holds
the stored fields; the control API's view carries the redacted ones)."""

from __future__ import annotations

import dataclasses

import httpx

from labelf_testkit import JournalEntry
from labelf_testkit.mock_server.control import ControlledApp
from labelf_testkit.mock_server.control._views import entry_view
from labelf_testkit.remote_journal import RemoteEntry

from .conftest import classify, token_of

#: Views a remote entry cannot carry: the matcher's facts are built from the unredacted request.
_LOCAL_ONLY = {"facts"}


def _public(cls: type) -> set[str]:
    fields = {f.name for f in dataclasses.fields(cls) if f.repr}
    views = {name for name in dir(cls) if not name.startswith("_") and isinstance(getattr(cls, name, None), property)}
    cached = {name for name, value in vars(cls).items() if not name.startswith("_") and hasattr(value, "attrname")}
    return fields | views | cached


def test_a_remote_entry_has_every_field_of_a_local_one() -> None:
    assert _public(JournalEntry) - _LOCAL_ONLY <= _public(RemoteEntry)


def test_a_remote_entry_shows_what_the_local_one_shows(controlled: ControlledApp, http: httpx.Client) -> None:
    classify(http, token_of(http), ["hello"])
    for index, local in enumerate(controlled.mock.journal.entries()):
        remote = RemoteEntry.from_view(entry_view(local, index))
        for name in _public(JournalEntry) - _LOCAL_ONLY:
            assert getattr(remote, name) == getattr(local, name), name
        assert str(remote) == str(local) and remote.json() == local.json()
