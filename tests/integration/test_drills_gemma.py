"""The poisoned-documents and burial drills with the real Gemma 3 270M as the served model
(`scenarios/gemma/`, also `make drills-gemma`).

Both pin their traffic to golden questions Gemma answers right in the scenario's steady state,
measured once and written into the scenario (a 270M model fails most of the golden set at any
setting, so a random sample would abort at the steady-state check).
"""

from __future__ import annotations

import pytest

from replaylab.config import RunConfig, load_partial_config
from replaylab.drills.fault import run_drill
from replaylab.drills.journal import DrillJournal
from replaylab.scenario import load_scenario
from replaylab.workspace import PACKAGE_DATA

pytestmark = [pytest.mark.llm, pytest.mark.minilm]


def drill(stack, name: str) -> DrillJournal:  # type: ignore[no-untyped-def]
    scenario = load_scenario(name)
    assert scenario.baseline["model"] == "gemma-3-270m"
    base = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=RunConfig())
    journal = run_drill(scenario, stack=stack, base=base, diagnose_traces=2)
    unmet = [f"{e.name}: expected {e.expected}, got {e.actual}" for e in journal.expectations if not e.met]
    assert journal.passed, f"{journal.status} {journal.error or ''} {unmet}"
    return journal


def test_poisoned_documents_drill_with_real_gemma(tiny_stack):
    journal = drill(tiny_stack, "gemma/poisoned-documents")
    assert journal.bisect_causes == ["corpus"] and journal.diagnosed_layer == "upstream_data"
    assert journal.bisect is not None and journal.bisect["culprit_chunks"]


@pytest.mark.slow
def test_burial_drill_with_real_gemma(tiny_stack):
    journal = drill(tiny_stack, "gemma/context-position-burial")
    assert journal.steady_state_before == 1.0 and journal.recovered
    assert "quality-drop" in journal.detected_by
    assert journal.diagnosed_layer == "generation" and journal.bisect_causes == ["context_order"]
    assert journal.affected_failure_rate is not None and journal.affected_failure_rate >= 0.3
