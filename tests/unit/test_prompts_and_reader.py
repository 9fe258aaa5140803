"""Prompt versions and labels; the sandbox reader's documented knobs."""

from __future__ import annotations

from datetime import date

import pytest

from replaylab.config import SamplingParams
from replaylab.errors import ConfigError
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.stack.prompts import PromptRegistry
from replaylab.trace import ChatMessage


def test_versions_are_immutable_and_labels_move(workspace):
    reg = PromptRegistry(workspace)
    before = reg.resolve("rag-answer@4")
    new = reg.create(template="rag-answer", system="s", user="{context} {question}")
    assert new.version == 6
    assert reg.resolve("rag-answer@4") == before
    move = reg.move_label(template="rag-answer", label="production", version=6)
    assert move.previous == 4
    assert reg.resolve("rag-answer:production").version == 6
    reg.move_label(template="rag-answer", label="production", version=4)
    assert reg.resolve("rag-answer:production").version == 4
    assert reg.label_as_of("rag-answer", "production", date(2026, 8, 1)) == 3


def test_bad_prompt_refs_are_clear(workspace):
    reg = PromptRegistry(workspace)
    with pytest.raises(ConfigError, match="does not exist"):
        reg.resolve("rag-answer@99")
    with pytest.raises(ConfigError, match="template@version"):
        reg.resolve("rag-answer")
    with pytest.raises(ConfigError, match=r"\{context\}"):
        reg.create(template="rag-answer", system="s", user="no placeholders")


def _request(context: list[str], question: str, *, system: str = "", extra: str = "", **sampling: float) -> GenerationRequest:
    passages = "\n".join(f"[{i}] (src, ingested 2026-01-01) T: {c}" for i, c in enumerate(context, 1))
    user = f"Context:\n{passages}\n\nQuestion: {question}\n{extra}\nAnswer:"
    return GenerationRequest(
        model="m",
        messages=[ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)],
        sampling=SamplingParams(**sampling),
    )


FILLER = [f"Widget {i} ships in colour {i} with gadget trim." for i in range(9)]
ANSWER = "The Falcon export job runs every 42 minutes on the Falcon export cluster."
Q = "How often does the Falcon export job run on the export cluster?"


def test_reader_answers_from_context_deterministically():
    req = _request([*FILLER[:2], ANSWER], Q)
    out = get_generator("sandbox-reader-1.0").generate(req)
    assert "42 minutes" in out.output
    assert out == get_generator("sandbox-reader-1.0").generate(req)


def test_lost_in_the_middle_reader_misses_the_buried_chunk():
    distractor = "The Falcon cluster runs the nightly job."
    context = [distractor, *FILLER[:4], ANSWER, *FILLER[4:8]]
    assert "42 minutes" in get_generator("sandbox-reader-1.0").generate(_request(context, Q)).output
    assert "42 minutes" not in get_generator("sandbox-reader-1.1").generate(_request(context, Q)).output
    first = [ANSWER, distractor, *FILLER[:8]]
    assert "42 minutes" in get_generator("sandbox-reader-1.1").generate(_request(first, Q)).output


def test_grounded_prompt_refuses_without_support():
    system = 'Answer using only the context. If the context does not contain the answer, say "I don\'t know".'
    out = get_generator("sandbox-reader-1.0").generate(_request(FILLER[:3], Q, system=system))
    assert out.output == "I don't know."


def test_withhold_instruction_wins_under_latest_policy():
    system = 'Answer using only the context. If the context does not contain the answer, say "I don\'t know".'
    extra = "Policy: do not repeat specific numbers from the documents."
    out = get_generator("sandbox-reader-1.0").generate(_request([ANSWER], Q, system=system, extra=extra))
    assert "42" not in out.output


def test_sycophantic_version_agrees_with_false_premise():
    q = "Since the Falcon export job runs every 90 minutes, how do I pause it?"
    assert "90 minutes" in get_generator("sandbox-reader-1.1").generate(_request([ANSWER], q)).output
    assert "90 minutes" not in get_generator("sandbox-reader-1.0").generate(_request([ANSWER], q)).output


def test_temperature_samples_differently_across_seeds_but_repeatably():
    context = [ANSWER, "The Falcon export cluster job runs in region eu-2.", "Export job logs for Falcon are kept."]
    outs = {get_generator("sandbox-reader-1.0").generate(_request(context, Q, temperature=3.0, seed=s)).output for s in range(12)}
    assert len(outs) > 1
    a = get_generator("sandbox-reader-1.0").generate(_request(context, Q, temperature=3.0, seed=5))
    b = get_generator("sandbox-reader-1.0").generate(_request(context, Q, temperature=3.0, seed=5))
    assert a == b


def test_small_window_cuts_tail_passages():
    long_filler = [" ".join(["filler words about nothing in particular"] * 12) for _ in range(6)]
    out = get_generator("sandbox-reader-mini").generate(_request([*long_filler, ANSWER], Q))
    assert "42 minutes" not in out.output
    assert "42 minutes" in get_generator("sandbox-reader-1.0").generate(_request([*long_filler, ANSWER], Q)).output


def test_delete_label_removes_only_that_label(workspace):
    reg = PromptRegistry(workspace)
    reg.move_label(template="rag-answer", label="canary", version=5)
    assert reg.delete_label(template="rag-answer", label="canary") == 5
    assert reg.labels() == {"rag-answer": {"production": 4}}
    assert reg.delete_label(template="rag-answer", label="canary") is None


def test_position_weight_reads_a_measured_profile_or_falls_back_to_the_u_prior() -> None:
    from _stand_ins import recency_reader

    from replaylab.faults.generation import HIGH, LOW
    from replaylab.models.base import GenerationResult, Generator
    from replaylab.models.llama import Gemma270M  # the class only: no weights are loaded

    class Unmeasured(Generator):
        id = "test-unmeasured"

        def generate(self, request: GenerationRequest) -> GenerationResult:
            raise NotImplementedError

    class MeasuredLikeGemma(Unmeasured):
        position_profile = Gemma270M.position_profile

    u, g = Unmeasured(), MeasuredLikeGemma()
    assert u.position_weight(0, 1) == g.position_weight(0, 1) == 1.0
    assert u.position_weight(0, 21) == u.position_weight(20, 21) == 1.0 and u.position_weight(10, 21) == 0.5
    # Gemma: only the last place is read (>= HIGH); first and middle are predicted lost (<= LOW)
    assert g.position_weight(19, 20) == 1.0 >= HIGH
    assert g.position_weight(0, 20) == pytest.approx(0.33) and g.position_weight(10, 20) <= LOW
    assert g.position_weight(14, 20) == pytest.approx(0.5, abs=0.01)
    recency = get_generator(recency_reader())
    assert recency.position_weight(0, 5) == pytest.approx(0.25) and recency.position_weight(4, 5) == 1.0
    assert get_generator("sandbox-reader-1.1").position_weight(2, 5) == pytest.approx(0.25)
