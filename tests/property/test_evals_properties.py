"""Every evaluator returns a score in its documented range and never raises, on any text."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaylab.config import RunConfig, SamplingParams
from replaylab.evals import EvalContext, EvalSettings, evaluate, evaluator_names, get_evaluator
from replaylab.evals.text import find_needle, normalise, token_f1
from replaylab.trace import (
    GenerationSpan,
    Golden,
    ModelRuntime,
    PromptSpan,
    RetrievalSpan,
    RetrievedChunk,
    RoutingSpan,
    ToolCall,
    Trace,
    VersionSnapshot,
)

text = st.text(max_size=200)
wordy = st.lists(
    st.sampled_from(
        [
            "12",
            "users",
            "The",
            "plan",
            "$7",
            "I",
            "don't",
            "know",
            "8 hours",
            "Yes,",
            "that's",
            "right",
            "{",
            "}",
            '"answer":',
            ".",
            "\n",
            "1.5",
            "é",
            "—",
        ]
    ),
    max_size=30,
).map(" ".join)
any_text = st.one_of(text, wordy)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


@st.composite
def traces(draw: st.DrawFn) -> Trace:
    n = draw(st.integers(0, 5))
    chunks = [
        RetrievedChunk(
            chunk_id=f"d{i}#0",
            doc_id=draw(st.sampled_from(["d0", "d1", "d9"])),
            title=draw(any_text),
            text=draw(any_text),
            score=0.1,
            source=draw(st.sampled_from(["help-centre", "etl"])),
            ingested_at=draw(dates),
            rank=i + 1,
        )
        for i in range(n)
    ]
    placed = [c.chunk_id for c in chunks if draw(st.booleans())]
    golden = draw(
        st.none()
        | st.builds(
            Golden,
            answer=any_text,
            aliases=st.lists(any_text, max_size=3),
            doc_ids=st.lists(st.sampled_from(["d0", "d1", "d5"]), max_size=2),
            false_premise=st.none() | any_text,
            expected_route=st.none() | st.sampled_from(["rag", "escalate"]),
        )
    )
    requested = draw(st.sampled_from(["sandbox-reader-1.0", "gpt-4o", "openai:x"]))
    returned = draw(st.sampled_from([requested, "sandbox-reader-1.1"]))
    calls = draw(
        st.lists(
            st.builds(
                ToolCall,
                tool=st.sampled_from(["a", "b"]),
                arguments=st.dictionaries(st.sampled_from(["q", "d"]), any_text, max_size=2),
            ),
            max_size=5,
        )
    )
    question = draw(any_text)
    return Trace(
        trace_id="tr-prop",
        created_at=datetime(2026, 4, 1, tzinfo=timezone.utc),
        question=question,
        config=RunConfig(),
        versions=VersionSnapshot(
            ppv="rag-answer@2",
            mrv=ModelRuntime(requested=requested, returned=returned),
            index_snapshot="i",
            embedder="hashing-test",
            corpus_snapshot="c",
        ),
        routing=RoutingSpan(handler=draw(st.sampled_from(["rag", "escalate"])), tool_calls=calls),
        retrieval=draw(
            st.none()
            | st.just(RetrievalSpan(query=question, top_k=n, embedder="hashing-test", index_snapshot="i", chunks=chunks))
        ),
        prompt=PromptSpan(template="rag-answer", version=2, messages=[], context_chunk_ids=placed, context_tokens=0),
        generation=draw(
            st.none()
            | st.builds(
                GenerationSpan,
                model_requested=st.just(requested),
                model_returned=st.just(returned),
                sampling=st.just(SamplingParams()),
                output=any_text,
                prompt_tokens=st.integers(0, 10**6),
                completion_tokens=st.integers(0, 10**5),
                latency_ms=st.just(1.0),
            )
        ),
        golden=golden,
    )


eval_settings = st.builds(
    EvalSettings,
    format_regex=st.none() | st.sampled_from([r"\d+ users", r".*", r"\{.*\}"]),
    format_schema=st.none()
    | st.just({"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string", "pattern": "^[0-9]"}}}),
    recent_after=st.none() | dates,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trace=traces(), cfg=eval_settings)
def test_every_evaluator_scores_in_range_and_never_raises(trace: Trace, cfg: EvalSettings) -> None:
    ctx = EvalContext(trace=trace, golden=trace.golden, settings=cfg)
    for name in evaluator_names():
        ev = get_evaluator(name)
        score = ev.evaluate(ctx)  # raises -> the test fails: evaluators must not crash on any text
        lo, hi = ev.value_range
        assert score.name == name
        assert not math.isnan(score.value) and lo <= score.value <= hi, (name, score)
        assert score.passed in (True, False, None)
        assert score.reason and score.error is None


@settings(max_examples=60, deadline=None)
@given(trace=traces())
def test_report_verdict_is_the_gate(trace: Trace) -> None:
    report = evaluate(trace)
    gate = [s for s in report.scores if s.name in report.gated]
    assert report.passed == all(s.passed for s in gate)
    assert set(report.failed) <= {"correct", "sycophancy", "format"}


@given(a=any_text, b=any_text)
def test_text_helpers_are_total(a: str, b: str) -> None:
    assert 0.0 <= token_f1(a, b) <= 1.0
    assert token_f1(a, b) == token_f1(b, a)
    assert normalise(normalise(a)) == normalise(a)
    if normalise(b):
        assert find_needle(f"{a} {b} {a}", [b]) == b
