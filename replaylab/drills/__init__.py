"""Drills: steady state -> inject -> detect -> diagnose -> bisect -> roll back -> verify.

    journal = run_drill(scenario, stack=stack, base=config)   # the one runner
    journal.deviated                                          # the CLI exits 1

| module | what it holds |
|---|---|
| journal | DrillJournal, the recorder, rollback and recovery steps |
| fault | `run_drill`: fault drills, and the dispatch to the simulations |
| agent_loop | the agent-loop drill |
| rollout | the bad prompt rollout in sessions, and the canary that catches it |
| calibrate | a drill's traffic for a real model |

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replaylab.drills.agent_loop import run_agent_loop_drill
    from replaylab.drills.calibrate import calibrate
    from replaylab.drills.fault import run_drill, select_traffic
    from replaylab.drills.journal import DrillJournal, Expectation, JournalRecorder
    from replaylab.drills.rollout import simulate_canary, simulate_rollout

__all__ = [
    "DrillJournal",
    "Expectation",
    "JournalRecorder",
    "calibrate",
    "run_agent_loop_drill",
    "run_drill",
    "select_traffic",
    "simulate_canary",
    "simulate_rollout",
]

_LAZY = {
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replaylab.drills' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
