"""Game days open on the shipped scenarios whose fault needs its own steady state (a long context,
a model with a window), the same good deployment the drill uses."""

from __future__ import annotations

import pytest

from replaylab.config import RunConfig, load_partial_config
from replaylab.scenario import load_scenario
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.teach.incident import open_incident
from replaylab.workspace import PACKAGE_DATA

pytestmark = pytest.mark.minilm
BASE = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=RunConfig())


@pytest.mark.parametrize("name", ["context-position-burial", "tokenization-mismatch"])
def test_a_game_day_opens_on_the_faults_steady_state(tiny_stack: Stack, name: str) -> None:
    scenario = load_scenario(name)
    good = scenario.steady_state_config(BASE)
    with open_incident(scenario, stack=tiny_stack, base=BASE, sample=6, max_affected=8) as incident:
        assert incident.injection.before.config == good
        assert any(not incident.verdicts[t.trace_id] for t in incident.window)
        assert incident.key.layer == scenario.expect.layer
    assert Deployment.capture(tiny_stack, good) == incident.injection.before  # rolled back
