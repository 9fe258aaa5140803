"""The intent router and the tools it calls directly (hashing stand-in embedder, sandbox reader)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _stand_ins import hashing_router_twins

from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.errors import ConfigError, UnknownPlugin
from replaylab.stack.pipeline import Stack
from replaylab.stack.router import (
    ESCALATION_ANSWER,
    IntentV1,
    IntentV2,
    IntentV3,
    Router,
    get_router,
    load_examples,
    route,
)
from replaylab.stack.tools import DocLookup, ToolContext, ToolSet, date_calc_arguments, doc_lookup_arguments, toolset

EXAMPLES = {
    "kb_question": [
        "How long do deleted files stay in the trash?",
        "What does the Team plan cost per user?",
        "How many days of grace period after a failed payment?",
        "Which port does sync use?",
    ],
    "doc_lookup": ["open document pol-0012", "show me the runbook rb-0007", "display hc-0031 please"],
    "date_calc": ["what date is 45 days after 2026-03-01?", "add 16 days to 2026-09-08", "what is 30 days before 2026-11-15?"],
    "escalate": ["I need someone from billing to call me", "Can I speak to a human, please?", "get me a real person"],
}
DOCS = [
    {
        "doc_id": "hc-0001",
        "title": "Plans and prices",
        "source": "help-centre",
        "topic": "billing",
        "ingested_at": "2026-01-10",
        "text": "The Team plan costs $16 per user per month. Paying monthly adds 18%.",
    },
    {
        "doc_id": "hc-0002",
        "title": "Failed card payments",
        "source": "help-centre",
        "topic": "billing",
        "ingested_at": "2026-01-12",
        "text": "The workspace stays usable during a grace period of 10 days after the "
        "first failed charge. Ledger retries the card on the second, fifth and ninth day.",
    },
    {
        "doc_id": "rb-0003",
        "title": "Restarting the sync worker",
        "source": "runbooks",
        "topic": "ops",
        "ingested_at": "2026-03-01",
        "text": "The sync worker listens on port 7443. Restart it with qv-sync restart.",
    },
]


@pytest.fixture
def examples(tmp_path: Path) -> str:
    path = tmp_path / "router_examples.jsonl"
    path.write_text("".join(json.dumps({"text": t, "intent": i}) + "\n" for i, ts in EXAMPLES.items() for t in ts))
    return str(path)


@pytest.fixture
def corpus(tmp_path: Path) -> str:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    return str(path)


@pytest.fixture
def config(corpus: str) -> RunConfig:
    return RunConfig(
        prompt="rag-answer@4",
        corpus=CorpusSpec(source=corpus),
        index=IndexSpec(embedder="hashing-test"),
        embedder="hashing-test",
        top_k=3,
        router="test-hashing-v1",
        tools="tools-v1",
    )


@pytest.fixture
def stack(tiny_stack: Stack) -> Stack:
    return tiny_stack


hashing_router_twins()


def _router(cls: type[Router], examples: str, **fields: object) -> Router:
    return cls.model_validate({"embedder": "hashing-test", "examples": examples, **fields})


def test_versions_are_registered_and_differ_only_in_fields() -> None:
    assert isinstance(get_router("intent-v1"), IntentV1)
    v1, v2, v3 = get_router("intent-v1"), get_router("intent-v2"), get_router("intent-v3")
    assert v1.cheap_max_words is None and v2.cheap_max_words == 12
    assert v3.threshold < v1.threshold and v3.escalate_words
    with pytest.raises(UnknownPlugin, match="Unknown router 'intent-v9'"):
        get_router("intent-v9")


def test_bundled_examples_cover_the_four_intents() -> None:
    intents = {e.intent for e in load_examples()}
    assert intents == {"kb_question", "doc_lookup", "date_calc", "escalate"}


def test_unreadable_examples_are_one_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n")
    with pytest.raises(ConfigError, match="not a router example"):
        load_examples(str(bad))
    with pytest.raises(ConfigError, match="Cannot read router examples"):
        load_examples(str(tmp_path / "missing.jsonl"))


def test_classifier_separates_the_intents(stack: Stack, examples: str) -> None:
    r = _router(IntentV1, examples)
    assert r.classify(stack, "please open document hc-0002").intent == "doc_lookup"
    assert r.classify(stack, "what date is 10 days after 2026-05-01?").intent == "date_calc"
    assert r.classify(stack, "can I speak to a real person").intent == "escalate"
    scores = r.classify(stack, "How long do deleted files stay in the trash?")
    assert scores.intent == "kb_question" and scores.confidence > 0.5
    assert abs(sum(scores.probabilities.values()) - 1) < 1e-5


def test_low_confidence_falls_back_to_the_capable_rag(stack: Stack, examples: str, config: RunConfig) -> None:
    strict = _router(IntentV1, examples, threshold=1.0)
    decision = strict.decide(stack, "can I speak to a real person", config)
    assert decision.span.handler == "rag" and decision.model is None and decision.answer is None
    assert decision.span.intent == "escalate" and decision.span.confidence < 1.0


def test_cheap_rule_routes_short_knowledge_questions_to_the_cheap_model(stack: Stack, examples: str, config: RunConfig) -> None:
    v2 = _router(IntentV2, examples)
    short = v2.decide(stack, "Which port does sync use?", config)
    assert short.span.handler == "rag-cheap" and short.model == "sandbox-reader-mini"
    long_q = "How many days of grace period does a workspace get after the first failed card payment at renewal?"
    assert v2.decide(stack, long_q, config).span.handler == "rag"
    assert _router(IntentV1, examples).decide(stack, "Which port does sync use?", config).span.handler == "rag"


def test_escalate_words_send_knowledge_questions_to_a_human(stack: Stack, examples: str, config: RunConfig) -> None:
    v3 = _router(IntentV3, examples)
    decision = v3.decide(stack, "Who do I contact about the sync worker port?", config)
    assert decision.span.handler == "escalate" and decision.answer == ESCALATION_ANSWER


def test_doc_lookup_answers_from_the_served_corpus(stack: Stack, examples: str, config: RunConfig) -> None:
    decision = _router(IntentV1, examples).decide(stack, "open document hc-0002", config)
    assert decision.span.handler == "doc_lookup"
    assert decision.answer is not None and "grace period of 10 days" in decision.answer
    call = decision.span.tool_calls[0]
    assert call.tool == "doc_lookup" and call.arguments == {"doc_id": "hc-0002"} and call.agent == "router"


def test_date_calc_answers_directly(stack: Stack, examples: str, config: RunConfig) -> None:
    decision = _router(IntentV1, examples).decide(stack, "what date is 45 days after 2026-03-01?", config)
    assert decision.span.handler == "date_calc"
    assert decision.answer == "2026-03-01 + 45 days = 2026-04-15 (Wednesday)"


def test_tool_intents_fall_back_without_arguments_tools_or_a_working_tool(stack: Stack, examples: str, config: RunConfig) -> None:
    r = _router(IntentV1, examples)
    assert r.decide(stack, "open the document about refunds", config).span.handler == "rag"  # no id to look up
    no_tools = config.model_copy(update={"tools": None})
    assert r.decide(stack, "open document hc-0002", no_tools).span.handler == "rag"
    missing = r.decide(stack, "open document hc-0099", config)
    assert missing.span.handler == "rag" and missing.answer is None
    assert "no document 'hc-0099'" in missing.span.tool_calls[0].result


def test_route_without_a_router_is_the_default_span(stack: Stack, config: RunConfig) -> None:
    decision = route(stack, "anything", config.model_copy(update={"router": None}))
    assert decision.span.handler == "rag" and decision.span.router is None


def test_stack_runs_through_the_router(stack: Stack, config: RunConfig) -> None:
    """Stack.run: a tool answer short-circuits; the cheap route changes the model that answers."""
    tool = stack.run("please open document hc-0001 for me", config)
    assert tool.routing.router == "test-hashing-v1" and tool.routing.handler == "doc_lookup"
    assert tool.retrieval is None and tool.generation is not None and "Team plan" in tool.generation.output
    cheap = stack.run("Which port does the sync worker use?", config.model_copy(update={"router": "test-hashing-v2"}))
    assert cheap.routing.handler == "rag-cheap"
    assert cheap.generation is not None and cheap.generation.model_requested == "sandbox-reader-mini"
    assert cheap.versions.tav == "tools-v1"


def test_router_embeds_through_the_cache(stack: Stack, examples: str, config: RunConfig) -> None:
    r = _router(IntentV1, examples)
    r.decide(stack, "Which port does sync use?", config)
    misses = stack.cache.misses
    r.decide(stack, "Which port does sync use?", config)
    assert stack.cache.misses == misses


def test_toolsets_pin_schema_versions() -> None:
    v1, v2 = toolset("tools-v1"), toolset("tools-v2")
    assert v1.accepts("ask_agent", "context") and not v2.accepts("ask_agent", "context")
    assert [s.name for s in v1.specs()] == ["ask_agent", "date_calc", "doc_lookup"]
    with pytest.raises(ConfigError, match="Unknown tool set 'tools-v9'"):
        ToolSet("tools-v9")
    with pytest.raises(ConfigError, match="no schema version 7"):
        DocLookup().spec(7)


def test_tool_calls_are_checked_against_the_pinned_schema() -> None:
    tools = toolset("tools-v2")
    ctx = ToolContext(documents={"hc-0001": "Plans: text"})
    assert tools.call("doc_lookup", {"doc_id": "hc-0001"}, ctx).ok
    bad = tools.call("doc_lookup", {"doc_id": "../etc/passwd"}, ctx)
    assert not bad.ok and "does not match" in bad.output
    extra = tools.call("ask_agent", {"agent": "accounts", "question": "q", "context": {}}, ctx)
    assert not extra.ok and "unexpected 'context'" in extra.output
    assert not tools.call("send_email", {}, ctx).ok
    no_loop = toolset("tools-v1").call("ask_agent", {"agent": "accounts", "question": "q", "context": {}}, ctx)
    assert not no_loop.ok and "needs an agent loop" in no_loop.output
    assert "not a calendar date" in tools.call("date_calc", {"start": "2026-02-30", "days": 1}, ctx).output


def test_argument_extractors() -> None:
    assert doc_lookup_arguments("Can you pull up HC-0031?") == {"doc_id": "hc-0031"}
    assert doc_lookup_arguments("open the refund policy") is None
    assert date_calc_arguments("what is 20 days before 2026-11-15?") == {"start": "2026-11-15", "days": -20}
    assert date_calc_arguments("add 16 days to 2026-09-08") == {"start": "2026-09-08", "days": 16}
    assert date_calc_arguments("how many days of grace?") is None


def test_routing_misclassification_fault_on_the_hashing_router(tiny_stack: Stack) -> None:
    """Inject, serve, detect, diagnose, roll back - the drill's pieces, fast (the whole drill is in integration)."""
    from replaylab.detectors.agents import RoutingShare
    from replaylab.diagnosis.tree import diagnose
    from replaylab.errors import ConfigError
    from replaylab.evals.golden_traffic import passes, run_traffic
    from replaylab.faults.routing import RoutingMisclassification
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.deployment import Deployment

    golden = load_golden()
    good = RunConfig(
        embedder="hashing-test", index=IndexSpec(embedder="hashing-test"), router="test-hashing-v1", tools="tools-v1"
    )
    fault = RoutingMisclassification(to="test-hashing-v2")
    injection = fault.inject(Deployment(config=good), stack=tiny_stack, golden=golden)
    try:
        assert injection.variables == ["router"] and injection.layer == "routing"
        assert injection.rollback_steps == ["set router test-hashing-v2 -> test-hashing-v1"]
        assert "to rag-cheap on sandbox-reader-mini" in injection.notes[0] and len(injection.affected_qids) >= 10
        affected = [g for g in golden if g.qid in set(injection.affected_qids)][:12]
        before = run_traffic(tiny_stack, injection.before, affected)
        after = run_traffic(tiny_stack, injection.after, affected)
        assert all(t.routing.handler == "rag" for t in before) and all(t.routing.handler == "rag-cheap" for t in after)
        assert sum(map(passes, before)) >= 11 and sum(map(passes, after)) <= 6
        share = RoutingShare().detect(after, before, stack=tiny_stack)
        assert share.fired and share.statistic == 1.0 and share.p_value is not None and share.p_value < 1e-4
        failing = next(t for t in after if not passes(t))
        assert diagnose(tiny_stack, failing, good=good).layer == "routing"
    finally:
        restored = fault.rollback(injection, stack=tiny_stack)
    assert restored == Deployment.capture(tiny_stack, good)
    with pytest.raises(ConfigError, match="already deployed"):
        fault.inject(Deployment(config=good.model_copy(update={"router": "test-hashing-v2"})), stack=tiny_stack, golden=golden)
    with pytest.raises(ConfigError, match="no router is deployed"):
        fault.inject(Deployment(config=good.model_copy(update={"router": None})), stack=tiny_stack, golden=golden)
