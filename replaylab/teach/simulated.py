"""Game days for scenarios that run a simulation in a drill (`runner: prompt-rollout`,
`runner: agent-loop`): the trainee plays the incident those simulations start from, as the
registered fault that causes it.

- `bad-prompt-rollout`: the production label moves to the bad prompt version
  (`prompt-instruction-conflict` with the scenario's `bad_version`): the same promotion the
  rollout simulation makes, on the scenario's traffic; the sessions side (which rollback to
  pick) is the debrief.
- `agent-loop`: its incident is agent sessions (tool calls between two sub-agents), so it is
  opened by the agent-loop drill's own pieces (`teach.agent_incident`), not as a fault scenario;
  its fault is its own (the tool interface moving to tools-v2).

    fault = game_fault(load_scenario("bad-prompt-rollout"))      # PromptInstructionConflict(version=5)
    played = game_scenario(load_scenario("bad-prompt-rollout"))  # the same scenario as `runner: fault`
"""

from __future__ import annotations

from typing import Any

from replaylab.errors import ScenarioError
from replaylab.faults.base import FaultBase
from replaylab.scenario import Scenario

__all__ = ["game_fault", "game_scenario"]


def game_fault(scenario: Scenario) -> FaultBase:
    """The fault a game day of `scenario` injects (its own for `runner: fault`)."""
    if scenario.runner == "fault":
        return scenario.fault()
    method: dict[str, Any] = dict(scenario.method)
    if scenario.runner == "prompt-rollout":
        from replaylab.faults.generation import PromptInstructionConflict

        return PromptInstructionConflict(version=int(method.get("bad_version", 5)))
    if scenario.runner == "agent-loop":
        return scenario.fault()
    raise ScenarioError(
        f"Scenario {scenario.name} runs the {scenario.runner!r} simulation, which has no incident to play "
        "as a game day (drill it with `replaylab drill`)"
    )


def game_scenario(scenario: Scenario) -> Scenario:
    """`scenario` as a fault scenario a game day (and its drill pieces) can open: the method is the
    fault `game_fault` names; teaching, expectations and traffic stay the scenario's own."""
    if scenario.runner == "fault":
        return scenario
    fault = game_fault(scenario)
    return scenario.model_copy(update={"runner": "fault", "method": fault.model_dump(mode="json")})
