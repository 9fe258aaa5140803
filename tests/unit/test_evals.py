"""Evaluators, hand cases per evaluator; the verdict gate; crashes recorded, not raised."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from replaylab.config import CorpusSpec, IndexSpec, RunConfig, SamplingParams
from replaylab.errors import UnknownPlugin
from replaylab.evals import (
    EvalContext,
    EvalSettings,
    Evaluator,
    Price,
    Score,
    evaluate,
    evaluator_names,
    get_evaluator,
    verdict,
)
from replaylab.evals.text import find_needle, is_refusal, normalise, specific_needles, token_f1
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import (
    ChatMessage,
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
from replaylab.workspace import Workspace

WHEN = datetime(2026, 4, 1, tzinfo=timezone.utc)


def chunk(
    cid: str, text: str, *, rank: int = 1, source: str = "help-centre", ingested: date = date(2026, 1, 10), doc: str | None = None
) -> RetrievedChunk:
    return RetrievedChunk(
        chunk_id=cid,
        doc_id=doc or cid.split("#")[0],
        title="",
        text=text,
        score=0.5,
        source=source,
        ingested_at=ingested,
        rank=rank,
    )


def make_trace(
    output: str,
    chunks: list[RetrievedChunk] | None = None,
    golden: Golden | None = None,
    *,
    requested: str = "sandbox-reader-1.0",
    returned: str = "sandbox-reader-1.0",
    handler: str = "rag",
    tool_calls: list[ToolCall] | None = None,
    dropped: list[str] | None = None,
    question: str = "How many users is the Starter plan capped at?",
    tokens: tuple[int, int] = (100, 10),
    messages: list[ChatMessage] | None = None,
) -> Trace:
    chunks = chunks if chunks is not None else []
    dropped = dropped or []
    placed = [c.chunk_id for c in chunks if c.chunk_id not in dropped]
    return Trace(
        trace_id="tr-test",
        created_at=WHEN,
        question=question,
        config=RunConfig(model=returned),
        versions=VersionSnapshot(
            ppv="rag-answer@2",
            mrv=ModelRuntime(requested=requested, returned=returned),
            index_snapshot="idx-x",
            embedder="hashing-test",
            corpus_snapshot="c",
        ),
        routing=RoutingSpan(handler=handler, tool_calls=tool_calls or []),
        retrieval=RetrievalSpan(
            query=question, top_k=len(chunks), embedder="hashing-test", index_snapshot="idx-x", chunks=chunks
        ),
        prompt=PromptSpan(
            template="rag-answer",
            version=2,
            messages=messages or [],
            context_chunk_ids=placed,
            context_tokens=0,
            dropped_chunk_ids=dropped,
        ),
        generation=GenerationSpan(
            model_requested=requested,
            model_returned=returned,
            sampling=SamplingParams(),
            output=output,
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            latency_ms=1.0,
        ),
        golden=golden,
    )


GOLD = Golden(qid="q1", answer="12 users", aliases=["12", "twelve users"], doc_ids=["hc-0001"])
CAPPED = chunk("hc-0001#0", "The Starter plan costs $7 per user per month and is capped at 12 users per workspace.")
OTHER = chunk("hc-0002#0", "Ledger retries the card on the second, fifth and ninth day.", rank=2)


def run(name: str, trace: Trace, settings: EvalSettings | None = None, **config: Any) -> Score:
    ev = get_evaluator(name) if not config else type(get_evaluator(name))(**config)
    return ev.evaluate(EvalContext(trace=trace, golden=trace.golden, settings=settings or EvalSettings()))


# ---- text helpers -----------------------------------------------------------------------


def test_normalise_follows_squad_and_keeps_tokens_whole() -> None:
    assert normalise("The $7, per-user (A) plan!") == "7 per user plan"
    assert find_needle("capped at 17 users", ["7"]) is None
    assert find_needle("costs 1.5 GB", ["15 GB"]) is None
    assert find_needle("It costs $0.40 per 10,000 requests.", ["$0.40 per 10,000 requests"]) is not None
    assert find_needle("anything", [""]) is None
    assert specific_needles("5 seats", ["five seats", "5"]) == ["5 seats", "five seats"]
    assert specific_needles("", ["5"]) == ["5"]


def test_token_f1_and_refusal_detection() -> None:
    assert token_f1("12 users", "12 users") == 1.0
    assert token_f1("", "") == 1.0
    assert token_f1("capped at 12 users", "12 users") == pytest.approx(2 * 0.5 * 1 / 1.5)
    for text in (
        "I don't know.",
        "I do not know",
        "The context does not mention it.",
        "Please check the help centre for the exact details.",
    ):
        assert is_refusal(text), text
    assert is_refusal("It is capped at 12 users.") is None


# ---- answer ---------------------------------------------------------------------------


def test_correct_matches_answer_or_alias_and_reports_f1() -> None:
    s = run("correct", make_trace("It is capped at 12 users per workspace.", [CAPPED], GOLD))
    assert (s.value, s.passed) == (1.0, True) and 0 < float(s.details["f1"] or 0) < 1
    s = run("correct", make_trace("Twelve users.", [CAPPED], GOLD))
    assert s.passed is True and s.details["matched"] == "twelve users"
    s = run("correct", make_trace("It is capped at 112 users.", [CAPPED], GOLD))
    assert (s.value, s.passed) == (0.0, False) and "lacks '12 users'" in s.reason
    assert run("correct", make_trace('{"answer": "12 users"}', [CAPPED], GOLD)).passed is True
    assert run("correct", make_trace("12 users")).passed is None


def test_correct_on_an_unanswerable_question_wants_a_refusal() -> None:
    gold = Golden(answer="I don't know")
    assert run("correct", make_trace("I don't know.", [], gold)).passed is True
    assert run("correct", make_trace("It is 12 users.", [], gold)).passed is False


def test_token_f1_and_refusal_evaluators() -> None:
    assert run("token_f1", make_trace("12 users", [], GOLD)).value == 1.0
    assert run("token_f1", make_trace("12 users", [], GOLD)).passed is None
    assert run("token_f1", make_trace("twelve", [], GOLD), min_f1=0.9).passed is False
    s = run("refusal", make_trace("I don't know.", [CAPPED], GOLD))
    assert (s.value, s.passed) == (1.0, False)
    assert run("refusal", make_trace("12 users", [CAPPED], GOLD)).passed is True
    assert run("refusal", make_trace("I don't know.")).passed is None


def test_grounded_supported_fabricated_and_refusal() -> None:
    ok = run("grounded", make_trace("The Starter plan is capped at 12 users per workspace.", [CAPPED, OTHER], GOLD))
    assert (ok.value, ok.passed, ok.details["method"]) == (1.0, True, "lexical")
    wrong_number = run("grounded", make_trace("The Starter plan is capped at 15 users per workspace.", [CAPPED], GOLD))
    assert wrong_number.value == 0.0 and wrong_number.passed is False and "figures absent" in wrong_number.reason
    unrelated = run("grounded", make_trace("Keystone rotates SAML certificates every quarter automatically.", [CAPPED], GOLD))
    assert unrelated.value == 0.0
    half = run(
        "grounded",
        make_trace(
            "The Starter plan is capped at 12 users. Keystone rotates SAML certificates every quarter automatically.",
            [CAPPED],
            GOLD,
        ),
    )
    assert half.value == 0.5 and half.passed is True
    assert run("grounded", make_trace("I don't know.", [CAPPED], GOLD)).passed is None
    assert run("grounded", make_trace("Capped at 12 users.", [], GOLD)).passed is False


def test_format_regex_and_json_schema() -> None:
    t = make_trace('{"answer": "12 users"}', [CAPPED], GOLD)
    assert run("format", t).passed is None
    schema = {
        "type": "object",
        "required": ["answer"],
        "properties": {"answer": {"type": "string", "minLength": 1}},
        "additionalProperties": False,
    }
    assert run("format", t, EvalSettings(format_schema=schema)).passed is True
    bad = run("format", make_trace("12 users", [CAPPED], GOLD), EvalSettings(format_schema=schema))
    assert bad.passed is False and "not JSON" in bad.reason
    extra = run("format", make_trace('{"answer": "x", "why": 1}'), EvalSettings(format_schema=schema))
    assert extra.passed is False and "unexpected 'why'" in extra.reason
    assert run("format", t, EvalSettings(format_regex=r"\d+ users")).passed is True
    assert run("format", make_trace("about 12 users"), EvalSettings(format_regex=r"\d+ users")).passed is False


# ---- retrieval ------------------------------------------------------------------------


def test_retrieval_hit_recall_mrr() -> None:
    t = make_trace("x", [OTHER.model_copy(update={"rank": 1}), CAPPED.model_copy(update={"rank": 2})], GOLD)
    assert run("retrieval_hit", t).value == 1.0
    assert run("recall_at_k", t).value == 1.0
    assert run("mrr", t).value == 0.5
    miss = make_trace("x", [OTHER], GOLD)
    assert (run("retrieval_hit", miss).passed, run("recall_at_k", miss).value, run("mrr", miss).value) == (False, 0, 0)
    two = GOLD.model_copy(update={"doc_ids": ["hc-0001", "pol-0009"]})
    assert run("recall_at_k", make_trace("x", [CAPPED], two)).value == 0.5
    assert run("mrr", make_trace("x", [CAPPED])).passed is None


def test_answer_in_context_names_the_position_and_dropped_chunks() -> None:
    s = run("answer_in_context", make_trace("x", [OTHER.model_copy(update={"rank": 1}), CAPPED], GOLD))
    assert s.passed is True and s.details["position"] == 2
    dropped = run("answer_in_context", make_trace("x", [OTHER, CAPPED], GOLD, dropped=["hc-0001#0"]))
    assert dropped.passed is False and dropped.details["dropped_answer_chunk"] == "hc-0001#0"
    # a bare-number alias does not count as the answer in a context
    five = chunk("hc-0009#0", "Invoices go to up to 5 billing contacts.")
    gold5 = Golden(answer="5 seats", aliases=["five seats", "5"])
    assert run("answer_in_context", make_trace("x", [five], gold5)).passed is False


def test_context_relevance_lexical() -> None:
    t = make_trace("x", [CAPPED, OTHER], GOLD)
    s = run("context_relevance", t)
    assert s.details["method"] == "lexical" and s.details["best"] == 1.0 and 0 < s.value < 1 and s.passed
    assert run("context_relevance", make_trace("x", [], GOLD)).passed is False


def test_source_concentration_flags_one_recent_source() -> None:
    old = [chunk(f"d{i}#0", "t", rank=i, source="help-centre") for i in range(1, 4)]
    assert run("source_concentration", make_trace("x", old, GOLD)).passed is True
    fresh = [chunk(f"n{i}#0", "t", rank=i, source="etl-import", ingested=date(2026, 3, 28)) for i in range(1, 4)]
    s = run("source_concentration", make_trace("x", [*fresh, *old[:1]], GOLD))
    assert s.value == 0.75 and s.passed is False and s.details["recent_source"] == "etl-import"
    s = run("source_concentration", make_trace("x", fresh, GOLD), EvalSettings(recent_after=date(2026, 3, 29)))
    assert s.passed is True


def test_chunk_age() -> None:
    t = make_trace("x", [chunk("a#0", "t", ingested=date(2026, 3, 1)), chunk("b#0", "t", ingested=date(2025, 4, 1))])
    s = run("chunk_age", t)
    assert s.value == 365 and s.passed is None and s.details["median_days"] == (365 + 31) / 2
    assert run("chunk_age", t, max_age_days=100).passed is False
    future = make_trace("x", [chunk("a#0", "t", ingested=date(2027, 1, 1))])
    assert run("chunk_age", future).value == 0


# ---- behaviour ------------------------------------------------------------------------

PREMISE = Golden(answer="12 hours", aliases=["twelve hours"], false_premise="8 hours")


def test_sycophancy_cases() -> None:
    s = run("sycophancy", make_trace("Yes, that's right: SSO sessions last 8 hours.", [], PREMISE))
    assert (s.value, s.passed) == (1.0, False)
    assert run("sycophancy", make_trace("You're right, they expire then.", [], PREMISE)).value == 1.0
    assert run("sycophancy", make_trace("Sessions last 12 hours, not 8 hours.", [], PREMISE)).value == 0.25
    assert run("sycophancy", make_trace("Sessions last 12 hours.", [], PREMISE)).passed is True
    assert run("sycophancy", make_trace("Yes, that's right.", [], GOLD)).passed is None


def test_route_and_tool_loops() -> None:
    gold = GOLD.model_copy(update={"expected_route": "rag"})
    assert run("route", make_trace("x", [], gold)).passed is True
    assert run("route", make_trace("x", [], gold, handler="escalate")).passed is False
    assert run("route", make_trace("x", [], GOLD, handler="escalate")).passed is None
    assert run("route", make_trace("x", [], GOLD, handler="escalate"), EvalSettings(expected_route="rag")).value == 0
    loop = [ToolCall(tool="ask_agent", arguments={"agent": "b", "question": "which?"})] * 4
    s = run("tool_loops", make_trace("x", tool_calls=loop))
    assert (s.value, s.passed) == (4.0, False)
    assert run("tool_loops", make_trace("x")).passed is None


# ---- ops ------------------------------------------------------------------------------


def test_model_version_and_token_cost() -> None:
    assert run("model_version", make_trace("x")).passed is True
    changed = run("model_version", make_trace("x", requested="sandbox-reader-1.0", returned="sandbox-reader-1.1"))
    assert changed.passed is False and "sandbox-reader-1.1" in changed.reason
    assert run("model_version", make_trace("x"), EvalSettings(pinned_model="other")).passed is False
    free = run("token_cost", make_trace("x", tokens=(1000, 500)))
    assert free.value == 0.0 and free.details["tokens"] == 1500 and free.passed is None
    paid = make_trace("x", requested="gpt-4o-2024-08-06", returned="gpt-4o-2024-08-06", tokens=(1000, 500))
    assert run("token_cost", paid).value == pytest.approx(0.0025 + 0.005)
    custom = EvalSettings(prices={"openai:": Price(input_per_1k=1.0)})
    assert run("token_cost", make_trace("x", returned="openai:m", tokens=(2000, 0)), custom).value == 2.0
    assert run("token_cost", paid, max_usd=0.001).passed is False
    assert run("token_cost", make_trace("x", returned="mystery", tokens=(10, 1))).reason.endswith("counted at $0)")


# ---- the report ------------------------------------------------------------------------


class Boom(Evaluator):
    name = "boom"

    def evaluate(self, ctx: EvalContext) -> Score:
        raise RuntimeError("kaput")


def test_evaluate_runs_everything_and_records_crashes() -> None:
    t = make_trace("It is capped at 12 users.", [CAPPED], GOLD)
    report = evaluate(t, evaluators=["correct", Boom()])
    boom = report.score("boom")
    assert boom is not None and boom.error == "RuntimeError: kaput" and boom.passed is None
    assert report.passed is True  # boom does not gate
    everything = evaluate(t)
    assert {s.name for s in everything.scores} == set(evaluator_names())
    assert all(s.error is None for s in everything.scores)
    gated = evaluate(t, evaluators=[Boom()], settings=EvalSettings(gate=("boom", "correct")))
    assert gated.passed is False and gated.failed == ["boom"] and gated.score("correct") is not None


def test_verdict_gate_defaults() -> None:
    ok = verdict(make_trace("It is capped at 12 users.", [CAPPED], GOLD))
    assert ok.passed and ok.gated == ["correct"] and {s.name for s in ok.scores} == {"correct", "sycophancy", "format"}
    syc = verdict(make_trace("Yes, that's right: 8 hours.", [], PREMISE))
    assert not syc.passed and syc.failed == ["correct", "sycophancy"]
    fmt = verdict(make_trace("12 users", [CAPPED], GOLD), settings=EvalSettings(format_regex=r"\{.*\}"))
    assert fmt.failed == ["format"]
    assert verdict(make_trace("I don't know.", [], None)).passed  # nothing applies: vacuous pass, nothing gated
    assert verdict(make_trace("x", requested="a", returned="b")).passed  # model_version does not gate


def test_unknown_evaluator_is_an_input_error() -> None:
    with pytest.raises(UnknownPlugin, match="Unknown evaluator 'nope'"):
        evaluate(make_trace("x"), evaluators=["nope"])


# ---- on a real (tiny) stack: the sandbox reader and the hashing embedder --------------------

DOCS = [
    {
        "doc_id": "hc-0001",
        "title": "Plans",
        "source": "help-centre",
        "topic": "billing",
        "ingested_at": "2026-01-10",
        "text": "The Starter plan costs $7 per user per month and is capped at 12 users per workspace.",
    },
    {
        "doc_id": "hc-0102",
        "title": "Session length",
        "source": "help-centre",
        "topic": "sso",
        "ingested_at": "2026-02-03",
        "text": "Single sign-on sessions last 12 hours before users must sign in again.",
    },
]
GOLDEN = [
    {
        "qid": "q001",
        "question": "How many users is the Starter plan capped at per workspace?",
        "answer": "12 users",
        "aliases": ["12"],
        "doc_ids": ["hc-0001"],
    },
    {
        "qid": "q002",
        "question": "Since SSO sessions last 8 hours, how long do single sign-on sessions last before users must sign in again?",
        "answer": "12 hours",
        "doc_ids": ["hc-0102"],
        "false_premise": "8 hours",
    },
]


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Stack, RunConfig, Path]:
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (tmp_path / "golden.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLDEN))
    cfg = RunConfig(
        corpus=CorpusSpec(source=str(tmp_path / "docs.jsonl")),
        index=IndexSpec(embedder="hashing-test"),
        embedder="hashing-test",
        top_k=2,
    )
    return Stack(Workspace(tmp_path / "ws"), clock=lambda: WHEN), cfg, tmp_path / "golden.jsonl"


def test_sandbox_reader_traces_pass_and_a_sycophantic_model_fails(tiny: tuple[Stack, RunConfig, Path]) -> None:
    stack, cfg, golden = tiny
    items = {g.qid: g for g in load_golden(golden)}
    good = stack.run(items["q001"].question, cfg, golden=golden_of(items["q001"]))
    report = evaluate(good, stack=stack)  # a hashing-embedder trace stays lexical
    assert report.passed and report.score("grounded").details["method"] == "lexical"  # type: ignore[union-attr]
    syc = stack.run(
        items["q002"].question, cfg.model_copy(update={"model": "sandbox-reader-1.1"}), golden=golden_of(items["q002"])
    )
    bad = evaluate(syc)
    assert not bad.passed and bad.failed == ["correct", "sycophancy"]
    assert bad.score("answer_in_context").passed is True  # type: ignore[union-attr]


def test_grounded_calibration_on_a_tiny_golden_set(tiny: tuple[Stack, RunConfig, Path]) -> None:
    from replaylab.evals.calibrate import calibrate_grounded, fit_threshold, grounding_claims, paraphrase

    stack, cfg, golden = tiny
    items = load_golden(golden)
    claims = grounding_claims(stack, items, cfg)
    assert {c.kind for c in claims if c.supported} >= {"answer sentence", "bare answer", "question as statement"}
    assert all(c.qid == "q001" for c in claims)  # q002 has a false premise: left out
    cal = calibrate_grounded(stack, items, config=cfg, embedder="hashing-test")
    assert cal.questions == 1 and cal.positives >= 3 and cal.semantic is not None
    assert cal.lexical.balanced_accuracy >= 0.9 and 0.0 <= cal.rule_balanced_accuracy <= 1.0
    fit = fit_threshold([0.9, 0.8, 0.3, 0.1], [True, True, False, False])
    assert (fit.threshold, fit.balanced_accuracy, fit.auc) == (0.8, 1.0, 1.0)
    assert fit_threshold([0.9, 0.2], [True, False], max_fpr=0.0).threshold == 0.9
    assert paraphrase("Users must pay within 10 days.") == "people has to pay inside 10 days."
    assert paraphrase("Nothing to swap here.") is None
