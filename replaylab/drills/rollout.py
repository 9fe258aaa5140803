"""Drill simulations: a bad prompt rollout in stateful sessions, and a canary that catches it.

**Bad prompt rollout** (`simulate_rollout`). Sessions of `turns` golden questions start
evenly over `arrival_ticks` ticks of a simulated clock; every active session takes one turn
per tick. At `promote_at` the bad PPV is promoted to `production`; the incident is detected
`detect_after` ticks later, at `rollback_at`, where `production` is moved back (one label
move: ALV, MRV and TAV are never touched). The history up to the rollback is run once; then
each rollback strategy continues from a copy of it:

- `hard_cutover`: every later turn resolves the label; sessions on the bad PPV switch
  mid-conversation and read memory the bad PPV wrote (inconsistent, corrupted turns).
- `let_them_finish`: sessions keep the PPV they are on and drain as they end; new
  sessions get the rollback. Sessions on the bad PPV go on serving it.
- `pin_and_drain_with_memory_revert`: sessions on the good PPV stay pinned and drain
  untouched; every active session on the bad PPV has its memory reverted to its snapshot
  from before the promotion (its empty start snapshot if it started after) and is moved to
  the good PPV at its next turn boundary; sessions that already ended under it get their
  memory reverted too. Nothing the bad PPV wrote is read again.

How the bad version reached sessions is `promotion`: `pin` (the team pins sessions: only
sessions started after the promotion got it) or `hard_cutover` (every turn resolved the
label, so sessions in flight switched to it too).

**Canary caught** (`simulate_canary`). The candidate PPV is shipped to `percent` % of
sessions keyed on session id. After every tick, once the canary has served
`min_canary_turns`, a gate compares canary and production turns check by check
(`correct`; `not_sycophantic` on false-premise questions; `evals` when the evaluator suite
is installed) and kills the canary flag if any check's pass rate falls more than `max_drop`
below production's; canary sessions are then recalled to production with their memory
reverted. If the observation window ends without a regression, the candidate is promoted.

Both simulations move labels on the stack's real prompt registry and restore them when done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.sessions import (
    Canary,
    DrainReport,
    GateDecision,
    Judge,
    PlannedSession,
    Policy,
    Session,
    SessionManager,
    StackResponder,
    Turn,
    decide,
    default_judge,
    drain_report,
    last_tick,
    plan_sessions,
    run_tick,
)
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import LabelMove

Strategy = Literal["hard_cutover", "let_them_finish", "pin_and_drain_with_memory_revert"]
STRATEGIES: tuple[Strategy, ...] = ("hard_cutover", "let_them_finish", "pin_and_drain_with_memory_revert")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _restore_labels(stack: Stack, original: dict[str, dict[str, int]]) -> None:
    """Move every label back and drop the labels the simulation created."""
    current = stack.prompts.labels()
    for template, labels in original.items():
        for label, version in labels.items():
            if current.get(template, {}).get(label) != version:
                stack.prompts.move_label(template=template, label=label, version=version)
    for template, labels in current.items():
        for label in labels:
            if label not in original.get(template, {}):
                stack.prompts.delete_label(template=template, label=label)


def _prewarm(manager: SessionManager, plan: Sequence[PlannedSession]) -> None:
    if isinstance(manager.responder, StackResponder):
        manager.responder.prewarm(item.question for p in plan for item in p.items)


def _rate(turns: Iterable[Turn]) -> float | None:
    seen = [t.passed for t in turns]
    return round(sum(seen) / len(seen), 4) if seen else None


# ---- bad prompt rollout in stateful sessions ---------------------------------------------


class RolloutSpec(_Spec):
    """The traffic and the incident of the bad-prompt-rollout drill."""

    sessions: int = Field(40, ge=1)
    turns: int = Field(6, ge=1)
    """Turns per session (golden questions)."""
    arrival_ticks: int = Field(12, ge=1)
    """Sessions start evenly over ticks [0, arrival_ticks)."""
    promote_at: int = Field(3, ge=0)
    """Tick at which the bad PPV is promoted to `production`."""
    detect_after: int = Field(3, ge=1)
    """Ticks (turns of traffic) between the promotion and the detection, when `production` is moved back."""
    template: str = "rag-answer"
    good_version: int = 4
    bad_version: int = 5
    promotion: Policy = "pin"
    """How the bad promotion reached sessions: `pin` (new sessions only) or `hard_cutover` (every turn)."""
    memory_window: int = Field(3, ge=0)
    """Memory entries each turn reads."""

    @property
    def rollback_at(self) -> int:
        return self.promote_at + self.detect_after


class StrategyOutcome(BaseModel):
    """What one rollback strategy cost, counted over the whole run."""

    strategy: Strategy
    routing_after_rollback: Policy
    turns: int
    bad_turns: int
    """Turns served under the bad PPV."""
    bad_turns_after_rollback: int
    failed_turns: int
    """Turns the judge failed."""
    failed_turns_after_rollback: int
    inconsistent_turns: int
    """Turns that read memory written under another PPV than their own."""
    inconsistent_turns_after_rollback: int
    corrupted_turns: int
    """Turns under a good PPV that read memory the bad PPV wrote."""
    sessions_affected: int
    """Sessions with at least one bad, inconsistent or corrupted turn."""
    sessions_affected_after_rollback: int
    sessions_recalled: int
    """Active sessions moved off the bad PPV at the rollback."""
    sessions_memory_reverted: int
    """Sessions (active or ended) whose memory was reverted to before the promotion."""
    sessions_with_bad_memory_at_end: int
    only_ppv_changed: bool
    """Every turn ran under its session's starting ALV, MRV and TAV, and the PPV it was routed to."""
    drain: DrainReport


