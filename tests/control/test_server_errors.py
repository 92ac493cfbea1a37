"""A control call that fails unexpectedly gets the control API's own 500 (the mock's 500 guard, with the control
API's body), is logged with its traceback, and leaves the server answering."""

from __future__ import annotations

import httpx
import pytest

from labelf_testkit.mock_server.control import ControlledApp, SessionStore

from .conftest import token_of


def test_an_unexpected_control_error_is_a_500_in_the_control_shape_logged(
    controlled: ControlledApp, http: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: SessionStore) -> None:
        raise LookupError("a bug in the session store")

    monkeypatch.setattr(SessionStore, "open", broken)
    response = http.post("/__labelf/sessions")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "internal_error" and "log has the traceback" in body["message"]
    assert "a bug" not in response.text  # the exception's text stays in the log
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.name == "labelf_testkit.mock_server.control"
    assert record.getMessage() == "control: unexpected error serving POST /__labelf/sessions"
    assert "a bug in the session store" in str(record.exc_info[1])  # type: ignore[index]
    # The mock and the control API still answer.
    assert token_of(http)
    assert http.get("/__labelf/sessions").status_code == 200
