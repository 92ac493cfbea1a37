"""``rate_limit(retry_after=…)`` sends only what RFC 9110 §10.2.3 allows: whole seconds or an HTTP date."""

from __future__ import annotations

import httpx
import pytest

from labelf_testkit import LabelfMock


@pytest.mark.parametrize("value", [0, 7, "7", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_seconds_and_http_dates_are_sent_as_given(labelf_mock: LabelfMock, value: int | str) -> None:
    labelf_mock.models.rate_limit(retry_after=value)
    with httpx.Client() as http:
        response = http.get(labelf_mock.api_url + "/models")
    assert (response.status_code, response.headers["retry-after"]) == (429, str(value))


@pytest.mark.parametrize("value", [-3, 1.5, "soon", "", True, "Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Injected: 1"])
def test_anything_else_is_refused_when_planned(labelf_mock: LabelfMock, value: object) -> None:
    with pytest.raises(ValueError, match=r"retry_after takes whole seconds \(0 or more\) or an HTTP date") as raised:
        labelf_mock.models.rate_limit(retry_after=value)  # type: ignore[arg-type]  # what a user might pass
    assert repr(value) in str(raised.value)
    assert labelf_mock.unused_faults() == []
