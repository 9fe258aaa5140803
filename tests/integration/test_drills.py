"""Every scenario in scenarios/ passes its own drill with the sandbox reader (MiniLM + FAISS)."""

from __future__ import annotations

import pytest

from replaylab.config import RunConfig, load_partial_config
from replaylab.drills.fault import run_drill
from replaylab.scenario import load_scenario, scenario_names
from replaylab.workspace import PACKAGE_DATA

pytestmark = pytest.mark.minilm


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_passes_its_drill(tiny_stack, name):
    scenario = load_scenario(name)
    base = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=RunConfig())
    journal = run_drill(scenario, stack=tiny_stack, base=base)
    unmet = [f"{e.name}: expected {e.expected}, got {e.actual}" for e in journal.expectations if not e.met]
    assert journal.passed, f"{journal.status} {journal.error or ''} {unmet}"
    assert not journal.deviated
    if scenario.runner == "fault":
        assert sorted(scenario.expect.bisect) == journal.bisect_causes
        assert journal.diagnosed_layer == scenario.expect.layer
        assert journal.recovered
