"""The comparison rules on hand-made answers: what is compared by value, by shape only, and as a set."""

from __future__ import annotations

import json

from labelf_testkit.mock_server.drift import Answer, compare_answers


def answer(body: object, status: int = 200, **headers: str) -> Answer:
    return Answer(status, {k.replace("_", "-"): v for k, v in headers.items()}, json.dumps(body).encode())


def points(live: Answer, mock: Answer, fixed: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    return {(d.kind, d.location) for d in compare_answers(live, mock, fixed)}


def test_random_values_are_compared_by_shape_only() -> None:
    live = answer({"access_token": "ory_at_a", "request_id": "req_1", "score": 1})
    mock = answer({"access_token": "ory_at_b", "request_id": "req_2", "score": 0.5})
    assert points(live, mock) == set()
    assert points(answer({"access_token": 5}), answer({"access_token": "x"})) == {("type", "$.access_token")}


def test_predictions_compare_labels_as_a_set_whatever_their_order() -> None:
    live = answer([{"text": "t", "predictions": [{"label": "a", "score": 0.9}, {"label": "b", "score": 0.1}]}])
    mock = answer([{"text": "t", "predictions": [{"label": "b", "score": 0.7}, {"label": "a", "score": 0.3}]}])
    assert points(live, mock) == set()
    other = answer([{"text": "t", "predictions": [{"label": "c", "score": 1.0}, {"label": "a", "score": 0.0}]}])
    assert points(live, other) == {("value", "$[*].predictions[*].label")}


def test_array_length_only_where_the_request_fixes_it() -> None:
    live, mock = answer([{"id": "1"}, {"id": "2"}]), answer([{"id": "1"}])
    assert points(live, mock) == set()
    assert points(live, mock, frozenset({"$"})) == {("value", "length($)")}


def test_headers_compare_meaning_not_spelling() -> None:
    live = answer({}, content_type="application/json; charset=utf-8", cache_control="no-store, private")
    mock = answer({}, content_type="application/json;charset=UTF-8", cache_control="private,no-store")
    assert points(live, mock) == set()
    assert points(answer({}, allow="POST"), answer({}, allow="OPTIONS, POST")) == {("header", "allow")}


def test_same_difference_in_every_element_is_one_finding() -> None:
    live = answer([{"text": "a", "extra": 1}, {"text": "b", "extra": 2}])
    mock = answer([{"text": "a"}, {"text": "b"}])
    assert [(d.kind, d.location, d.live) for d in compare_answers(live, mock)] == [("added", "$[*].extra", 1)]


def test_bodies_that_are_not_json() -> None:
    empty = Answer(200, {}, b"")
    text = Answer(404, {}, b"404 page not found\n")
    assert points(text, empty) == {("status", "status"), ("type", "$")}
    assert points(Answer(405, {}, b"Method Not Allowed\n"), Answer(405, {}, b"Not allowed\n")) == {("value", "$")}
