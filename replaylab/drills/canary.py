"""A canary that catches a bad prompt version before it reaches production.

**Canary caught** (`simulate_canary`). The candidate PPV is shipped to `percent` % of
sessions keyed on session id. After every tick, once the canary has served
`min_canary_turns`, a gate compares canary and production turns check by check
(`correct`; `not_sycophantic` on false-premise questions; `evals` when the evaluator suite
is installed) and kills the canary flag if any check's pass rate falls more than `max_drop`
below production's; canary sessions are then recalled to production with their memory
reverted. If the observation window ends without a regression, the candidate is promoted.

The simulation moves labels on the stack's real prompt registry and restores them when done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.drills.simulation import SimulationDrill, SimulationSpec, prewarm, restore_labels
from replaylab.drills.steps import DetectDetail, TrafficDetail
from replaylab.registry import register
from replaylab.sessions import (
    Canary,
    GateDecision,
    Judge,
    Session,
    SessionManager,
    decide,
    default_judge,
    last_tick,
    plan_sessions,
    run_tick,
)
from replaylab.stack.corpus import GoldenItem, project_golden
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import LabelMove


class CanarySpec(SimulationSpec):
    """The canary drill: traffic, the canary split, and the gate's thresholds."""

    sessions: int = Field(400, ge=1)
    """Sessions planned."""
    turns: int = Field(3, ge=1)
    """Turns per session (golden questions)."""
    arrival_ticks: int = Field(20, ge=1)
    """Sessions start evenly over ticks [0, arrival_ticks)."""
    percent: float = Field(1.0, ge=0.0, le=100.0)
    """Share of sessions (by session id) that follow the canary label, in percent."""
    salt: str = "canary-1"
    """Salt of the session-id hash that picks the canary cohort."""
    template: str = "rag-answer"
    """The prompt template the canary ships a version of."""
    production_version: int = 4
    """The version `production` serves."""
    candidate_version: int = 5
    """The candidate version the canary ships."""
    min_canary_turns: int = Field(6, ge=1)
    """Canary turns the gate waits for before it decides."""
    max_drop: float = Field(0.10, ge=0.0, le=1.0)
    """Kill when a check's canary pass rate is more than this below production's."""
    observe_ticks: int = Field(15, ge=1)
    """Promote if the window ends without a regression (with enough canary turns)."""
    expected_verdict: Literal["kill", "promote"] = "kill"
    """What the gate must decide for the drill to pass."""
    memory_window: int = Field(3, ge=0)
    """Memory entries each turn reads."""


class CanaryResult(BaseModel):
    """What the canary drill saw: the split, the gate's decision, and what reached production."""

    scenario: Literal["canary-caught"] = "canary-caught"
    """Which simulation this is."""
    spec: CanarySpec
    """The parameters it ran with."""
    production_ppv: str
    """The production PPV (`template@version`)."""
    candidate_ppv: str
    """The candidate PPV."""
    sessions: int
    """Sessions simulated."""
    canary_sessions: list[str]
    """Session ids in the canary cohort."""
    expected_canary_sessions: float
    """Sessions x percent: the cohort size expected."""
    canary_turns_on_candidate: int
    """Canary turns served by the candidate."""
    production_turns: int
    """Turns of non-canary sessions."""
    production_turns_on_candidate: int
    """Turns of non-canary sessions served by the candidate (0 unless it was promoted)."""
    recalled: list[str]
    """Canary sessions moved back to production (memory reverted to their start) at the kill."""
    candidate_turns_after_decision: int
    """Turns served by the candidate after the gate decided (0 after a kill)."""
    gate: GateDecision
    """The gate's decision and its evidence."""
    production_label_by_tick: list[int]
    """The version `production` pointed at, tick by tick."""
    label_moves: list[LabelMove]
    """The label moves (restored after the simulation)."""
    judge: str
    """The judge that scored the turns."""
    runtime_s: float
    """Wall time of the simulation, seconds."""

    def expectations_met(self) -> dict[str, bool]:
        n, p = self.sessions, self.spec.percent / 100
        band = 3 * math.sqrt(n * p * (1 - p)) + 1
        out = {
            "canary_sessions_exist": bool(self.canary_sessions),
            "canary_share_within_tolerance": abs(len(self.canary_sessions) - n * p) <= band,
            "gate_verdict_as_expected": self.gate.verdict == self.spec.expected_verdict,
        }
        if self.spec.expected_verdict == "kill":
            out["killed_before_promotion"] = self.spec.candidate_version not in self.production_label_by_tick
            out["production_sessions_untouched"] = self.production_turns_on_candidate == 0
            out["no_candidate_turn_after_kill"] = self.candidate_turns_after_decision == 0
        return out


