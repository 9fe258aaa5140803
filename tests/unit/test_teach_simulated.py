"""Game days for scenarios whose drill is a simulation: bad-prompt-rollout is played as the
promotion of its bad prompt version; canary says why it cannot be played."""

from __future__ import annotations

import pytest

from replaylab.config import IndexSpec, RunConfig
from replaylab.errors import ScenarioError
from replaylab.faults.generation import PromptInstructionConflict
from replaylab.scenario import load_scenario
from replaylab.stack.pipeline import Stack
from replaylab.teach.game import GameSession
from replaylab.teach.incident import open_incident
from replaylab.teach.simulated import game_fault

BASE = RunConfig(embedder="hashing-test", index=IndexSpec(embedder="hashing-test"))


def test_bad_prompt_rollout_is_played_as_its_bad_version_promoted(tiny_stack: Stack) -> None:
    scenario = load_scenario("bad-prompt-rollout")
    fault = game_fault(scenario)
    assert isinstance(fault, PromptInstructionConflict) and fault.version == scenario.method["bad_version"]
    labels = tiny_stack.prompts.labels()
    with open_incident(scenario, stack=tiny_stack, base=BASE, sample=4) as incident:
        assert incident.key.layer == "generation" and incident.key.variables == ["prompt"]
        assert incident.failing() and "quality-drop" in incident.fired
        assert incident.injection.after.labels["rag-answer"]["production"] == 5
    assert tiny_stack.prompts.labels() == labels  # rolled back


def test_a_scripted_game_day_of_the_rollout_scores_the_right_submission(tiny_stack: Stack) -> None:
    scenario = load_scenario("bad-prompt-rollout")
    with open_incident(scenario, stack=tiny_stack, base=BASE, sample=4) as incident:
        game = GameSession(incident, stack=tiny_stack)
        game.handle("eval #1")
        game.handle('replay #1 prompt="rag-answer@4"')
        reply = game.handle("submit layer=generation variable=prompt rollback=rag-answer@4")
        assert game.ended, reply
        card = game.record().score
        assert card.layer_ok and card.variable_ok and card.rollback_ok, card


@pytest.mark.parametrize("name", ["canary-caught"])  # agent-loop is playable: tests/unit/test_teach_agent_loop.py
def test_simulations_without_a_playable_incident_say_so(name: str) -> None:
    with pytest.raises(ScenarioError, match=r"replaylab drill|no incident to play"):
        game_fault(load_scenario(name))
