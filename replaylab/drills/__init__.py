"""Drills: steady state -> inject -> traffic -> detect -> diagnose -> bisect -> roll back -> verify.

    journal = run(scenario, stack=stack, base=config)          # the one runner, any kind
    journal.deviated                                           # the CLI exits 1
    journal.find(BisectStep)                                   # typed steps

| module | what it holds |
|---|---|
| runner | the skeleton, `run`, `opened` (a game day), `Drill` (the pieces a kind supplies) |
| steps | the typed journal steps (a union tagged by `kind`) |
| journal | DrillJournal, Expectation, the step recorder |
| power | requests per window needed to see the fault's drop (the journal's `power`) |
| fault | the `fault` kind (`run_drill`, `select_traffic`) |
| agent_loop | the `agent-loop` kind |
| rollout, canary | the `prompt-rollout` and `canary` kinds (session simulations; `simulation` holds what they share) |
| calibrate | a drill's traffic for a real model |

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.registry import lazy_exports

if TYPE_CHECKING:
    from replaylab.drills.agent_loop import run_agent_loop_drill
    from replaylab.drills.calibrate import calibrate
    from replaylab.drills.fault import run_drill, select_traffic
    from replaylab.drills.journal import DrillJournal, Expectation, JournalRecorder
    from replaylab.drills.power import PowerCheck, required_n
    from replaylab.drills.rollout import simulate_canary, simulate_rollout
    from replaylab.drills.runner import Drill, DrillOptions, opened, run
    from replaylab.drills.steps import BisectStep, JournalStep

__all__ = [
    "BisectStep",
    "Drill",
    "DrillJournal",
    "DrillOptions",
    "Expectation",
    "JournalRecorder",
    "JournalStep",
    "PowerCheck",
    "calibrate",
    "opened",
    "required_n",
    "run",
    "run_agent_loop_drill",
    "run_drill",
    "select_traffic",
    "simulate_canary",
    "simulate_rollout",
]

_LAZY = {
    "BisectStep": "replaylab.drills.steps",
    "Drill": "replaylab.drills.runner",
    "DrillOptions": "replaylab.drills.runner",
    "JournalStep": "replaylab.drills.steps",
    "PowerCheck": "replaylab.drills.power",
    "opened": "replaylab.drills.runner",
    "required_n": "replaylab.drills.power",
    "run": "replaylab.drills.runner",
    "DrillJournal": "replaylab.drills.journal",
    "Expectation": "replaylab.drills.journal",
    "JournalRecorder": "replaylab.drills.journal",
    "calibrate": "replaylab.drills.calibrate",
    "run_agent_loop_drill": "replaylab.drills.agent_loop",
    "run_drill": "replaylab.drills.fault",
    "select_traffic": "replaylab.drills.fault",
    "simulate_canary": "replaylab.drills.rollout",
    "simulate_rollout": "replaylab.drills.rollout",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
