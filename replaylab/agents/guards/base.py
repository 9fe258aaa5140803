"""What every guard shares: clocks, the step a guard sees, trip events, and the guard protocol."""

from __future__ import annotations

import json
import time
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from replaylab.errors import ConfigError, ReplaylabError


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
