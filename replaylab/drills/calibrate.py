"""Calibrate a drill's traffic for a real model: golden questions it answers in the steady state.

A small model fails much of the golden set at any setting, so a drill that samples at random
aborts at its steady-state check before anything is injected. Calibration walks the golden
questions the fault predicts to be at risk, topic by topic in qid order, runs each once under
the scenario's steady state, and keeps the first `per_topic` that pass in every topic. The
result is the `traffic.qids` list for the scenario file: `scenarios/gemma/` was picked this way.

    cal = calibrate(load_scenario("gemma/context-position-burial"), stack=stack, base=base, per_topic=2)
    cal.picked    # ['q001', 'q003', 'q048', ...]

Only the steady state is run: whether the fault then breaks the picked questions is the drill's
finding, not an input to the choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import zip_longest

from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.errors import ScenarioError
from replaylab.scenario import Scenario
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack

Step = Callable[[str], None]
"""Called once per question tried, with its qid."""


class CalibrationRow(BaseModel):
    """One question tried under the steady state."""

    qid: str
    """The golden question."""
    topic: str
    """Its topic."""
    passed: bool
    """It passes the evaluators' gate."""
    output: str
    """The model's answer."""


class Calibration(BaseModel):
    """The questions tried under the steady state, and the ones picked."""

    scenario: str
    """The scenario's name."""
    model: str
    """The model the steady state serves."""
    per_topic: int
    """Passing questions wanted per topic."""
    candidates: int
    """Golden questions eligible (the fault's predicted-at-risk set unless `at_risk_only` is off)."""
    picked: list[str] = Field(default_factory=list)
    """The qids kept, sorted: the scenario's `traffic.qids`."""
    rows: list[CalibrationRow] = Field(default_factory=list)
    """Every question tried, in order."""
    short_topics: list[str] = Field(default_factory=list)
    """Topics with fewer than `per_topic` passing questions among the candidates."""
    seconds: float = 0.0
    """Wall time of the calibration."""


def candidate_order(items: list[GoldenItem]) -> list[GoldenItem]:
    """Topics interleaved (alphabetically), each in qid order: the first passers per topic come early."""
    by_topic: dict[str, list[GoldenItem]] = {}
    for g in sorted(items, key=lambda g: g.qid):
        by_topic.setdefault(g.topic, []).append(g)
    rows = zip_longest(*(by_topic[t] for t in sorted(by_topic)))
    return [g for row in rows for g in row if g is not None]


def calibrate(
    scenario: Scenario, *, stack: Stack, base: RunConfig, per_topic: int = 2, at_risk_only: bool = True, step: Step | None = None
) -> Calibration:
    """Pick up to `per_topic` golden questions per topic that pass under the scenario's steady state."""
    from replaylab.drills.fault import FaultDrill
    from replaylab.evals.golden_traffic import passes

    if scenario.runner != "fault":
        raise ScenarioError(f"Scenario {scenario.name} is a {scenario.runner} simulation: it has no traffic to calibrate")
    if per_topic < 1:
        raise ScenarioError(f"per_topic must be at least 1, got {per_topic}")
    started = time.perf_counter()
    drill = FaultDrill(scenario, stack=stack, base=base)  # the drill's own steady state and traffic
    before = drill.before
    golden = [g for g in drill.golden if not scenario.traffic.topics or g.topic in scenario.traffic.topics]
    if at_risk_only:
        at_risk = set(drill.fault.apply(before, stack=stack, golden=golden).affected_qids)
        golden = [g for g in golden if g.qid in at_risk]
        if not golden:
            raise ScenarioError(
                f"Scenario {scenario.name}: the fault puts no golden question at risk under "
                f"{before.config.model}; calibrate over --all-questions instead"
            )
    cal = Calibration(scenario=scenario.name, model=before.config.model, per_topic=per_topic, candidates=len(golden))
    found: dict[str, int] = {g.topic: 0 for g in golden}
    for item in candidate_order(golden):
        if found[item.topic] >= per_topic:
            continue
        if step is not None:
            step(item.qid)
        trace = drill.serve(before, [item])[0]
        ok = passes(trace)
        cal.rows.append(
            CalibrationRow(qid=item.qid, topic=item.topic, passed=ok, output=trace.generation.output if trace.generation else "")
        )
        if ok:
            found[item.topic] += 1
            cal.picked.append(item.qid)
        if all(n >= per_topic for n in found.values()):
            break
    cal.picked.sort()
    cal.short_topics = sorted(t for t, n in found.items() if n < per_topic)
    cal.seconds = round(time.perf_counter() - started, 1)
    return cal
