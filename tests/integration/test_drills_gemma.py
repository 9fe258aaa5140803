"""The poisoned-documents drill with the real Gemma 3 270M as the served model.

The traffic is pinned to five golden questions Gemma answers right from retrieved context
in the steady state (measured: q025, q031, q037, q061, q067), so the steady-state hypothesis
can hold for a 270M model; the fault then targets exactly those questions.
"""

from __future__ import annotations

import pytest

from replaylab.config import RunConfig, load_partial_config
from replaylab.drill import run_drill
from replaylab.scenario import load_scenario
from replaylab.workspace import PACKAGE_DATA

pytestmark = [pytest.mark.llm, pytest.mark.minilm]
GEMMA_ANSWERS = ["q025", "q031", "q037", "q061", "q067"]


def test_poisoned_documents_drill_with_real_gemma(tiny_stack):
    scenario = load_scenario("poisoned-documents")
    scenario = scenario.model_copy(update={
        "baseline": {"model": "gemma-3-270m"},
        "traffic": scenario.traffic.model_copy(update={"sample": 0, "qids": GEMMA_ANSWERS}),
        "method": {**scenario.method, "targets": GEMMA_ANSWERS},
    })
    base = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=RunConfig())
    journal = run_drill(scenario, stack=tiny_stack, base=base, diagnose_traces=2)
    unmet = [f"{e.name}: expected {e.expected}, got {e.actual}" for e in journal.expectations if not e.met]
    assert journal.passed, f"{journal.status} {journal.error or ''} {unmet}"
    assert journal.bisect_causes == ["corpus"] and journal.diagnosed_layer == "upstream_data"
    assert journal.bisect is not None and journal.bisect["culprit_chunks"]
