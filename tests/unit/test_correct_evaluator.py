"""The `correct` evaluator on hand-made cases from a world replaylab did not write (a
municipal library's loan rules): numbers are whole tokens, ISO dates are dates, and the
two near misses - a number found only inside a date, the right text from the wrong
document - fail with their own reason."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from replaylab.config import RunConfig, SamplingParams
from replaylab.evals import EvalContext, EvalSettings, get_evaluator
from replaylab.evals.base import Score
from replaylab.evals.text import answer_tokens, find_answer, find_dates
from replaylab.trace import (
    GenerationSpan,
    Golden,
    ModelRuntime,
    PromptSpan,
    RetrievalSpan,
    RetrievedChunk,
    Trace,
    VersionSnapshot,
)

LOANS = "Books may be borrowed for 21 days and renewed twice, unless another reader has reserved them."
FINES = "Overdue DVDs cost 21 cents a day; the fine stops after 14 days."
CLOSURE = "The branch reopens on 2026-03-21 after the roof repairs."


def chunk(cid: str, text: str, rank: int = 1) -> RetrievedChunk:
    return RetrievedChunk(
        chunk_id=cid,
        doc_id=cid.split("#")[0],
        title="",
        text=text,
        score=0.5,
        source="library-site",
        ingested_at=date(2026, 1, 5),
        rank=rank,
    )


def correct(output: str, golden: Golden, chunks: list[RetrievedChunk] | None = None) -> Score:
    chunks = chunks or []
    trace = Trace(
        trace_id="tr-lib",
        created_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
        question="How long can I borrow a book?",
        config=RunConfig(),
        versions=VersionSnapshot(
            ppv="loans@1",
            mrv=ModelRuntime(requested="m", returned="m"),
            index_snapshot="idx-lib",
            embedder="hashing-test",
            corpus_snapshot="lib",
        ),
        retrieval=RetrievalSpan(query="q", top_k=len(chunks), embedder="hashing-test", index_snapshot="idx-lib", chunks=chunks),
        prompt=PromptSpan(
            template="loans", version=1, messages=[], context_chunk_ids=[c.chunk_id for c in chunks], context_tokens=0
        ),
        generation=GenerationSpan(
            model_requested="m",
            model_returned="m",
            sampling=SamplingParams(),
            output=output,
            prompt_tokens=1,
            completion_tokens=1,
            latency_ms=1.0,
        ),
        golden=golden,
    )
    return get_evaluator("correct").evaluate(EvalContext(trace=trace, golden=golden, settings=EvalSettings()))


BORROW = Golden(qid="l1", answer="21 days", aliases=["21"], doc_ids=["loans"])


def test_a_number_only_inside_an_iso_date_is_a_near_miss_not_a_pass() -> None:
    s = correct("You can visit again from 2026-03-21.", BORROW, [chunk("closure#0", CLOSURE)])
    assert s.passed is False and s.value == 0.0
    assert s.details["near_miss"] == "number_in_date"
    assert "'21' appears in it only inside a date (2026-03-21)" in s.reason


def test_the_same_number_as_a_whole_token_passes() -> None:
    s = correct("Books can be borrowed for 21 days.", BORROW, [chunk("loans#0", LOANS)])
    assert s.passed is True and s.value == 1.0 and "near_miss" not in s.details


@pytest.mark.parametrize(
    "output",
    [
        "It reopens on 2026-03-21.",
        "It reopens on 21 March 2026.",
        "It reopens on March 21, 2026.",
        "Reopening: 2026-03-21T09:00:00Z.",
    ],
)
def test_a_date_answer_matches_the_same_date_written_any_way(output: str) -> None:
    golden = Golden(qid="l2", answer="2026-03-21", aliases=[], doc_ids=["closure"])
    assert correct(output, golden, [chunk("closure#0", CLOSURE)]).passed is True


def test_a_different_date_does_not_match_even_when_its_digits_overlap() -> None:
    golden = Golden(qid="l2", answer="2026-03-21", aliases=["21 March 2026"], doc_ids=["closure"])
    s = correct("It reopens on 2026-03-12, maybe 21 days later.", golden, [chunk("closure#0", CLOSURE)])
    assert s.passed is False and "near_miss" not in s.details


def test_the_right_text_from_the_wrong_document_is_a_near_miss() -> None:
    # the loans page is not in the context; the output's "21" comes from the DVD fines page
    s = correct("It is 21.", BORROW, [chunk("fines#0", FINES)])
    assert s.passed is False and s.value == 0.0
    assert s.details["near_miss"] == "wrong_document"
    assert "only fines states it, not the golden document (loans)" in s.reason


def test_the_golden_document_in_the_context_clears_the_wrong_document_check() -> None:
    s = correct("It is 21 days.", BORROW, [chunk("fines#0", FINES), chunk("loans#0", LOANS, rank=2)])
    assert s.passed is True


def test_an_answer_the_context_does_not_state_is_not_blamed_on_a_document() -> None:
    s = correct("About 21 days, I believe.", BORROW, [chunk("closure#1", "The reading room has 40 seats.")])
    assert s.passed is True


def test_dates_are_single_tokens_and_impossible_dates_stay_numbers() -> None:
    assert answer_tokens("due 2026-03-21") == ["due", "date20260321"]
    assert answer_tokens("code 2026-13-45") == ["code", "2026", "13", "45"]
    assert [d for _, _, d in find_dates("21st of March 2026 or Mar. 22, 2026")] == [date(2026, 3, 21), date(2026, 3, 22)]
    assert find_answer("renew by 2026-03-21", ["21"]) is None and find_answer("renew within 21 days", ["21"]) == "21"
