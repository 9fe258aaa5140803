"""replaylab: replay a failing LLM/RAG request, bisect its cause, and drill faults.

The public API is what `__all__` lists; everything else may change. Names are imported
lazily so that `import replaylab` (e.g. by the pytest plugin) loads nothing heavy.

    trace = load_trace("cassettes/demo/trace.json")
    result = bisect(good=good_cfg, bad=trace.config, outcome=replay_outcome)
    d = diagnose(stack, trace)
    journal = run_drill(load_scenario("embedding-drift"), stack=stack, base=config)

Layers, each importing only from those below it: cli > drills, bisection, teach,
postmortem, golden, bench, proxy > diagnosis, evals, faults, detectors, agents, sessions, importers >
stack, models, cassettes > errors, registry, config, trace, variables, scenario, workspace, files,
project (the replaylab.yaml model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.errors import ReplaylabError
from replaylab.registry import lazy_exports

if TYPE_CHECKING:
    from replaylab.bisection.engine import BisectResult, bisect
    from replaylab.config import RunConfig, SamplingParams
    from replaylab.diagnosis.tree import diagnose
    from replaylab.drills.fault import run_drill
    from replaylab.drills.journal import DrillJournal
    from replaylab.evals import evaluate, verdict
    from replaylab.faults import parse_fault
    from replaylab.registry import lookup, register
    from replaylab.scenario import Scenario, load_scenario
    from replaylab.stack.pipeline import Stack
    from replaylab.trace import Trace, load_trace, save_trace

__all__ = [
    "BisectResult",
    "DrillJournal",
    "ReplaylabError",
    "RunConfig",
    "SamplingParams",
    "Scenario",
    "Stack",
    "Trace",
    "bisect",
    "diagnose",
    "evaluate",
    "load_scenario",
    "load_trace",
    "lookup",
    "parse_fault",
    "register",
    "run_drill",
    "save_trace",
    "verdict",
]
__version__ = "0.1.0"

_LAZY = {
    "BisectResult": "replaylab.bisection.engine",
    "DrillJournal": "replaylab.drills.journal",
    "RunConfig": "replaylab.config",
    "SamplingParams": "replaylab.config",
    "Scenario": "replaylab.scenario",
    "Stack": "replaylab.stack.pipeline",
    "Trace": "replaylab.trace",
    "bisect": "replaylab.bisection.engine",
    "diagnose": "replaylab.diagnosis.tree",
    "evaluate": "replaylab.evals",
    "load_scenario": "replaylab.scenario",
    "load_trace": "replaylab.trace",
    "lookup": "replaylab.registry",
    "parse_fault": "replaylab.faults",
    "register": "replaylab.registry",
    "run_drill": "replaylab.drills.fault",
    "save_trace": "replaylab.trace",
    "verdict": "replaylab.evals",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
