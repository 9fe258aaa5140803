"""Calibration picks, per topic, the first golden questions (in qid order) that pass the steady state."""

from __future__ import annotations

import pytest
from _stand_ins import recency_reader

from replaylab.config import RunConfig, load_partial_config
from replaylab.drills.calibrate import calibrate, candidate_order
from replaylab.errors import ScenarioError
from replaylab.evals.golden_traffic import passes, run_traffic
from replaylab.scenario import load_scenario
from replaylab.stack.corpus import load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.workspace import PACKAGE_DATA

BASE = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=RunConfig())


def test_candidate_order_interleaves_topics_each_in_qid_order() -> None:
    golden = load_golden()
    order = candidate_order(list(reversed(golden)))
    assert sorted(g.qid for g in order) == sorted(g.qid for g in golden)
    topics = sorted({g.topic for g in golden})
    assert [g.topic for g in order[: len(topics)]] == topics
    for topic in topics:
        qids = [g.qid for g in order if g.topic == topic]
        assert qids == sorted(qids)


@pytest.mark.minilm
def test_calibration_keeps_the_first_steady_state_passers_per_topic(tiny_stack: Stack) -> None:
    scenario = load_scenario("top-k-truncation")
    cal = calibrate(scenario, stack=tiny_stack, base=BASE, per_topic=1)
    assert cal.model == "sandbox-reader-1.0" and 0 < len(cal.picked) <= 7 and not cal.short_topics
    by_topic: dict[str, list[str]] = {}
    for row in cal.rows:
        by_topic.setdefault(row.topic, []).append(row.qid)
        assert row.passed == (row.qid in cal.picked)
    for topic, qids in by_topic.items():
        assert qids == sorted(qids) and cal.rows[[r.qid for r in cal.rows].index(qids[-1])].passed, topic
    # every pick passes the steady state when run again, and the fault predicted it at risk
    fault = scenario.fault()
    before = Deployment.capture(tiny_stack, scenario.steady_state_config(BASE))
    golden = {g.qid: g for g in load_golden()}
    assert all(passes(t) for t in run_traffic(tiny_stack, before, [golden[q] for q in cal.picked]))
    at_risk = set(fault.apply(before, stack=tiny_stack, golden=list(golden.values())).affected_qids)
    assert set(cal.picked) <= at_risk and cal.candidates == len(at_risk)


@pytest.mark.minilm
def test_calibration_of_a_simulation_or_a_bad_count_is_refused(tiny_stack: Stack) -> None:
    with pytest.raises(ScenarioError, match="prompt-rollout simulation"):
        calibrate(load_scenario("bad-prompt-rollout"), stack=tiny_stack, base=BASE)
    # a recency model with its best chunk first: burial has nothing left to break
    rank_first = load_scenario("context-position-burial").model_copy(
        update={"baseline": {"model": recency_reader(), "context_order": "rank"}}
    )
    with pytest.raises(ScenarioError, match="puts no golden question at risk"):
        calibrate(rank_first, stack=tiny_stack, base=BASE)
    with pytest.raises(ScenarioError, match="per_topic must be at least 1"):
        calibrate(load_scenario("top-k-truncation"), stack=tiny_stack, base=BASE, per_topic=0)
