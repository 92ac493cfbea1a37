"""Scripted answers: chosen scores for chosen texts, chosen similarities, models archived, training or missing per test;
everything else stays deterministic and every check of the API still runs first."""

from __future__ import annotations

import re

import httpx
import pytest

from labelf_testkit import LabelfMock, ScriptError

SUPPORT = "2"  # the default "Support topic" model: billing, delivery, product quality, account, other


def classify(api: httpx.Client, texts: list[str], model: str = SUPPORT, **settings: object) -> httpx.Response:
    return api.post(f"/models/{model}/inference", json={"texts": texts, **settings})


def scores(response: httpx.Response) -> list[dict[str, float]]:
    assert response.status_code == 200, response.text
    return [{p["label"]: p["score"] for p in item["predictions"]} for item in response.json()]


def test_named_labels_get_their_scores_and_the_rest_share_what_is_left(
    labelf_mock: LabelfMock, api: httpx.Client
) -> None:
    labelf_mock.model(2).answer("refund please", {"billing": 0.7, "account": 0.1})
    (got,) = scores(classify(api, ["refund please"]))
    assert got == pytest.approx(
        {"billing": 0.7, "account": 0.1, "delivery": 0.2 / 3, "product quality": 0.2 / 3, "other": 0.2 / 3}
    )
    assert next(iter(got)) == "billing"  # still sorted by score


@pytest.mark.parametrize(
    ("model", "given", "share"),
    [
        ("2", {"billing": 0.9}, 0.025),  # float arithmetic: (1 - 0.9) / 4 == 0.024999999999999994
        ("1", {"positive": 0.9}, 0.05),  # (1 - 0.9) / 2 == 0.04999999999999999
        ("1", {"positive": 0.7}, 0.15),  # (1 - 0.7) / 2 == 0.15000000000000002
        ("2", {"billing": 0.7, "account": 0.1}, 0.2 / 3),  # uneven: the float nearest the exact share
        ("3", {"english": 0.7}, 0.1),  # (1 - 0.7) / 3 == 0.10000000000000002
    ],
)
def test_the_share_of_unnamed_labels_equals_the_decimal_a_test_writes(
    labelf_mock: LabelfMock, api: httpx.Client, model: str, given: dict[str, float], share: float
) -> None:
    labelf_mock.model(model).answer("x", given)
    (got,) = scores(classify(api, ["x"], model=model))
    assert {label: score for label, score in got.items() if label not in given} == dict.fromkeys(
        set(got) - set(given), share
    )


