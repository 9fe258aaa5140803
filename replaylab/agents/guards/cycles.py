"""The call-graph cycle detector: agents asking each other round in circles."""

from __future__ import annotations

from replaylab.agents.guards.base import Clock, StepInfo, _Guard, _require


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
