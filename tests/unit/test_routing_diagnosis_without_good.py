"""Routing diagnosis with no golden route and no --good: the router's own recorded decision
(`handler: rag-cheap` for a `kb_question`) and the baseline router are the evidence."""

from __future__ import annotations

import pytest
from _stand_ins import hashing_router_twins

from replaylab.config import IndexSpec, RunConfig
from replaylab.diagnosis.route_expectation import expected_route
from replaylab.diagnosis.tree import diagnose
from replaylab.evals import verdict
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace

BASE = RunConfig(embedder="hashing-test", index=IndexSpec(embedder="hashing-test"), tools="tools-v1")


def _cheap_failure(stack: Stack) -> Trace:
    hashing_router_twins()
    cfg = BASE.model_copy(update={"router": "test-hashing-v2"})
    for item in load_golden()[:120]:
        t = stack.run(item.question, cfg, golden=golden_of(item))
        cheap = t.routing.handler == "rag-cheap" and t.routing.intent == "kb_question"
        if cheap and not verdict(t).passed and verdict(stack.run(item.question, BASE, golden=golden_of(item))).passed:
            return t
    pytest.fail("no short knowledge question fails on the cheap model under test-hashing-v2")


def test_the_recorded_decision_and_the_baseline_router_name_routing(tiny_stack: Stack) -> None:
    trace = _cheap_failure(tiny_stack)
    assert trace.golden is not None and trace.golden.expected_route is None
    exp = expected_route(trace)
    assert exp is not None and exp.handler == "rag" and exp.fix_router is None  # the baseline runs no router
    assert "routing rule" in exp.source
    d = diagnose(tiny_stack, trace)  # no good=
    assert d.layer == "routing", d.summary
    text = " ".join(e for ev in d.evidence.values() for e in [*ev.for_, *ev.against])
    assert "No expected route is known" not in text
    assert "rag-cheap" in text


def test_a_request_the_router_sent_where_its_intent_says_is_not_blamed_on_routing(tiny_stack: Stack) -> None:
    hashing_router_twins()
    cfg = BASE.model_copy(update={"router": "test-hashing-v1"})
    trace = tiny_stack.run(load_golden()[0].question, cfg, golden=golden_of(load_golden()[0]))
    exp = expected_route(trace)
    assert exp is not None and exp.handler == trace.routing.handler
    assert expected_route(tiny_stack.run("How long is the refund window?", BASE)) is None  # no router ran
