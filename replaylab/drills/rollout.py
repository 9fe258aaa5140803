"""A bad prompt rollout in stateful sessions, and the three ways to roll it back.

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

The simulation moves labels on the stack's real prompt registry and restores them when done.
The canary that catches such a rollout is in `replaylab.drills.canary` (re-exported here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.drills.canary import CanaryResult, CanarySpec, simulate_canary
from replaylab.drills.rollout_store import StoreReplay, drill_store, replay_in_store, store_check
from replaylab.drills.simulation import SimulationDrill, SimulationSpec, prewarm, restore_labels, turn_rate
from replaylab.drills.steps import BisectDetail, CheckDetail, DiagnoseDetail, TrafficDetail
from replaylab.errors import ConfigError
from replaylab.registry import register
from replaylab.sessions import (
    DrainReport,
    Judge,
    PlannedSession,
    Policy,
    Session,
    SessionManager,
    SessionStore,
    Turn,
    default_judge,
    drain_report,
    last_tick,
    plan_sessions,
    run_tick,
)
from replaylab.stack.corpus import GoldenItem, project_golden
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import LabelMove

__all__ = [
    "CanaryResult",
    "CanarySpec",
    "RolloutResult",
    "RolloutSpec",
    "StrategyOutcome",
    "measure_strategy",
    "simulate_canary",
    "simulate_rollout",
]

Strategy = Literal["hard_cutover", "let_them_finish", "pin_and_drain_with_memory_revert"]
STRATEGIES: tuple[Strategy, ...] = ("hard_cutover", "let_them_finish", "pin_and_drain_with_memory_revert")


class RolloutSpec(SimulationSpec):
    """The traffic and the incident of the bad-prompt-rollout drill."""

    sessions: int = Field(40, ge=1)
    """Sessions planned."""
    turns: int = Field(6, ge=1)
    """Turns per session (golden questions)."""
    arrival_ticks: int = Field(12, ge=1)
    """Sessions start evenly over ticks [0, arrival_ticks)."""
    promote_at: int = Field(3, ge=0)
    """Tick at which the bad PPV is promoted to `production`."""
    detect_after: int = Field(3, ge=1)
    """Ticks (turns of traffic) between the promotion and the detection, when `production` is moved back."""
    template: str = "rag-answer"
    """The prompt template rolled out."""
    good_version: int = 4
    """The good version (`production` before and after)."""
    bad_version: int = 5
    """The bad version promoted."""
    promotion: Policy = "pin"
    """How the bad promotion reached sessions: `pin` (new sessions only) or `hard_cutover` (every turn)."""
    memory_window: int = Field(3, ge=0)
    """Memory entries each turn reads."""

    @property
    def rollback_at(self) -> int:
        """The tick of the detection, when `production` is moved back."""
        return self.promote_at + self.detect_after


class StrategyOutcome(BaseModel):
    """What one rollback strategy cost, counted over the whole run."""

    strategy: Strategy
    """The rollback strategy."""
    routing_after_rollback: Policy
    """How turns resolved the label after the rollback."""
    turns: int
    """Turns served over the whole run."""
    bad_turns: int
    """Turns served under the bad PPV."""
    bad_turns_after_rollback: int
    """Bad-PPV turns after the rollback."""
    failed_turns: int
    """Turns the judge failed."""
    failed_turns_after_rollback: int
    """Failed turns after the rollback."""
    inconsistent_turns: int
    """Turns that read memory written under another PPV than their own."""
    inconsistent_turns_after_rollback: int
    """Inconsistent turns after the rollback."""
    corrupted_turns: int
    """Turns under a good PPV that read memory the bad PPV wrote."""
    sessions_affected: int
    """Sessions with at least one bad, inconsistent or corrupted turn."""
    sessions_affected_after_rollback: int
    """Sessions hurt after the rollback."""
    sessions_recalled: int
    """Active sessions moved off the bad PPV at the rollback."""
    sessions_memory_reverted: int
    """Sessions (active or ended) whose memory was reverted to before the promotion."""
    sessions_with_bad_memory_at_end: int
    """Sessions still holding memory the bad PPV wrote at the end."""
    only_ppv_changed: bool
    """Every turn ran under its session's starting ALV, MRV and TAV, and the PPV it was routed to."""
    drain: DrainReport
    """How the sessions on the bad PPV drained."""