def simulate_canary(
    stack: Stack,
    *,
    config: RunConfig,
    golden: Sequence[GoldenItem] | None = None,
    spec: CanarySpec | None = None,
    judge: Judge = default_judge,
) -> CanaryResult:
    """Ship the candidate PPV to a canary by session id and let the gate kill or promote it."""
    spec = spec or CanarySpec()
    started = time.perf_counter()
    items = list(golden) if golden is not None else project_golden()
    prod, cand = f"{spec.template}@{spec.production_version}", f"{spec.template}@{spec.candidate_version}"
    stack.prompts.resolve(prod)
    stack.prompts.resolve(cand)
    plan = plan_sessions(items, sessions=spec.sessions, turns=spec.turns, arrival_ticks=spec.arrival_ticks, prefix="c")
    end = last_tick(plan) + 1
    original = stack.prompts.labels()
    moves: list[LabelMove] = []
    labels_by_tick: list[int] = []
    gate: GateDecision | None = None
    recalled: list[str] = []
    canary = Canary(percent=spec.percent, salt=spec.salt)
    try:
        stack.prompts.move_label(template=spec.template, label="production", version=spec.production_version)
        moves.append(stack.prompts.move_label(template=spec.template, label=canary.label, version=spec.candidate_version))
        manager = SessionManager(
            stack, "pin", config=config, template=spec.template, canary=canary, memory_window=spec.memory_window, judge=judge
        )
        prewarm(manager, plan)
        for t in range(end):
            labels_by_tick.append(stack.prompts.labels()[spec.template]["production"])
            run_tick(manager, plan, t)
            if gate is None:
                gate = _gate(manager, canary, spec, at=t, candidate=cand)
                if gate is not None:
                    recalled = _act(stack, manager, canary, spec, gate, moves, production=prod, candidate=cand)
    finally:
        restore_labels(stack, original)
    gate = gate or GateDecision(
        verdict="undecided",
        at=None,
        canary_turns=0,
        production_turns=0,
        checks=[],
        reason="the traffic ended before the gate could decide",
    )
    return _result(list(manager.sessions.values()), spec, gate, canary, recalled, labels_by_tick, moves, judge, started, end)


def _gate(manager: SessionManager, canary: Canary, spec: CanarySpec, *, at: int, candidate: str) -> GateDecision | None:
    """The gate's decision after tick `at` (None: not yet)."""
    turns = [(s, tn) for s in manager.sessions.values() for tn in s.turns]
    return decide(
        [tn for s, tn in turns if s.follows == canary.label and tn.ppv == candidate],
        [tn for s, tn in turns if s.follows == "production"],
        at=at,
        min_canary_turns=spec.min_canary_turns,
        max_drop=spec.max_drop,
        window_over=at >= spec.observe_ticks - 1,
    )


def _act(
    stack: Stack,
    manager: SessionManager,
    canary: Canary,
    spec: CanarySpec,
    gate: GateDecision,
    moves: list[LabelMove],
    *,
    production: str,
    candidate: str,
) -> list[str]:
    """Carry out the gate's verdict: kill (recall the canary sessions, memory reverted) or promote."""
    recalled: list[str] = []
    if gate.verdict == "kill":
        moves.append(stack.prompts.move_label(template=spec.template, label=canary.label, version=spec.production_version))
        manager.canary = None
        recalled = manager.recall(
            candidate,
            to_ppv=production,
            at=gate.at + 1 if gate.at is not None else 0,
            revert_to_at=-1,
            reason="canary killed: memory reverted to the session start",
        )
        manager.revert_memory(candidate, to_at=-1)  # canary sessions that already ended
    elif gate.verdict == "promote":
        moves.append(stack.prompts.move_label(template=spec.template, label="production", version=spec.candidate_version))
        manager.canary = None
    return recalled


def _result(
    sessions: list[Session],
    spec: CanarySpec,
    gate: GateDecision,
    canary: Canary,
    recalled: list[str],
    labels_by_tick: list[int],
    moves: list[LabelMove],
    judge: Judge,
    started: float,
    end: int,
) -> CanaryResult:
    prod, cand = f"{spec.template}@{spec.production_version}", f"{spec.template}@{spec.candidate_version}"
    decided = gate.at if gate.at is not None else end
    return CanaryResult(
        spec=spec,
        production_ppv=prod,
        candidate_ppv=cand,
        sessions=len(sessions),
        canary_sessions=[s.session_id for s in sessions if s.follows == canary.label],
        expected_canary_sessions=len(sessions) * spec.percent / 100,
        canary_turns_on_candidate=sum(t.ppv == cand for s in sessions if s.follows == canary.label for t in s.turns),
        production_turns=sum(len(s.turns) for s in sessions if s.follows == "production"),
        production_turns_on_candidate=sum(t.ppv == cand for s in sessions if s.follows == "production" for t in s.turns),
        recalled=recalled,
        candidate_turns_after_decision=sum(t.ppv == cand and t.at > decided for s in sessions for t in s.turns),
        gate=gate,
        production_label_by_tick=labels_by_tick,
        label_moves=moves,
        judge=getattr(judge, "__name__", type(judge).__name__),
        runtime_s=round(time.perf_counter() - started, 3),
    )


@register("drill")
class CanaryDrill(SimulationDrill):
    """The canary simulation through the skeleton: the gate is the detector, the kill the rollback."""

    kind = "canary"
    pieces = frozenset({"inject", "traffic", "detect", "rollback", "verify"})

    def simulate(self) -> tuple[BaseModel, dict[str, bool], list[LabelMove]]:
        self.result = simulate_canary(self.stack, config=self.config, spec=CanarySpec.model_validate(self.params))
        return self.result, self.result.expectations_met(), self.result.label_moves

    def traffic(self, window: str) -> TrafficDetail:
        """`baseline`: production turns; `fault`: canary turns on the candidate (the gate's evidence)."""
        gate = self.result.gate
        first = next((c for c in gate.checks if c.check == "correct"), gate.checks[0] if gate.checks else None)
        if window == "baseline":
            rate = first.production_passed / first.production_total if first and first.production_total else None
            return TrafficDetail(window="baseline", requests=self.result.production_turns, pass_rate=rate)
        rate = first.canary_passed / first.canary_total if first and first.canary_total else None
        return TrafficDetail(window="fault", requests=self.result.canary_turns_on_candidate, pass_rate=rate)

    def detect(self) -> DetectDetail:
        fired = ["canary-gate"] if self.result.gate.verdict == "kill" else []
        return DetectDetail(detectors=1, fired=fired)

    def recovered(self) -> bool:
        return self.met.get("production_sessions_untouched", True)
