"""The incident a game day opens on: a scenario's fault, injected into the sandbox stack, with
the traffic of the fault window recorded as traces. The fault is rolled back when the
incident closes, always (the context manager's `finally`).

    with open_incident(scenario, stack=stack, base=base) as incident:
        incident.shown        # the sample of fault-window traces the trainee sees
        incident.key          # the answer: layer, variables, rollback
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from replaylab.config import RunConfig
from replaylab.errors import ScenarioError
from replaylab.scenario import Scenario
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import read_values

__all__ = ["AnswerKey", "Incident", "open_incident", "sandbox_pins"]

Progress = Callable[[str], None]


class AnswerKey(BaseModel):
    """What a perfect submission names."""

    layer: str
    """The diagnosis layer."""
    variables: list[str]
    """The variables whose swap fixes the failure (bisect's causes)."""
    good_values: dict[str, Any]
    """Each variable's value in the last known-good deployment."""
    rollback_steps: list[str]
    """The injector's own undo, in words."""


@dataclass
class Incident:
    """An injected fault and the traffic recorded under it."""

    scenario: Scenario
    """The scenario played."""
    fault: Any
    """The fault injector (a FaultBase)."""
    injection: Any
    """What the injection did (a replaylab.faults.base.Injection)."""
    window: list[Trace]
    """Every request of the fault window."""
    baseline: list[Trace]
    """The same requests served by the deployment before the fault."""
    shown: list[Trace]
    """The sample the trainee sees, failing and passing mixed."""
    verdicts: dict[str, bool]
    """trace id -> passes the evaluators' gate (window and baseline)."""
    key: AnswerKey
    """The answer a perfect submission names."""
    detections: list[dict[str, Any]] = field(default_factory=list)
    """Every detector's verdict on the window (JSON)."""
    fired: list[str] = field(default_factory=list)
    """The detectors that fired."""
    sandbox: Any = None
    """How the game replays, judges and diagnoses the window (`teach.agent_incident.AgentSandbox` for
    agent sessions); None: RAG traces, replayed by the stack and judged by the evaluators."""

    @property
    def good_config(self) -> RunConfig:
        """The configuration of the last known-good deployment."""
        config: RunConfig = self.injection.before.config
        return config

    def failing(self, traces: list[Trace] | None = None) -> list[Trace]:
        return [t for t in (self.window if traces is None else traces) if not self.verdicts.get(t.trace_id, True)]

    def pass_rate(self, traces: list[Trace]) -> float:
        return sum(self.verdicts.get(t.trace_id, False) for t in traces) / len(traces) if traces else 0.0

    def before_of(self, trace: Trace) -> Trace | None:
        """The baseline trace of the same question (the request before the fault)."""
        return next((b for b in self.baseline if b.question == trace.question), None)


@contextmanager
def sandbox_pins(stack: Stack) -> Iterator[Stack]:
    """Sandbox replays pin exact model versions: no provider-side swap while inside."""
    saved = stack.provider_overrides
    stack.provider_overrides = {}
    try:
        yield stack
    finally:
        stack.provider_overrides = saved


def _sample(window: list[Trace], verdicts: dict[str, bool], affected: set[str], size: int, seed: int) -> list[Trace]:
    failing = [t for t in window if not verdicts[t.trace_id]]
    # the requests the fault was meant to break first: they are what users complain about
    failing.sort(key=lambda t: t.golden is None or t.golden.qid not in affected)
    passing = [t for t in window if verdicts[t.trace_id]]
    n_fail = min(len(failing), max(1, (size * 3 + 4) // 5))
    chosen = failing[:n_fail] + passing[: max(0, size - n_fail)]
    random.Random(seed).shuffle(chosen)
    return chosen


def _answer_key(scenario: Scenario, injection: Any) -> AnswerKey:
    variables = sorted(scenario.expect.bisect or injection.variables)
    good = read_values(injection.before.config)
    return AnswerKey(
        layer=scenario.expect.layer or injection.layer,
        variables=variables,
        good_values={v: good.get(v) for v in variables},
        rollback_steps=list(injection.rollback_steps),
    )


@contextmanager
def open_incident(
    scenario: Scenario,
    *,
    stack: Stack,
    base: RunConfig,
    sample: int = 8,
    seed: int = 0,
    max_affected: int = 24,
    golden: list[GoldenItem] | None = None,
    progress: Progress | None = None,
) -> Iterator[Incident]:
    """Run the drill's steady state, inject, traffic and detect steps, yield the incident, roll back.

    The window is the scenario's traffic plus up to `max_affected` of the questions the fault
    breaks (a game day needs a realistic mix, not every broken question)."""
    from replaylab.drills.fault import FaultDrill
    from replaylab.drills.runner import DrillOptions, opened
    from replaylab.evals.golden_traffic import passes
    from replaylab.teach.simulated import game_scenario

    if scenario.runner == "agent-loop":  # its window is agent sessions: the agent-loop drill's own pieces
        from replaylab.teach.agent_incident import open_agent_incident

        with open_agent_incident(scenario, stack=stack, base=base, sample=sample, seed=seed, progress=progress) as inc:
            yield inc
        return
    scenario = game_scenario(scenario)  # a simulation scenario plays the fault its simulation starts from
    options = DrillOptions(progress=progress, max_affected=max_affected, seed=seed, enforce_steady_state=False)
    drill = FaultDrill(scenario, stack=stack, base=base, options=options, golden=golden)
    with opened(drill, through="detect") as journal:
        injection, baseline, window = drill.live, drill.windows["baseline"], drill.windows["fault"]
        verdicts = {t.trace_id: passes(t) for t in [*baseline, *window]}
        if all(verdicts[t.trace_id] for t in window):
            raise ScenarioError(
                f"Scenario {scenario.name}: no request fails under the fault "
                f"({'; '.join(injection.notes)}); there is no incident to teach"
            )
        yield Incident(
            scenario=scenario,
            fault=drill.fault,
            injection=injection,
            window=window,
            baseline=baseline,
            shown=_sample(window, verdicts, set(injection.affected_qids), sample, seed),
            verdicts=verdicts,
            key=_answer_key(scenario, injection),
            detections=journal.detections,
            fired=journal.detected_by,
        )
