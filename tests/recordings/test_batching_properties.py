"""Batching and sampling, for any sizes: within the documented limits, within the cap, nothing asked twice."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from labelf_testkit.mock_server.drift.record import Plan, inference_batches, similarity_batches
from labelf_testkit.mock_server.drift.staleness import Unit, changes, cost, sample
from labelf_testkit.mock_server.endpoints import MAX_TEXTS_PER_INFERENCE, MAX_TEXTS_PER_SIMILARITY


@given(st.integers(1, 3000))
def test_inference_batches_hold_every_text_once_within_the_limit(n: int) -> None:
    texts = [str(i) for i in range(n)]
    batches = inference_batches(texts)
    assert [t for b in batches for t in b] == texts
    assert all(1 <= len(b) <= MAX_TEXTS_PER_INFERENCE for b in batches)
    assert len(batches) == math.ceil(n / MAX_TEXTS_PER_INFERENCE)


@given(st.integers(1, 600), st.integers(1, 600))
def test_similarity_calls_cover_every_pair_once_within_the_limit(nb: int, nc: int) -> None:
    plan = Plan(base=[f"b{i}" for i in range(nb)], compare=[f"c{i}" for i in range(nc)])
    calls = plan.similarity_calls
    assert all(len(b) + len(c) <= MAX_TEXTS_PER_SIMILARITY for b, c in calls)
    pairs = [(x, y) for b, c in calls for x in c for y in b]
    assert len(pairs) == len(set(pairs)) == nb * nc
    per_base, per_compare = similarity_batches(nb, nc)
    assert len(calls) == math.ceil(nb / per_base) * math.ceil(nc / per_compare)
    best = min(
        math.ceil(nb / b) * math.ceil(nc / min(nc, MAX_TEXTS_PER_SIMILARITY - b))
        for b in range(1, min(nb, MAX_TEXTS_PER_SIMILARITY - 1) + 1)
    )
    assert len(calls) == best


units = st.lists(
    st.one_of(
        st.builds(lambda m, t: Unit(m, t, t), st.sampled_from(["1", "2", "3"]), st.text(max_size=3)),
        st.builds(lambda c, b: Unit(None, (c, b), c, b), st.sampled_from(["x", "y"]), st.text(max_size=3)),
    ),
    max_size=300,
    unique=True,
)


@given(units, st.integers(0, 60), st.none() | st.integers(0, 300), st.integers())
def test_a_sample_fits_the_calls_and_the_limit(
    candidates: list[Unit], calls: int, limit: int | None, seed: int
) -> None:
    chosen = sample(candidates, calls, limit, seed)
    assert cost(chosen) <= calls
    assert limit is None or len(chosen) <= limit
    assert [c for c in candidates if c in chosen] == chosen  # in the recording's order, each once
    assert sample(candidates, calls, limit, seed) == chosen  # one seed, one sample
    if cost(candidates) <= calls and (limit is None or limit >= len(candidates)):
        assert chosen == candidates


predictions = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.floats(0, 1)), min_size=1, max_size=6, unique_by=lambda p: p[0]
).map(tuple)


@given(predictions, st.floats(0, 1))
def test_an_answer_never_differs_from_itself(answer: tuple[tuple[str, float], ...], tolerance: float) -> None:
    assert changes(answer, answer, tolerance) == []


@given(predictions, predictions)
def test_with_no_tolerance_any_difference_is_found(
    was: tuple[tuple[str, float], ...], now: tuple[tuple[str, float], ...]
) -> None:
    assert (changes(was, now, 0.0) == []) == (was == now)
