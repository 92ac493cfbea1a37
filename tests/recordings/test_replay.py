"""Replay: recorded (model, text)s answered as recorded in either generation, everything else as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import (
    ConfigError,
    InProcessTransport,
    MockApp,
    MockConfig,
    ModelConfig,
    RecordingError,
    create_app,
    load_config,
    load_recording,
)

LOVE = [
    {"label": "positive", "score": 0.8125},
    {"label": "neutral", "score": 0.125},
    {"label": "negative", "score": 0.0625},
]


def api_client(app: MockApp) -> httpx.Client:
    state = app.mock
    token = state.issue_token(state.config.clients[0])[0]
    return httpx.Client(
        transport=InProcessTransport(app),
        base_url="https://api.app.labelf.ai/v2",
        headers={"authorization": f"Bearer {token}"},
    )


@pytest.fixture
def app(recording_file: Path) -> MockApp:
    return create_app(MockConfig(recordings=(str(recording_file),)))


@pytest.fixture
def api(app: MockApp) -> Iterator[httpx.Client]:
    with api_client(app) as client:
        yield client


def infer(api: httpx.Client, texts: list[str], model: str = "7", **settings: object) -> httpx.Response:
    return api.post(f"/models/{model}/inference", json={"texts": texts, **settings})


def test_a_recorded_text_gets_the_recorded_predictions_in_the_older_generation(api: httpx.Client) -> None:
    response = infer(api, ["I love it"])
    assert response.status_code == 200, response.text
    assert response.json() == [{"text": "I love it", "predictions": LOVE}]


def test_and_in_the_newer_generation(api: httpx.Client) -> None:
    response = api.post(
        "/models/7/inference",
        json={"texts": ["I love it", "positive? not really"]},
        headers={"labelf-api-generation": "newer"},
    )
    body = response.json()
    assert body["model_id"] == 7
    assert body["predictions"][0] == LOVE
    assert [p["label"] for p in body["predictions"][1]] == ["negative", "neutral", "positive"]
    newer_host = api.post(
        "https://api.labelf.ai/v2/models/7/inference", json={"texts": ["I love it"]}
    ).json()  # the host picks the generation, as for any answer
    assert newer_host["predictions"] == [LOVE]


def test_max_predictions_and_label_filter_apply_as_to_live_answers(api: httpx.Client) -> None:
    assert infer(api, ["I love it"], max_predictions=2).json()[0]["predictions"] == LOVE[:2]
    assert infer(api, ["I love it"], label_filter=["neg", "neu"]).json()[0]["predictions"] == LOVE[1:]
    assert infer(api, ["positive? not really"], label_filter=["pos"], max_predictions=1).json()[0]["predictions"] == [
        {"label": "positive", "score": 0.09}
    ]


def test_a_text_not_recorded_keeps_todays_deterministic_answer(api: httpx.Client, recording_file: Path) -> None:
    plain = create_app(MockConfig(models=(ModelConfig("7", "Sentiment", ("positive", "neutral", "negative")),)))
    with api_client(plain) as without:
        expected = infer(without, ["I hate it", "I love it"]).json()
    got = infer(api, ["I hate it", "I love it"]).json()
    assert got[0] == expected[0]
    assert got[1]["predictions"] == LOVE != expected[1]["predictions"]


def test_the_recordings_models_are_added_to_the_mocks(api: httpx.Client) -> None:
    listed = api.get("/models").json()["models"]
    assert [m["id"] for m in listed] == ["1", "2", "3", "7"]
    assert api.get("/models/7").json()["labels"] == ["positive", "neutral", "negative"]


def test_scripts_planned_in_the_test_take_precedence(app: MockApp, api: httpx.Client) -> None:
    handle = LabelfMock(app, "http://unused")
    handle.model(7).answer("I love it", {"negative": 1.0})
    assert infer(api, ["I love it"]).json()[0]["predictions"][0] == {"label": "negative", "score": 1.0}
    handle.reset()  # the config's recording stays
    assert infer(api, ["I love it"]).json()[0]["predictions"] == LOVE


def test_faults_auth_limits_and_quota_still_apply(app: MockApp, api: httpx.Client) -> None:
    handle = LabelfMock(app, "http://unused")
    handle.inference.fail(status=503, times=1)
    assert infer(api, ["I love it"]).status_code == 503
    assert infer(api, ["I love it"]).status_code == 200
    assert (
        api.post("/models/7/inference", json={"texts": ["I love it"]}, headers={"authorization": ""}).status_code == 401
    )
    too_many = infer(api, ["I love it"] * 9)
    assert (too_many.status_code, too_many.json()["error_code"]) == (400, "TOO_MANY_TEXTS")
    assert infer(api, ["I love it"], model="8").status_code == 404


def test_the_quota_counts_recorded_answers(recording_file: Path) -> None:
    app = create_app(MockConfig(recordings=(str(recording_file),), quota=2))
    with api_client(app) as api:
        assert infer(api, ["I love it", "x"]).status_code == 200
        assert infer(api, ["I love it"]).json()["error_code"] == "QUOTA_EXCEEDED"


def test_multi_model_calls_answer_from_the_recording(api: httpx.Client) -> None:
    body = {"texts": ["I love it"], "model_settings": [{"model_id": 7, "max_predictions": 1}, {"model_id": 1}]}
    (item,) = api.post("/models/inference", json=body).json()
    assert item["models"][0] == {"model_id": "7", "predictions": LOVE[:1]}
    assert item["models"][1]["model_id"] == "1"


def test_recorded_similarities_are_ranked_among_the_others(api: httpx.Client) -> None:
    body = {
        "top_n": 3,
        "base_texts": {"cat": "the cat sat on the mat", "revenue": "quarterly revenue grew", "dog": "a dog barked"},
        "compare_to_texts": {"q": "a cat sat on a mat"},
    }
    with api_client(create_app()) as plain:
        unrecorded = {row["id"]: row["similarity"] for row in plain.post("/similarity", json=body).json()["q"]}
    assert unrecorded["cat"] > 0.5 > unrecorded["dog"]  # so the recording's 0.11 for "cat" reorders the answer
    ranked = api.post("/similarity", json=body).json()["q"]
    assert ranked == [
        {"id": "revenue", "similarity": 0.93},
        {"id": "cat", "similarity": 0.11}
        if unrecorded["dog"] < 0.11
        else {"id": "dog", "similarity": unrecorded["dog"]},
        {"id": "dog", "similarity": unrecorded["dog"]}
        if unrecorded["dog"] < 0.11
        else {"id": "cat", "similarity": 0.11},
    ]
    body["top_n"] = 1
    assert api.post("/similarity", json=body).json() == {"q": [{"id": "revenue", "similarity": 0.93}]}


def test_strict_replay_names_the_nearest_recorded_texts(recording_file: Path) -> None:
    app = create_app(MockConfig(recordings=(str(recording_file),), recording_strict=True))
    with api_client(app) as api:
        assert infer(api, ["I love it"]).status_code == 200
        response = infer(api, ["I love it", "I lvoe it!"])
        assert response.status_code == 400
        body = response.json()
        assert body["error_code"] == "TEXT_NOT_RECORDED"
        assert body["message"].startswith(
            "The text 'I lvoe it!' is not recorded for model '7' and replay is strict. Nearest recorded texts: "
            "'I love it', 'positive? not really'."
        )
        other = infer(api, ["hello"], model="1").json()["message"]
        assert "No recording holds model '1' (recorded models: ['7'])" in other
        similarity = {"top_n": 1, "base_texts": {"b": "the cat sat on the mat"}, "compare_to_texts": {"c": "dog"}}
        refused = api.post("/similarity", json=similarity)
        assert refused.json()["error_code"] == "TEXT_NOT_RECORDED"
        assert "The similarity of 'dog' to 'the cat sat on the mat' is not recorded" in refused.json()["message"]


def test_a_test_adds_a_recording_and_reset_removes_it(recording_file: Path) -> None:
    config = MockConfig(models=(*MockConfig().models, ModelConfig("7", "S", ("negative", "positive", "neutral"))))
    app = create_app(config)
    handle = LabelfMock(app, "http://unused")
    with api_client(app) as api:
        before = infer(api, ["I love it"]).json()
        handle.use_recording(recording_file)
        assert infer(api, ["I love it"]).json()[0]["predictions"] == LOVE
        handle.use_recording(load_recording(recording_file), strict=True)
        assert infer(api, ["not recorded"]).status_code == 400
        handle.reset()
        assert infer(api, ["I love it"]).json() == before
        assert infer(api, ["not recorded"]).status_code == 200


def test_a_test_recording_serves_its_models_until_reset(recording_file: Path) -> None:
    app = create_app()
    handle = LabelfMock(app, "http://unused")
    with api_client(app) as api:
        assert infer(api, ["I love it"]).status_code == 404
        handle.use_recording(recording_file)
        assert [m["id"] for m in api.get("/models").json()["models"]] == ["1", "2", "3", "7"]
        assert infer(api, ["I love it"]).json()[0]["predictions"] == LOVE
        assert handle.model(7).labels == ("positive", "neutral", "negative")
        handle.model(7).archive()
        assert infer(api, ["I love it"]).json()["error_code"] == "MODEL_ARCHIVED"
        handle.use_recording(recording_file)  # again: its models are served once
        handle.reset()
        assert infer(api, ["I love it"]).status_code == 404
        assert [m["id"] for m in api.get("/models").json()["models"]] == ["1", "2", "3"]


def test_a_recording_must_agree_with_the_configured_labels(recording_file: Path) -> None:
    other = MockConfig(models=(ModelConfig("7", "S", ("good", "bad")),))
    message = (
        r"says model '7' has the labels \['positive', 'neutral', 'negative'\], but the mock's config gives it "
        r"\['good', 'bad'\]"
    )
    with pytest.raises(RecordingError, match=message):
        LabelfMock(create_app(other), "http://unused").use_recording(recording_file)
    with pytest.raises(RecordingError, match=message):
        create_app(replace(other, recordings=(str(recording_file),)))


def test_the_config_key_is_relative_to_the_config_file(tmp_path: Path, recording_file: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "recorded").mkdir()
    (folder / "recorded" / "s.toml").write_text(recording_file.read_text(), encoding="utf-8")
    (folder / "mock.toml").write_text('recordings = ["recorded/s.toml"]\nrecording_strict = true\n', encoding="utf-8")
    config = load_config(folder / "mock.toml", env={})
    assert config.recordings == (str(folder / "recorded" / "s.toml"),) and config.recording_strict
    with api_client(create_app(config)) as api:
        assert infer(api, ["I love it"]).json()[0]["predictions"] == LOVE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recordings = [1]", "Config 'recordings' has value [1]. Expected a list of file paths."),
        ("recording_strict = 'yes'", "Config 'recording_strict' has value 'yes'. Expected true or false."),
        ('recordings = "missing.toml"', "cannot be read: No such file or directory."),
    ],
)
def test_bad_recording_settings_are_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "mock.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app(load_config(tmp_path / "mock.toml", env={}))


def test_outside_pytest_a_recording_comes_with_the_config_or_the_handle(recording_file: Path) -> None:
    from labelf_testkit import serve_mock

    with serve_mock(MockConfig(recordings=(str(recording_file),))) as labelf:
        token = labelf.issue_token()
        with httpx.Client(base_url=labelf.api_url, headers={"authorization": f"Bearer {token}"}) as api:
            assert infer(api, ["I love it"]).json()[0]["predictions"] == LOVE
            labelf.reset()
            labelf.use_recording(recording_file, strict=True)
            assert infer(api, ["not recorded"]).json()["error_code"] == "TEXT_NOT_RECORDED"


def test_strict_replay_of_keyed_hashes_cannot_show_nearest_texts(recording_file: Path) -> None:
    from labelf_testkit.mock_server import Recording, TextKey

    plain = load_recording(recording_file)
    key = TextKey.hashed("a-key-for-this-test-only-123456")
    hashed = Recording(
        plain.host,
        plain.taken_at,
        None,
        plain.models,
        {(m, key.of(t)): p for (m, t), p in plain.answers.items()},
        keying=key,
    )
    app = create_app(
        MockConfig(models=(*MockConfig().models, ModelConfig("7", "S", ("positive", "neutral", "negative"))))
    )
    LabelfMock(app, "http://unused").use_recording(hashed, strict=True)
    with api_client(app) as api:
        assert infer(api, ["I love it"]).json()[0]["predictions"] == LOVE
        message = infer(api, ["I love"]).json()["message"]
    assert "Its recordings store texts as keyed hashes, so no nearest text can be shown." in message
    assert "I love it" not in message