class RolloutResult(BaseModel):
    """The three-way rollback comparison the drill journals."""

    scenario: Literal["bad-prompt-rollout-in-stateful-sessions"] = "bad-prompt-rollout-in-stateful-sessions"
    spec: RolloutSpec
    good_ppv: str
    bad_ppv: str
    promoted_at: int
    rolled_back_at: int
    sessions_in_flight_at_promotion: int
    sessions_on_bad_at_detection: int
    pass_rate_good: float | None
    """Judge pass rate of turns under the good PPV before the rollback."""
    pass_rate_bad: float | None
    """Judge pass rate of turns under the bad PPV before the rollback."""
    label_moves: list[LabelMove]
    """The promotion and the rollback (labels are restored after the simulation)."""
    strategies: list[StrategyOutcome]
    judge: str
    runtime_s: float

    def outcome(self, strategy: Strategy) -> StrategyOutcome:
        return next(o for o in self.strategies if o.strategy == strategy)

    def expectations_met(self) -> dict[str, bool]:
        hard, finish = self.outcome("hard_cutover"), self.outcome("let_them_finish")
        drain = self.outcome("pin_and_drain_with_memory_revert")
        real = self.pass_rate_good is not None and self.pass_rate_bad is not None
        return {
            "incident_reached_sessions": self.sessions_on_bad_at_detection > 0,
            "bad_ppv_fails_more_than_good": real and (self.pass_rate_bad or 0.0) < (self.pass_rate_good or 0.0),
            "pin_and_drain_serves_fewer_bad_turns_than_let_them_finish": drain.bad_turns < finish.bad_turns,
            "pin_and_drain_has_fewer_inconsistent_turns_than_hard_cutover": drain.inconsistent_turns < hard.inconsistent_turns,
            "pin_and_drain_serves_no_bad_turn_after_rollback": drain.bad_turns_after_rollback == 0,
            "pin_and_drain_leaves_no_corrupted_memory": drain.corrupted_turns == 0 and drain.sessions_with_bad_memory_at_end == 0,
            "rollback_changed_only_the_ppv": all(o.only_ppv_changed for o in self.strategies),
        }

    def table(self) -> str:
        """The comparison as a fixed-width text table."""
        head = (
            f"{'strategy':34} {'bad':>5} {'bad>rb':>6} {'failed':>6} {'incons':>6} {'corrupt':>7} "
            f"{'affected':>8} {'recalled':>8} {'badmem':>6} {'drain':>5}"
        )
        rows = [head]
        for o in self.strategies:
            rows.append(
                f"{o.strategy:34} {o.bad_turns:>5} {o.bad_turns_after_rollback:>6} {o.failed_turns:>6} "
                f"{o.inconsistent_turns:>6} {o.corrupted_turns:>7} {o.sessions_affected:>8} "
                f"{o.sessions_recalled:>8} {o.sessions_with_bad_memory_at_end:>6} "
                f"{o.drain.ticks_to_drain:>5}"
            )
        return "\n".join(rows)


