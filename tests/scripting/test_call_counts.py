"""Per-route call counts and assertions, named as the fault handles name routes; failures list what came."""

from __future__ import annotations

import httpx
import pytest

from labelf_testkit import LabelfMock


def test_counts_per_route(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.inference.fail(status=503)
    for model in ("1", "2", "2"):
        api.post(f"/models/{model}/inference", json={"texts": ["a"]})
    api.post("/models/inference", json={"texts": ["a"], "model_settings": [{"model_id": 1}]})
    api.get("/models")
    assert labelf_mock.inference.call_count == 4  # the faulted call and the multi-model one included
    assert [entry.status for entry in labelf_mock.inference.calls] == [503, 200, 200, 200]
    assert labelf_mock.models.call_count == 1
    assert labelf_mock.similarity.call_count == 0
    assert labelf_mock.api.call_count == 5
    assert labelf_mock.token.call_count == 0  # issue_token() makes no HTTP call
    assert labelf_mock.route("/v2/models/2/inference").call_count == 2
    assert labelf_mock.journal.call_count("inference", model_id=1) == 2
    labelf_mock.inference.assert_called(times=4)
    labelf_mock.inference.assert_called(times=2, model_id=2)
    labelf_mock.inference.assert_called()
    labelf_mock.similarity.assert_not_called()
    labelf_mock.inference.assert_not_called(match_json={"texts": ["b"]})


def test_a_wrong_count_lists_the_route_calls_and_everything_received(
    labelf_mock: LabelfMock, api: httpx.Client
) -> None:
    api.post("/models/2/inference", json={"texts": ["refund please"]})
    api.get("/models")
    with pytest.raises(AssertionError) as failure:
        labelf_mock.inference.assert_called(times=3)
    assert str(failure.value).splitlines()[:5] == [
        "Expected 'inference' to be called 3 time(s), but it was called 1 time(s).",
        "Calls to 'inference':",
        '  - POST /v2/models/2/inference -> 200 {"texts":["refund please"]}',
        "Every request the mock received:",
        "  - POST /v2/models/2/inference -> 200",
    ]
    assert "GET /v2/models -> 200" in str(failure.value)


def test_assert_called_without_times_needs_one_call(labelf_mock: LabelfMock) -> None:
    with pytest.raises(
        AssertionError, match=r"Expected 'similarity' to be called at least once.*\n.*\n  \(no requests\)"
    ):
        labelf_mock.similarity.assert_called()


def test_assert_not_called_names_the_criteria(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    api.post("/models/2/inference", json={"texts": ["a"]})
    labelf_mock.inference.assert_not_called(model_id=1)
    with pytest.raises(
        AssertionError, match=r"Expected 'inference' where model 2 not to be called, but it was called 1 time\(s\)"
    ):
        labelf_mock.inference.assert_not_called(model_id=2)


def test_token_calls_are_counted(labelf_mock: LabelfMock) -> None:
    for _ in range(2):
        httpx.post(labelf_mock.token_url, data={"grant_type": "client_credentials"}, auth=labelf_mock.credentials.auth)
    labelf_mock.token.assert_called(times=2)
    labelf_mock.revoke.assert_not_called()


def test_unknown_routes_are_refused(labelf_mock: LabelfMock) -> None:
    with pytest.raises(ValueError, match="Unknown route 'inferences'"):
        labelf_mock.journal.calls("inferences")


def test_refused_connections_are_not_counted_but_faulted_calls_and_errors_are(labelf_intercept: LabelfMock) -> None:
    # The call-counts guide: every request that reached the mock counts, whatever it was answered; a refused
    # connection never reaches it and is only in refused_connections.
    token = labelf_intercept.issue_token()
    url = "https://api.app.labelf.ai/v2/models/1/inference"
    labelf_intercept.refuse_connections(times=1, host="api.app.labelf.ai")
    labelf_intercept.inference.fail(status=409)
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
        with pytest.raises(httpx.ConnectError):
            http.post(url, json={"texts": ["a"]})
        assert http.post(url, json={"texts": ["a"]}).json()["error_code"] == "MODEL_TRAINING"
        assert http.post("https://api.app.labelf.ai/v2/models/99/inference", json={"texts": ["a"]}).status_code == 404
    assert labelf_intercept.refused_connections == [("api.app.labelf.ai", 443)]
    labelf_intercept.inference.assert_called(times=2)
