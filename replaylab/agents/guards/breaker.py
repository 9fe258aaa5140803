"""The circuit breaker: closed, open after repeated failures, half-open after a cool-down."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Literal, ParamSpec, TypeVar

from replaylab.agents.guards.base import Clock, StepInfo, _Guard, _require

P = ParamSpec("P")
R = TypeVar("R")

BreakerState = Literal["closed", "open", "half_open"]


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