def measure_strategy(
    strategy: Strategy,
    sessions: Sequence[Session],
    *,
    routing: Policy,
    good_ppv: str,
    bad_ppv: str,
    rollback_at: int,
    recalled: int,
    reverted: int,
) -> StrategyOutcome:
    """Count a finished run's bad, failed, inconsistent and corrupted turns, and its drain."""
    turns = [t for s in sessions for t in s.turns]

    def corrupted(t: Turn) -> bool:
        return t.ppv != bad_ppv and t.read_from(bad_ppv)

    def hurt(t: Turn) -> bool:
        return t.ppv == bad_ppv or t.inconsistent or corrupted(t)

    def clean(s: Session) -> bool:
        return all(
            t.artifact is not None and t.artifact.same_except_ppv(s.started_under) and t.artifact.ppv == t.ppv for t in s.turns
        )

    late = [t for t in turns if t.at >= rollback_at]
    return StrategyOutcome(
        strategy=strategy,
        routing_after_rollback=routing,
        turns=len(turns),
        bad_turns=sum(t.ppv == bad_ppv for t in turns),
        bad_turns_after_rollback=sum(t.ppv == bad_ppv for t in late),
        failed_turns=sum(not t.passed for t in turns),
        failed_turns_after_rollback=sum(not t.passed for t in late),
        inconsistent_turns=sum(t.inconsistent for t in turns),
        inconsistent_turns_after_rollback=sum(t.inconsistent for t in late),
        corrupted_turns=sum(corrupted(t) for t in turns),
        sessions_affected=sum(any(hurt(t) for t in s.turns) for s in sessions),
        sessions_affected_after_rollback=sum(any(hurt(t) for t in s.turns if t.at >= rollback_at) for s in sessions),
        sessions_recalled=recalled,
        sessions_memory_reverted=reverted,
        sessions_with_bad_memory_at_end=sum(bad_ppv in s.written_by.values() for s in sessions),
        only_ppv_changed=all(clean(s) for s in sessions),
        drain=drain_report(sessions, moved_at=rollback_at, from_ppv=bad_ppv, to_ppv=good_ppv),
    )


def simulate_rollout(
    stack: Stack,
    *,
    config: RunConfig,
    golden: Sequence[GoldenItem] | None = None,
    spec: RolloutSpec | None = None,
    judge: Judge = default_judge,
) -> RolloutResult:
    """Promote a bad PPV under live sessions, detect it, and compare the three rollbacks."""
    spec = spec or RolloutSpec()
    started = time.perf_counter()
    items = list(golden) if golden is not None else load_golden()
    good, bad = f"{spec.template}@{spec.good_version}", f"{spec.template}@{spec.bad_version}"
    stack.prompts.resolve(good)
    stack.prompts.resolve(bad)
    plan = plan_sessions(items, sessions=spec.sessions, turns=spec.turns, arrival_ticks=spec.arrival_ticks)
    end = last_tick(plan) + 1
    if spec.rollback_at >= end:
        raise ConfigError(
            f"The rollback at t={spec.rollback_at} comes after the last turn (t={end - 1}): "
            "lower promote_at/detect_after or add turns"
        )
    original = stack.prompts.labels()
    moves: list[LabelMove] = []
    try:
        stack.prompts.move_label(template=spec.template, label="production", version=spec.good_version)
        base = SessionManager(
            stack, spec.promotion, config=config, template=spec.template, memory_window=spec.memory_window, judge=judge
        )
        _prewarm(base, plan)
        in_flight = 0
        for t in range(spec.rollback_at):
            if t == spec.promote_at:
                in_flight = len(base.active())
                moves.append(stack.prompts.move_label(template=spec.template, label="production", version=spec.bad_version))
            run_tick(base, plan, t)
        early = [t for s in base.sessions.values() for t in s.turns]
        on_bad = sum(s.artifact.ppv == bad for s in base.active())
        moves.append(stack.prompts.move_label(template=spec.template, label="production", version=spec.good_version))
        outcomes = []
        for strategy in STRATEGIES:
            routing: Policy = "hard_cutover" if strategy == "hard_cutover" else "pin"
            branch = base.fork(policy=routing)
            recalled: list[str] = []
            reverted: list[str] = []
            if strategy == "pin_and_drain_with_memory_revert":
                recalled = branch.recall(
                    bad,
                    to_ppv=good,
                    at=spec.rollback_at,
                    revert_to_at=spec.promote_at,
                    reason="rollback: memory reverted to before the promotion",
                )
                # sessions that already ended under the bad PPV keep memory too: revert it as well
                reverted = recalled + branch.revert_memory(bad, to_at=spec.promote_at)
            for t in range(spec.rollback_at, end):
                run_tick(branch, plan, t)
            outcomes.append(
                measure_strategy(
                    strategy,
                    list(branch.sessions.values()),
                    routing=routing,
                    good_ppv=good,
                    bad_ppv=bad,
                    rollback_at=spec.rollback_at,
                    recalled=len(recalled),
                    reverted=len(reverted),
                )
            )
    finally:
        _restore_labels(stack, original)
    return RolloutResult(
        spec=spec,
        good_ppv=good,
        bad_ppv=bad,
        promoted_at=spec.promote_at,
        rolled_back_at=spec.rollback_at,
        sessions_in_flight_at_promotion=in_flight,
        sessions_on_bad_at_detection=on_bad,
        pass_rate_good=_rate(t for t in early if t.ppv == good),
        pass_rate_bad=_rate(t for t in early if t.ppv == bad),
        label_moves=moves,
        strategies=outcomes,
        judge=getattr(judge, "__name__", type(judge).__name__),
        runtime_s=round(time.perf_counter() - started, 3),
    )


