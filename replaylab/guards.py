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
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Literal, ParamSpec, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from replaylab.errors import ConfigError, ReplaylabError

P = ParamSpec("P")
R = TypeVar("R")

BreakerState = Literal["closed", "open", "half_open"]


class Clock(Protocol):
    """A source of time in seconds; only differences between readings matter."""

    def now(self) -> float: ...


class SystemClock:
    """The process's monotonic clock."""

    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to, for tests and deterministic drills."""

    def __init__(self, *, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` (never backward)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        self._now += seconds


class StepInfo(BaseModel):
    """What an agent is about to do, as the guards see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: str
    """The agent taking the step."""
    tool: str | None = None
    """The tool it calls, or None for a step without a tool call."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """The tool's arguments, compared canonically (JSON with sorted keys)."""
    est_tokens: int = Field(default=0, ge=0)
    """Tokens the step is expected to use, checked against the budget before it runs."""
    est_cost: float = Field(default=0.0, ge=0.0)
    """USD the step is expected to cost, checked against the budget before it runs."""
    callee: str | None = None
    """The agent this step asks, for an inter-agent call (an edge agent -> callee)."""


class GuardEvent(BaseModel):
    """One guard refusing a step, or halting the session after one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["guard_trip"] = "guard_trip"
    guard: str
    """circuit_breaker, step_cap, loop_guard, budget or cycle_detector."""
    reason: str
    """Why, in words: "loop guard: search_docs called 3 times with the same ..."."""
    step: int
    """The step number (1-based) that was refused or whose charge crossed the budget."""
    at: float
    """Clock reading when the guard tripped."""
    agent: str | None = None
    """The agent whose step tripped the guard."""


class GuardTripped(ReplaylabError):
    """A guard refused a step; `event` says which and why. Exit 1: a deviation."""

    exit_code = 1

    def __init__(self, event: GuardEvent) -> None:
        super().__init__(event.reason)
        self.event = event


def _canonical(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, default=str)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


class _Guard:
    """Per step a guard answers: would you refuse it (pure)? Then: admit it."""

    name = ""

    def __init__(self, *, clock: Clock | None) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        # steps admitted while used alone, to number its own events
        self._admitted = 0

    def refusal(self, step: StepInfo) -> str | None:
        """Why this step must not run, or None; changes nothing."""
        return None

    def admit(self, step: StepInfo) -> None:
        """Record that the step runs."""

    def check(self, step: StepInfo) -> None:
        """Admit the step or raise GuardTripped (for a guard used outside a GuardSet)."""
        reason = self.refusal(step)
        if reason is not None:
            raise self._tripped(reason, step=self._admitted + 1, agent=step.agent)
        self.admit(step)
        self._admitted += 1

    def _tripped(self, reason: str, *, step: int, agent: str | None) -> GuardTripped:
        at = self.clock.now()
        event = GuardEvent(guard=self.name, reason=reason, step=step, at=at, agent=agent)
        return GuardTripped(event)


class CircuitBreaker(_Guard):
    """Closed until `failure_threshold` failures fall within `window_s`; then open
    (refusing every call) for `cooldown_s`; then half-open, letting exactly one trial
    call through: its success closes the breaker, its failure opens it again."""

    name = "circuit_breaker"

    def __init__(
        self, *, failure_threshold: int = 3, window_s: float = 30.0, cooldown_s: float = 60.0, clock: Clock | None = None
    ) -> None:
        _require(
            failure_threshold >= 1 and window_s >= 0 and cooldown_s >= 0,
            f"circuit breaker needs failure_threshold >= 1 and times >= 0; got "
            f"{failure_threshold} failures, window {window_s} s, cool-down {cooldown_s} s",
        )
        super().__init__(clock=clock)
        self.failure_threshold = failure_threshold
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self._failures: deque[float] = deque()
        self._state: BreakerState = "closed"
        self._opened_at = 0.0
        self._opened_because = ""
        self._trial_out = False

    @property
    def state(self) -> BreakerState:
        """closed, open or half_open; an open breaker is half-open once cooled down."""
        now = self.clock.now()
        if self._state == "open" and now - self._opened_at >= self.cooldown_s:
            self._state = "half_open"
            self._trial_out = False
        return self._state

    def allow(self) -> bool:
        """May a call go through now? When half-open, only the first asker gets yes."""
        state = self.state
        if state == "half_open" and not self._trial_out:
            self._trial_out = True
            return True
        return state == "closed"

    def record_success(self) -> None:
        """A call succeeded; when half-open this closes the breaker."""
        if self.state == "half_open":
            self._state = "closed"
            self._failures.clear()

    def record_failure(self) -> None:
        """A call failed. Failures reported while open (from calls let through
        before it opened) are ignored."""
        state = self.state
        now = self.clock.now()
        if state == "half_open":
            self._open(now, because="its half-open trial call failed")
        elif state == "closed":
            self._failures.append(now)
            while now - self._failures[0] > self.window_s:
                self._failures.popleft()
            if len(self._failures) >= self.failure_threshold:
                n = len(self._failures)
                self._open(now, because=f"{n} failures within {self.window_s:g} s")

    def _open(self, now: float, *, because: str) -> None:
        self._state = "open"
        self._opened_at = now
        self._opened_because = because
        self._failures.clear()

    def refusal(self, step: StepInfo) -> str | None:
        state = self.state
        if state == "open":
            left = self.cooldown_s - (self.clock.now() - self._opened_at)
            return f"circuit breaker: open because {self._opened_because}; cooling down for another {left:.1f} s"
        if state == "half_open" and self._trial_out:
            return "circuit breaker: half-open, its one trial call not back yet"
        return None

    def admit(self, step: StepInfo) -> None:
        self.allow()

    def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `fn` through the breaker: a refused call raises GuardTripped; an
        exception from `fn` is recorded as a failure and re-raised."""
        self.check(StepInfo(agent=getattr(fn, "__name__", "call")))
        try:
            result = fn(*args, **kwargs)
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result