class RolloutResult(BaseModel):
    """The three-way rollback comparison the drill journals."""

    scenario: Literal["bad-prompt-rollout-in-stateful-sessions"] = "bad-prompt-rollout-in-stateful-sessions"
    """Which simulation this is."""
    spec: RolloutSpec
    """The parameters it ran with."""
    good_ppv: str
    """The good PPV (`template@version`)."""
    bad_ppv: str
    """The bad PPV."""
    promoted_at: int
    """Tick of the promotion."""
    rolled_back_at: int
    """Tick of the detection and rollback."""
    sessions_in_flight_at_promotion: int
    """Sessions active when the bad PPV was promoted."""
    sessions_on_bad_at_detection: int
    """Active sessions on the bad PPV at the detection."""
    pass_rate_good: float | None
    """Judge pass rate of turns under the good PPV before the rollback."""
    pass_rate_bad: float | None
    """Judge pass rate of turns under the bad PPV before the rollback."""
    label_moves: list[LabelMove]
    """The promotion and the rollback (labels are restored after the simulation)."""
    strategies: list[StrategyOutcome]
    """Each rollback strategy's outcome."""
    judge: str
    """The judge that scored the turns."""
    runtime_s: float
    """Wall time of the simulation, seconds."""
    store: StoreReplay | None = None
    """The pin-and-drain rollback replayed through the real SQLite session store (None: not asked for)."""

    def outcome(self, strategy: Strategy) -> StrategyOutcome:
        """The outcome of one rollback strategy."""
        return next(o for o in self.strategies if o.strategy == strategy)

    def expectations_met(self) -> dict[str, bool]:
        """Each of the drill's own expectations, by key."""
        hard, finish = self.outcome("hard_cutover"), self.outcome("let_them_finish")
        drain = self.outcome("pin_and_drain_with_memory_revert")
        real = self.pass_rate_good is not None and self.pass_rate_bad is not None
        store = {} if self.store is None else {"session_store_pinned_drained_and_reverted_as_simulated": self.store.agrees}
        return store | {
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


def _end_tick(plan: Sequence[PlannedSession], spec: RolloutSpec) -> int:
    """The tick after the plan's last turn; the rollback must come before it."""
    end = last_tick(plan) + 1
    if spec.rollback_at >= end:
        raise ConfigError(
            f"The rollback at t={spec.rollback_at} comes after the last turn (t={end - 1}): "
            "lower promote_at/detect_after or add turns"
        )
    return end


def simulate_rollout(
    stack: Stack,
    *,
    config: RunConfig,
    golden: Sequence[GoldenItem] | None = None,
    spec: RolloutSpec | None = None,
    judge: Judge = default_judge,
    store: SessionStore | None = None,
) -> RolloutResult:
    """Promote a bad PPV under live sessions, detect it, and compare the three rollbacks; with a
    `store`, replay the pin-and-drain rollback through it (`replay_in_store`)."""
    spec = spec or RolloutSpec()
    started = time.perf_counter()
    items = list(golden) if golden is not None else project_golden()
    good, bad = f"{spec.template}@{spec.good_version}", f"{spec.template}@{spec.bad_version}"
    stack.prompts.resolve(good)
    stack.prompts.resolve(bad)
    plan = plan_sessions(items, sessions=spec.sessions, turns=spec.turns, arrival_ticks=spec.arrival_ticks)
    end = _end_tick(plan, spec)
    original = stack.prompts.labels()
    moves: list[LabelMove] = []
    try:
        stack.prompts.move_label(template=spec.template, label="production", version=spec.good_version)
        base = SessionManager(
            stack, spec.promotion, config=config, template=spec.template, memory_window=spec.memory_window, judge=judge
        )
        prewarm(base, plan)
        in_flight = 0
        for t in range(spec.rollback_at):
            if t == spec.promote_at:
                in_flight = len(base.active())
                moves.append(stack.prompts.move_label(template=spec.template, label="production", version=spec.bad_version))
            run_tick(base, plan, t)
        early = [t for s in base.sessions.values() for t in s.turns]
        on_bad = sum(s.artifact.ppv == bad for s in base.active())
        moves.append(stack.prompts.move_label(template=spec.template, label="production", version=spec.good_version))
        branches = {strategy: _branch(base, plan, spec, strategy, good=good, bad=bad, end=end) for strategy in STRATEGIES}
    finally:
        restore_labels(stack, original)
    replay = None
    if store is not None and spec.promotion == "pin":  # the store pins: a hard-cutover promotion has no replay
        replay = replay_in_store(store, stack, plan, branches[STRATEGIES[-1]][1], spec=spec, good=good, bad=bad)
    return RolloutResult(
        spec=spec,
        good_ppv=good,
        bad_ppv=bad,
        promoted_at=spec.promote_at,
        rolled_back_at=spec.rollback_at,
        sessions_in_flight_at_promotion=in_flight,
        sessions_on_bad_at_detection=on_bad,
        pass_rate_good=turn_rate(t for t in early if t.ppv == good),
        pass_rate_bad=turn_rate(t for t in early if t.ppv == bad),
        label_moves=moves,
        strategies=[outcome for outcome, _ in branches.values()],
        judge=getattr(judge, "__name__", type(judge).__name__),
        runtime_s=round(time.perf_counter() - started, 3),
        store=replay,
    )


def _branch(
    base: SessionManager, plan: Sequence[PlannedSession], spec: RolloutSpec, strategy: Strategy, *, good: str, bad: str, end: int
) -> tuple[StrategyOutcome, dict[str, Session]]:
    """Continue the history from the rollback under one strategy, on a copy of the sessions (returned too)."""
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
    outcome = measure_strategy(
        strategy,
        list(branch.sessions.values()),
        routing=routing,
        good_ppv=good,
        bad_ppv=bad,
        rollback_at=spec.rollback_at,
        recalled=len(recalled),
        reverted=len(reverted),
    )
    return outcome, branch.sessions


@register("drill")
class PromptRolloutDrill(SimulationDrill):
    """The rollout simulation through the skeleton; only the PPV changed, so the cause is the prompt."""

    kind = "prompt-rollout"
    pieces = frozenset({"inject", "traffic", "diagnose", "bisect", "check", "rollback", "verify"})

    def simulate(self) -> tuple[BaseModel, dict[str, bool], list[LabelMove]]:
        store = drill_store(self.stack, self.scenario.name, self.options.traces_dir)
        spec = RolloutSpec.model_validate(self.params)
        self.result = simulate_rollout(self.stack, config=self.config, spec=spec, store=store)
        self.journal.summary = self.result.table()
        return self.result, self.result.expectations_met(), self.result.label_moves

    def traffic(self, window: str) -> TrafficDetail:
        """`baseline`: turns under the good PPV before the rollback; `fault`: turns under the bad one."""
        if window == "baseline":
            return TrafficDetail(window="baseline", pass_rate=self.result.pass_rate_good)
        return TrafficDetail(window="fault", pass_rate=self.result.pass_rate_bad)

    def diagnose(self) -> DiagnoseDetail:
        return DiagnoseDetail(layer="generation", evidence=["the rollout moved only the PPV label (ALV, MRV, TAV unchanged)"])

    def bisect(self) -> BisectDetail:
        return BisectDetail(
            causes=["prompt"], stopped_because="one variable differs: the PPV the production label points at (no replay needed)"
        )

    def checks(self) -> Sequence[tuple[str, Callable[[], CheckDetail]]]:
        return [("session store: pinned, drained, reverted", lambda: store_check(self.result.store))]

    def recovered(self) -> bool:
        return self.met.get("pin_and_drain_serves_no_bad_turn_after_rollback", False)