# ---- canary caught ------------------------------------------------------------------------


class CanarySpec(_Spec):
    """The canary drill: traffic, the canary split, and the gate's thresholds."""

    sessions: int = Field(400, ge=1)
    turns: int = Field(3, ge=1)
    arrival_ticks: int = Field(20, ge=1)
    percent: float = Field(1.0, ge=0.0, le=100.0)
    salt: str = "canary-1"
    template: str = "rag-answer"
    production_version: int = 4
    candidate_version: int = 5
    min_canary_turns: int = Field(6, ge=1)
    """Canary turns the gate waits for before it decides."""
    max_drop: float = Field(0.10, ge=0.0, le=1.0)
    """Kill when a check's canary pass rate is more than this below production's."""
    observe_ticks: int = Field(15, ge=1)
    """Promote if the window ends without a regression (with enough canary turns)."""
    expected_verdict: Literal["kill", "promote"] = "kill"
    memory_window: int = Field(3, ge=0)


class CanaryResult(BaseModel):
    scenario: Literal["canary-caught"] = "canary-caught"
    spec: CanarySpec
    production_ppv: str
    candidate_ppv: str
    sessions: int
    canary_sessions: list[str]
    expected_canary_sessions: float
    canary_turns_on_candidate: int
    production_turns: int
    production_turns_on_candidate: int
    """Turns of non-canary sessions served by the candidate (0 unless it was promoted)."""
    recalled: list[str]
    """Canary sessions moved back to production (memory reverted to their start) at the kill."""
    candidate_turns_after_decision: int
    gate: GateDecision
    production_label_by_tick: list[int]
    label_moves: list[LabelMove]
    judge: str
    runtime_s: float

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
    items = list(golden) if golden is not None else load_golden()
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
        _prewarm(manager, plan)
        for t in range(end):
            labels_by_tick.append(stack.prompts.labels()[spec.template]["production"])
            run_tick(manager, plan, t)
            if gate is not None:
                continue
            turns = [(s, tn) for s in manager.sessions.values() for tn in s.turns]
            gate = decide(
                [tn for s, tn in turns if s.follows == canary.label and tn.ppv == cand],
                [tn for s, tn in turns if s.follows == "production"],
                at=t,
                min_canary_turns=spec.min_canary_turns,
                max_drop=spec.max_drop,
                window_over=t >= spec.observe_ticks - 1,
            )
            if gate is not None and gate.verdict == "kill":
                moves.append(
                    stack.prompts.move_label(template=spec.template, label=canary.label, version=spec.production_version)
                )
                manager.canary = None
                recalled = manager.recall(
                    cand, to_ppv=prod, at=t + 1, revert_to_at=-1, reason="canary killed: memory reverted to the session start"
                )
                manager.revert_memory(cand, to_at=-1)  # canary sessions that already ended
            elif gate is not None and gate.verdict == "promote":
                moves.append(stack.prompts.move_label(template=spec.template, label="production", version=spec.candidate_version))
                manager.canary = None
    finally:
        _restore_labels(stack, original)
    if gate is None:
        gate = GateDecision(
            verdict="undecided",
            at=None,
            canary_turns=0,
            production_turns=0,
            checks=[],
            reason="the traffic ended before the gate could decide",
        )
    sessions = list(manager.sessions.values())
    canary_ids = [s.session_id for s in sessions if s.follows == canary.label]
    decided = gate.at if gate.at is not None else end
    return CanaryResult(
        spec=spec,
        production_ppv=prod,
        candidate_ppv=cand,
        sessions=len(sessions),
        canary_sessions=canary_ids,
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
