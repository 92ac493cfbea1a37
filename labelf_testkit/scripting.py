"""Scripting, in one place: ``labelf_mock.model(2).answer("refund please", {"billing": 0.9})`` and
``labelf_mock.similarity_score(compare="a", base="b", score=0.8)``.

The rules (which script wins, how unnamed labels are scored, what is validated) are those of
:mod:`labelf_testkit.mock_server.scripts`; this module gives them a handle per model (:class:`ModelScript`) and
the handle's scripting methods (:class:`Scripting`, which ``LabelfMock`` is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Unpack

from .mock_server import ModelConfig
from .mock_server.internal import InferenceScript, MatchArgs, RequestMatch, Scripts, SimilarityScript, TextMatcher

__all__ = ["ModelScript", "Scripting"]


class ModelScript:
    """One configured model as this test wants it: scripted scores for chosen texts, archived, training or missing.

    Made by ``labelf_mock.model(model_id)``, which fails at once (listing the configured models) for a model
    the mock does not have.  Everything is undone when the test ends.
    """

    __test__ = False

    def __init__(self, scripts: Scripts, model_id: str | int) -> None:
        self._scripts = scripts
        self.config: ModelConfig = scripts.configured_model(model_id)

    @property
    def model_id(self) -> str:
        """The model's id, as the API path carries it."""
        return self.config.model_id

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's labels: the only names :meth:`answer` accepts."""
        return self.config.labels

    def answer(
        self,
        texts: TextMatcher | Sequence[TextMatcher],
        scores: Mapping[str, float],
        *,
        times: int | None = None,
        **match: Unpack[MatchArgs],
    ) -> InferenceScript:
        """Give ``texts`` (an exact text, a compiled pattern, a predicate, or a list of them) these ``scores``.

        Scores are each in [0, 1] and sum to at most 1; labels not named share what is left equally.  The most
        recent matching script wins; ``times`` limits how many texts it answers; ``match_json=`` and the other
        content criteria limit it to requests that carry them.  A label the model lacks or a score out of range
        is a ``ScriptError`` naming the model and its labels.

        :param texts: which texts: an exact text, a compiled pattern, a predicate, or a list of them.
        :param scores: a score in [0, 1] per label of the model, summing to at most 1.
        :param times: how many texts it answers (``None``: every matching text until the test ends).
        :param match: content criteria of the request (``match_json=``, ``match_headers=``, ``model_id=``, …).
        """
        return self._scripts.answer(self.model_id, texts, scores, match=RequestMatch.from_args(match), times=times)

    def archive(self) -> None:
        """Archive the model for this test: inference answers 400 "Model is archived"; listings say archived."""
        self._scripts.set_status(self.model_id, "archived")

    def train(self) -> None:
        """Put the model in training for this test: inference (single and multi-model) answers 409
        ``MODEL_TRAINING``, as for a model configured with ``status="training"``; listings say ``training``.
        It stays in training until :meth:`restore` or the end of the test."""
        self._scripts.set_status(self.model_id, "training")

    def remove(self) -> None:
        """Remove the model for this test: every call naming it answers 404 and listings leave it out."""
        self._scripts.set_status(self.model_id, "missing")

    def restore(self) -> None:
        """Back to the model as configured (its configured status; scripted answers stay)."""
        self._scripts.set_status(self.model_id, "configured")

    def __repr__(self) -> str:
        return f"<ModelScript {self.model_id!r} ({self.config.name}): {', '.join(self.labels)}>"


class Scripting:
    """The scripting methods of the ``labelf_mock`` handle: per-model answers and states, and similarity."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts

    def model(self, model_id: str | int) -> ModelScript:
        """Script one configured model for this test: ``answer(texts, scores)``, ``archive()``, ``train()``,
        ``remove()``, ``restore()``.

        :param model_id: a configured model's id; any other is a ``ScriptError`` listing the configured ones.
        """
        return ModelScript(self._scripts, model_id)

    def similarity_score(
        self,
        *,
        score: float,
        compare: TextMatcher | None = None,
        base: TextMatcher | None = None,
        compare_id: str | int | None = None,
        base_id: str | int | None = None,
        times: int | None = None,
        **match: Unpack[MatchArgs],
    ) -> SimilarityScript:
        """Script the similarity of (compare, base) pairs; the pair is then ranked among the others and
        ``top_n`` applies.

        :param score: the similarity, in [0, 1].
        :param compare: the compared text: exact, a compiled pattern or a predicate; left out, any text.
        :param base: the base text, picked the same way; left out, any text.
        :param compare_id: the compared text's id, instead of or beside its text.
        :param base_id: the base text's id, instead of or beside its text.
        :param times: how many pairs it scores (``None``: every matching pair until the test ends).
        :param match: content criteria of the request (``match_json=``, ``match_headers=``, …), as faults take.
        """
        return self._scripts.similarity_score(
            score,
            compare=compare,
            base=base,
            compare_id=compare_id,
            base_id=base_id,
            match=RequestMatch.from_args(match),
            times=times,
        )