class StepCap(_Guard):
    """At most `max_steps` steps per session."""

    name = "step_cap"

    def __init__(self, max_steps: int, *, clock: Clock | None = None) -> None:
        _require(max_steps >= 0, f"step cap needs max_steps >= 0, got {max_steps}")
        super().__init__(clock=clock)
        self.max_steps = max_steps
        self.steps = 0

    def refusal(self, step: StepInfo) -> str | None:
        if self.steps >= self.max_steps:
            return f"step cap: the session already took its limit of {self.max_steps} steps"
        return None

    def admit(self, step: StepInfo) -> None:
        self.steps += 1


class LoopGuard(_Guard):
    """Halts when one tool is called with the same arguments more than `max_repeats`
    times: with the default 2, the third identical call is refused."""

    name = "loop_guard"

    def __init__(self, *, max_repeats: int = 2, clock: Clock | None = None) -> None:
        _require(max_repeats >= 1, f"loop guard needs max_repeats >= 1, got {max_repeats}")
        super().__init__(clock=clock)
        self.max_repeats = max_repeats
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, tool: str, arguments: dict[str, Any]) -> int:
        """How many admitted calls used this tool with these arguments."""
        return self._counts.get((tool, _canonical(arguments)), 0)

    def refusal(self, step: StepInfo) -> str | None:
        if step.tool is None:
            return None
        args = _canonical(step.arguments)
        seen = self._counts.get((step.tool, args), 0)
        if seen < self.max_repeats:
            return None
        return f"loop guard: {step.tool} called {seen + 1} times with the same arguments {args}"

    def admit(self, step: StepInfo) -> None:
        if step.tool is not None:
            key = (step.tool, _canonical(step.arguments))
            self._counts[key] = self._counts.get(key, 0) + 1


