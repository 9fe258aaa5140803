"""The routing-misclassification drill end to end: on the hashing twins of the routers, and as
shipped (the MiniLM intent router, intent-v1 -> intent-v2)."""

from __future__ import annotations

import pytest
from _stand_ins import hashing_router_twins

# registered here until the registry lists replaylab.detectors.agents and replaylab.faults imports routing
import replaylab.detectors.agents
import replaylab.faults.routing  # noqa: F401
from replaylab.config import IndexSpec, RunConfig
from replaylab.drills.fault import run_drill
from replaylab.drills.journal import DrillJournal
from replaylab.scenario import Scenario, load_scenario
from replaylab.stack.pipeline import Stack

BASE = RunConfig(embedder="hashing-test", index=IndexSpec(embedder="hashing-test"))
"""Retrieval on the hashing stand-in keeps the drill fast; the routers bring their own embedder."""


def _check(journal: DrillJournal) -> None:
    assert journal.status == "completed", journal.error
    assert "routing-share" in journal.detected_by
    share = next(d for d in journal.detections if d["name"] == "routing-share")
    assert share["p_value"] < 0.001 and "rag-cheap" in share["reason"]
    assert journal.bisect_causes == ["router"] and journal.recovered
    assert (journal.affected_failure_rate or 0.0) >= 0.5
    unmet = [e.name for e in journal.expectations if not e.met]
    # the layer is routing once the drill hands diagnose() the good configuration
    assert unmet == []


def test_routing_misclassification_drill_on_hashing_twins(tiny_stack: Stack) -> None:
    hashing_router_twins()
    scenario: Scenario = load_scenario("routing-misclassification")
    scenario = scenario.model_copy(
        update={
            "baseline": {**scenario.baseline, "router": "test-hashing-v1"},
            "method": {**scenario.method, "to": "test-hashing-v2"},
        }
    )
    journal = run_drill(scenario, stack=tiny_stack, base=BASE)
    _check(journal)
    assert journal.rollback_steps == ["set router test-hashing-v2 -> test-hashing-v1"]


@pytest.mark.minilm
def test_routing_misclassification_drill(tiny_stack: Stack) -> None:
    journal = run_drill(load_scenario("routing-misclassification"), stack=tiny_stack, base=BASE)
    _check(journal)
    assert journal.rollback_steps == ["set router intent-v2 -> intent-v1"]
