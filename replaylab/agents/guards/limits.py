"""Per-session limits: a step cap, a loop guard on repeated identical calls, and a token/cost budget."""

from __future__ import annotations

from typing import Any

from replaylab.agents.guards.base import Clock, StepInfo, _canonical, _Guard, _require


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