class Budget(_Guard):
    """A hard token and/or USD cap per session. A step whose estimate would take
    spending past a cap is refused; if its real charge still crosses the cap the
    session halts there, so a cap is exceeded by at most one step's cost."""

    name = "budget"

    def __init__(self, *, max_tokens: int | None = None, max_cost_usd: float | None = None, clock: Clock | None = None) -> None:
        _require(
            max_tokens is not None or max_cost_usd is not None,
            "budget needs max_tokens or max_cost_usd; pass budget=None to turn it off",
        )
        _require(
            (max_tokens or 0) >= 0 and (max_cost_usd or 0.0) >= 0,
            f"budget caps must be >= 0; got {max_tokens} tokens, ${max_cost_usd}",
        )
        super().__init__(clock=clock)
        self.max_tokens = max_tokens
        self.max_cost_usd = max_cost_usd
        self.tokens = 0
        """Tokens charged so far."""
        self.cost_usd = 0.0
        """USD charged so far."""

    def _over(self, tokens: int, cost: float) -> str | None:
        """Which cap these totals cross, in words, or None."""
        if self.max_tokens is not None and tokens > self.max_tokens:
            return f"{tokens} tokens, over the cap of {self.max_tokens}"
        if self.max_cost_usd is not None and cost > self.max_cost_usd:
            return f"${cost:.4f}, over the cap of ${self.max_cost_usd:.4f}"
        return None

    def refusal(self, step: StepInfo) -> str | None:
        over = self._over(self.tokens + step.est_tokens, self.cost_usd + step.est_cost)
        if over is None:
            return None
        return f"budget: this step's estimate would take the session to {over}"

    def overrun(self, tokens: int, cost: float) -> str | None:
        """Charge a step's real spending; say which cap it crossed, or None."""
        self.tokens += tokens
        self.cost_usd += cost
        over = self._over(self.tokens, self.cost_usd)
        return None if over is None else f"budget: the session has spent {over}"

    def charge(self, tokens: int, cost: float) -> None:
        """Charge a step's real spending; raise GuardTripped if it crossed a cap."""
        reason = self.overrun(tokens, cost)
        if reason is not None:
            raise self._tripped(reason, step=self._admitted, agent=None)


class CycleDetector(_Guard):
    """Watches the inter-agent call graph (caller -> callee). Records each cycle the
    moment it closes, and refuses the call that would traverse a cycle more than
    `max_cycle_repeats` times (every edge on it called that often): with the
    default 1, the second round of any cycle trips."""

    name = "cycle_detector"

    def __init__(self, *, max_cycle_repeats: int = 1, clock: Clock | None = None) -> None:
        _require(max_cycle_repeats >= 1, f"cycle detector needs max_cycle_repeats >= 1, got {max_cycle_repeats}")
        super().__init__(clock=clock)
        self.max_cycle_repeats = max_cycle_repeats
        self._calls: dict[str, dict[str, int]] = {}  # caller -> callee -> times
        self._seen: set[tuple[str, ...]] = set()
        self.cycles: list[list[str]] = []
        """Each distinct cycle (the agents on it, caller first) in the order it closed."""
        self.last_cycle: list[str] | None = None
        """The cycle the last admitted call closed, or None."""

    def _closes(self, caller: str, callee: str, *, level: int) -> list[str] | None:
        """The cycle caller -> callee ~> caller over edges called >= `level` times."""
        if caller == callee:
            return [caller]
        parent = {callee: callee}
        stack = [callee]
        while stack:
            node = stack.pop()
            for nxt, times in self._calls.get(node, {}).items():
                if times < level or nxt in parent:
                    continue
                parent[nxt] = node
                if nxt == caller:
                    back = [node]  # walk back from caller's predecessor to callee
                    while back[-1] != callee:
                        back.append(parent[back[-1]])
                    return [caller, *reversed(back)]
                stack.append(nxt)
        return None

    def refusal(self, step: StepInfo) -> str | None:
        if step.callee is None:
            return None
        level = self._calls.get(step.agent, {}).get(step.callee, 0) + 1
        if level <= self.max_cycle_repeats:
            return None
        cycle = self._closes(step.agent, step.callee, level=level)
        if cycle is None:
            return None
        loop = " -> ".join([*cycle, cycle[0]])
        return f"cycle detector: agents calling in a cycle {loop}, round {level}"

    def admit(self, step: StepInfo) -> None:
        self.last_cycle = None
        if step.callee is None:
            return
        out = self._calls.setdefault(step.agent, {})
        out[step.callee] = out.get(step.callee, 0) + 1
        cycle = self._closes(step.agent, step.callee, level=1)
        if cycle is not None:
            self.last_cycle = cycle
            start = cycle.index(min(cycle))
            key = tuple(cycle[start:] + cycle[:start])
            if key not in self._seen:
                self._seen.add(key)
                self.cycles.append(cycle)

    def add_call(self, caller: str, callee: str) -> list[str] | None:
        """Record caller -> callee and return the cycle it closes, if any; raise
        GuardTripped if it would go round a cycle too often."""
        self.check(StepInfo(agent=caller, callee=callee))
        return self.last_cycle


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