def test_every_label_named_is_returned_as_given(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(1).answer("meh", {"positive": 0.2, "neutral": 0.5, "negative": 0.1})
    (got,) = scores(classify(api, ["meh"], model="1"))
    assert got == {"neutral": 0.5, "positive": 0.2, "negative": 0.1}


def test_unscripted_texts_keep_the_deterministic_answer(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    before = classify(api, ["hello there", "refund please"]).json()
    labelf_mock.model(2).answer("refund please", {"billing": 1.0})
    after = classify(api, ["hello there", "refund please"]).json()
    assert after[0] == before[0]
    assert after[1] != before[1]
    labelf_mock.reset()
    assert classify(api, ["hello there", "refund please"]).json() == before


def test_patterns_predicates_and_lists_pick_texts(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    model = labelf_mock.model(2)
    model.answer(re.compile(r"parcel|package"), {"delivery": 0.8})
    model.answer(lambda text: text.isupper(), {"account": 0.6})
    model.answer(["one", "two"], {"other": 0.9})
    got = scores(classify(api, ["where is my parcel", "LOCKED OUT", "two", "three"]))
    assert [max(s, key=s.__getitem__) for s in got[:3]] == ["delivery", "account", "other"]
    assert got[3]["other"] != 0.9


def test_the_latest_matching_script_wins_and_times_limits_it(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    model = labelf_mock.model(2)
    model.answer(re.compile("."), {"other": 0.9})
    model.answer("refund", {"billing": 0.95}, times=1)
    assert scores(classify(api, ["refund", "refund"]))[0]["billing"] == 0.95
    assert scores(classify(api, ["refund"]))[0]["other"] == 0.9  # the one-shot script is spent


def test_max_predictions_and_label_filter_apply_to_scripted_answers(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(2).answer("refund", {"billing": 0.6, "account": 0.3, "delivery": 0.1})
    assert scores(classify(api, ["refund"], max_predictions=2)) == [{"billing": 0.6, "account": 0.3}]
    assert scores(classify(api, ["refund"], label_filter=["deliv", "acc"])) == [{"account": 0.3, "delivery": 0.1}]


def test_multi_model_calls_use_each_models_scripts(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(2).answer("refund", {"billing": 0.9})
    labelf_mock.model(1).answer("refund", {"negative": 0.8})
    body = {
        "texts": ["refund"],
        "model_settings": [{"model_id": 1, "max_predictions": 1}, {"model_id": "2", "max_predictions": 1}],
    }
    (item,) = api.post("/models/inference", json=body).json()
    assert [m["predictions"] for m in item["models"]] == [
        [{"label": "negative", "score": 0.8}],
        [{"label": "billing", "score": 0.9}],
    ]


def test_scripts_can_require_request_content(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(2).answer("refund", {"billing": 0.9}, match_json={"max_predictions": 1})
    assert scores(classify(api, ["refund"], max_predictions=1)) == [{"billing": 0.9}]
    assert scores(classify(api, ["refund"], max_predictions=5))[0].get("billing") != 0.9


@pytest.mark.parametrize(
    ("scripted", "message"),
    [
        (
            {"refunds": 0.5},
            r"Model '2' has no label 'refunds'\. Model '2' \(Support topic\) has the labels: 'billing', ",
        ),
        ({"billing": 1.5}, r"Score of 'billing' on model '2': the score 1\.5 is not a number from 0 to 1"),
        ({"billing": -0.1}, r"the score -0\.1 is not a number from 0 to 1"),
        ({"billing": True}, r"the score True is not a number"),
        ({"billing": 0.7, "other": 0.6}, r"sum to 1\.3; .* has the labels: 'billing', 'delivery', 'product quality'"),
        ({}, r"Give the scores as a dict of label to score\. Model '2' \(Support topic\) has the labels"),
    ],
)
def test_scripts_are_validated_when_made(labelf_mock: LabelfMock, scripted: dict[str, float], message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        labelf_mock.model(2).answer("refund", scripted)


def test_an_unknown_model_is_refused_listing_the_configured_ones(labelf_mock: LabelfMock) -> None:
    with pytest.raises(ScriptError, match=r"No model '9' is configured; the configured models are '1' \(Sentiment\), "):
        labelf_mock.model(9)


def test_texts_must_be_texts_patterns_or_predicates(labelf_mock: LabelfMock) -> None:
    with pytest.raises(ScriptError, match="42 is not a text"):
        labelf_mock.model(2).answer([42], {"billing": 0.5})  # type: ignore[list-item]


def test_archived_and_missing_models_for_one_test(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    model = labelf_mock.model(1)
    model.archive()
    assert classify(api, ["x"], model="1").json()["error_code"] == "MODEL_ARCHIVED"
    assert api.get("/models/1").json()["status"] == "archived"
    model.remove()
    assert classify(api, ["x"], model="1").status_code == 404
    assert api.get("/models/1").status_code == 404
    assert "1" not in [m["id"] for m in api.get("/models").json()["models"]]
    multi = api.post("/models/inference", json={"texts": ["x"], "model_settings": [{"model_id": 1}]})
    assert multi.status_code == 404
    model.restore()
    assert classify(api, ["x"], model="1").status_code == 200
    model.archive()
    labelf_mock.reset()
    assert classify(api, ["x"], model="1").status_code == 200


def test_a_model_put_in_training_answers_as_a_configured_training_model(
    labelf_mock: LabelfMock, api: httpx.Client
) -> None:
    labelf_mock.model(1).train()
    refused = classify(api, ["x"], model="1")
    multi = api.post("/models/inference", json={"texts": ["x"], "model_settings": [{"model_id": 1}]})
    for answer in (refused, multi):
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert (body["status"], body["error_code"]) == (409, "MODEL_TRAINING")
        assert set(body) == {"status", "message", "error_code", "request_id"}
    assert api.get("/models/1").json()["status"] == "training"
    assert {m["id"]: m["status"] for m in api.get("/models").json()["models"]}["1"] == "training"
    assert classify(api, ["x"], model="2").status_code == 200  # only that model
    labelf_mock.model(1).restore()
    assert classify(api, ["x"], model="1").status_code == 200
    assert api.get("/models/1").json()["status"] == "ready"
    labelf_mock.model(1).train()
    labelf_mock.reset()
    assert classify(api, ["x"], model="1").status_code == 200


def test_a_fault_with_409_on_inference_reads_as_a_model_in_training(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(1).train()
    training = classify(api, ["x"], model="1").json()
    labelf_mock.model(1).restore()
    labelf_mock.inference.fail(status=409)
    faulted = classify(api, ["x"], model="1").json()
    assert (faulted["status"], faulted["error_code"]) == (training["status"], training["error_code"])


def test_a_planned_fault_beats_a_scripted_answer(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(2).answer("refund", {"billing": 0.9})
    labelf_mock.inference.rate_limit(retry_after=3)
    first = classify(api, ["refund"])
    assert (first.status_code, first.headers["retry-after"]) == (429, "3")
    assert scores(classify(api, ["refund"]))[0]["billing"] == 0.9


def test_auth_validation_and_limits_run_before_scripts(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.model(2).answer(re.compile("."), {"billing": 0.9})
    assert httpx.post(f"{labelf_mock.api_url}/models/2/inference", json={"texts": ["a"]}).status_code == 401
    assert classify(api, ["a"] * 9).json()["error_code"] == "TOO_MANY_TEXTS"
    assert classify(api, ["a" * 10_001]).json()["error_code"] == "TEXT_TOO_LONG"
    assert api.post("/models/2/inference", json={"text": ["a"]}).json()["error_code"] == "MISSING_REQUIRED_FIELD"
    labelf_mock.model(2).archive()
    assert classify(api, ["a"]).json()["error_code"] == "MODEL_ARCHIVED"


def similar(api: httpx.Client, top_n: int = 3) -> dict[str, list[dict[str, object]]]:
    body = {
        "top_n": top_n,
        "base_texts": {"faq-delivery": "Delivery times", "faq-billing": "Invoices and refunds", "faq-x": "hello"},
        "compare_to_texts": {"q1": "where is my parcel", "q2": "hello"},
    }
    response = api.post("/similarity", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, list[dict[str, object]]] = response.json()
    return result


def test_scripted_similarities_are_ranked_among_the_others(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    before = similar(api)
    labelf_mock.similarity_score(compare="where is my parcel", base="Delivery times", score=0.93)
    labelf_mock.similarity_score(compare_id="q2", base_id="faq-x", score=0.0)
    after = similar(api)
    assert after["q1"][0] == {"id": "faq-delivery", "similarity": 0.93}
    assert before["q2"][0] == {"id": "faq-x", "similarity": 1.0}  # identical texts, deterministically
    assert after["q2"][-1] == {"id": "faq-x", "similarity": 0.0}  # ties rank by id
    assert similar(api, top_n=1)["q2"] == [after["q2"][0]]  # top_n cuts after ranking


def test_a_similarity_side_left_out_matches_any_text(labelf_mock: LabelfMock, api: httpx.Client) -> None:
    labelf_mock.similarity_score(compare=re.compile("parcel"), score=0.5)
    assert {row["similarity"] for row in similar(api)["q1"]} == {0.5}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"score": 0.5}, "name the pair with compare=/base="),
        ({"score": 2, "compare": "a"}, "the score 2 is not a number from 0 to 1"),
        ({"score": 0.5, "compare": 3}, "3 is not a text"),
    ],
)
def test_similarity_scripts_are_validated(labelf_mock: LabelfMock, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        labelf_mock.similarity_score(**kwargs)  # type: ignore[arg-type]
