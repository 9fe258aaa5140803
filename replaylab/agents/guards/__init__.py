"""Agent guards: circuit breaker, step cap, loop guard, budget and cycle detector.

The playbook's Layer 3 failure is two sub-agents asking each other for clarification
with no circuit breaker, no budget cap and no loop detection. An agent loop wraps each
step in two calls:

    guards = GuardSet.standard(clock=SystemClock(), max_steps=20, max_cost_usd=1.0)
    for step in plan:
        guards.before_step(step)      # raises GuardTripped, which carries a GuardEvent
        result = run(step)
        guards.after_step(step, ok=result.ok, tokens=result.tokens, cost=result.cost)

A guard passed as None is off, so a drill can run the loop unguarded. Guards read time
only from an injected `Clock`; tests use `ManualClock`.

Modules: `base` (clocks, StepInfo, GuardEvent, the guard protocol), `breaker`, `limits`
(step cap, loop guard, budget), `cycles`; `GuardSet` lives here.
"""

from __future__ import annotations

from replaylab.agents.guards.base import Clock, GuardEvent, GuardTripped, ManualClock, StepInfo, SystemClock, _Guard
from replaylab.agents.guards.breaker import BreakerState, CircuitBreaker
from replaylab.agents.guards.cycles import CycleDetector
from replaylab.agents.guards.limits import Budget, LoopGuard, StepCap

__all__ = [
    "BreakerState",
    "Budget",
    "CircuitBreaker",
    "Clock",
    "CycleDetector",
    "GuardEvent",
    "GuardSet",
    "GuardTripped",
    "LoopGuard",
    "ManualClock",
    "StepCap",
    "StepInfo",
    "SystemClock",
]


class GuardSet:
    """The guards an agent loop needs, at two calls per step; a guard left None is off.
    Each trip's time is read from the clock of the guard that tripped.

    Refusals are checked in the order loop guard, cycle detector, budget, step cap,
    circuit breaker; the first wins and nothing is recorded for a refused step."""

    def __init__(
        self,
        *,
        breaker: CircuitBreaker | None = None,
        step_cap: StepCap | None = None,
        loop_guard: LoopGuard | None = None,
        budget: Budget | None = None,
        cycles: CycleDetector | None = None,
    ) -> None:
        self.breaker = breaker
        self.step_cap = step_cap
        self.loop_guard = loop_guard
        self.budget = budget
        self.cycles = cycles
        self.steps = 0
        """Steps admitted so far."""
        self.events: list[GuardEvent] = []
        """Every trip, in order."""

    @classmethod
    def standard(
        cls, *, clock: Clock | None = None, max_steps: int = 25, max_tokens: int | None = None, max_cost_usd: float | None = None
    ) -> GuardSet:
        """The playbook's guards: 3 failures in 30 s open the breaker, a step cap, the
        loop guard at two repeats, the cycle detector, and a budget if a cap is given."""
        clock = clock if clock is not None else SystemClock()
        budget = None
        if max_tokens is not None or max_cost_usd is not None:
            budget = Budget(max_tokens=max_tokens, max_cost_usd=max_cost_usd, clock=clock)
        return cls(
            breaker=CircuitBreaker(clock=clock),
            step_cap=StepCap(max_steps, clock=clock),
            loop_guard=LoopGuard(clock=clock),
            budget=budget,
            cycles=CycleDetector(clock=clock),
        )

    @property
    def tripped(self) -> bool:
        """Has any guard tripped in this session?"""
        return bool(self.events)

    def _trip(self, guard: _Guard, reason: str, *, step: int, agent: str) -> GuardTripped:
        tripped = guard._tripped(reason, step=step, agent=agent)
        self.events.append(tripped.event)
        return tripped

    def before_step(self, step: StepInfo) -> None:
        """Admit the step, or record a GuardEvent and raise GuardTripped."""
        guards: list[_Guard] = [
            g for g in (self.loop_guard, self.cycles, self.budget, self.step_cap, self.breaker) if g is not None
        ]
        for guard in guards:
            reason = guard.refusal(step)
            if reason is not None:
                raise self._trip(guard, reason, step=self.steps + 1, agent=step.agent)
        for guard in guards:
            guard.admit(step)
        self.steps += 1

    def after_step(self, step: StepInfo, *, ok: bool = True, tokens: int | None = None, cost: float | None = None) -> None:
        """Report how the step went: `ok` feeds the breaker; `tokens` and `cost` (the
        step's estimates when not given) are charged to the budget, which raises
        GuardTripped if they crossed a cap."""
        if self.breaker is not None:
            if ok:
                self.breaker.record_success()
            else:
                self.breaker.record_failure()
        if self.budget is not None:
            reason = self.budget.overrun(
                step.est_tokens if tokens is None else tokens,
                step.est_cost if cost is None else cost,
            )
            if reason is not None:
                raise self._trip(self.budget, reason, step=self.steps, agent=step.agent)
