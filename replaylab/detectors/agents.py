"""Routing-layer detectors: what the playbook says to alert on for Layer 3 and for cost and loops.

    det = RoutingShare().detect(window, baseline, stack=stack)   # a handler's traffic share moved
    det.fired, det.statistic, det.p_value, det.reason

- `routing-share` fires when the handler mix of the window differs from the baseline's
  (chi-square p < `alpha`) and one handler's share moved by at least `min_shift`. Playbook:
  "if one tool normally gets 20% of traffic and suddenly gets 80%, something broke".
- `call-graph-cycle` fires when a session's inter-agent calls (ask_agent caller -> callee)
  contain a cycle. Playbook: "log inter-agent call graphs and alert on cycles".
- `session-token-anomaly` fires when a session's tokens exceed `max(min_tokens, factor x
  the baseline's p95)`. Playbook: "track token counts per session ... alert on sessions
  exceeding a threshold".

Each reads traces only (the routing span, the generation span's token counts), so each
also runs, and stays quiet, on RAG traffic. Detector crashes are the drill's to record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from pydantic import Field

from replaylab.detectors.base import Detection, DetectorBase, fmt_p
from replaylab.registry import register
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import Layer


def shares(traces: Sequence[Trace]) -> dict[str, float]:
    """Share of traces per routing handler."""
    counts = Counter(t.routing.handler for t in traces)
    return {h: n / len(traces) for h, n in sorted(counts.items())} if traces else {}


def _mix(share: dict[str, float]) -> str:
    return ", ".join(f"{h} {v:.0%}" for h, v in share.items()) or "none"


@register("detector", "routing-share")
class RoutingShare(DetectorBase):
    """The handler mix moved: chi-square test of handler counts, window against baseline.

    `statistic` is the largest move of one handler's share (absolute), `p_value` the
    chi-square test's; it fires when p < `alpha` *and* the move is at least `min_shift`
    (statistically and practically significant)."""

    name: ClassVar[str] = "routing-share"
    layer: ClassVar[Layer] = "routing"
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    min_shift: float = Field(0.2, ge=0.0, le=1.0)
    min_requests: int = Field(8, ge=1)

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        from scipy.stats import chi2_contingency

        if len(window) < self.min_requests or len(baseline) < self.min_requests:
            return self.quiet(
                f"too few requests to compare ({len(baseline)} baseline, {len(window)} window; need {self.min_requests})",
                threshold=self.min_shift,
            )
        before, after = shares(baseline), shares(window)
        handlers = sorted(set(before) | set(after))
        if len(handlers) < 2:
            return self.quiet(f"every request went to {handlers[0]!r} in both windows", threshold=self.min_shift)
        # the handler whose share moved most; on a tie, the one that gained traffic
        moved = max(handlers, key=lambda h: (abs(after.get(h, 0.0) - before.get(h, 0.0)), after.get(h, 0.0)))
        shift = after.get(moved, 0.0) - before.get(moved, 0.0)
        table = np.array(
            [
                [sum(t.routing.handler == h for t in baseline) for h in handlers],
                [sum(t.routing.handler == h for t in window) for h in handlers],
            ]
        )
        chi2, p, dof, _ = chi2_contingency(table)
        fired = bool(p < self.alpha and abs(shift) >= self.min_shift)
        return Detection(
            name=self.name,
            fired=fired,
            statistic=round(abs(shift), 6),
            threshold=self.min_shift,
            p_value=float(p),
            reason=f"handler {moved!r} went from {before.get(moved, 0.0):.0%} to {after.get(moved, 0.0):.0%} of "
            f"{len(window)} requests (chi-square {chi2:.1f}, dof {dof}, p {fmt_p(float(p))}; fires at "
            f"p < {self.alpha:g} and a move >= {self.min_shift:.0%}); baseline mix: {_mix(before)}; "
            f"window mix: {_mix(after)}",
        )


def call_edges(trace: Trace) -> list[tuple[str, str]]:
    """(caller, callee) of every ask_agent call in the trace, in order."""
    return [(c.agent or "?", str(c.arguments.get("agent", "?"))) for c in trace.routing.tool_calls if c.tool == "ask_agent"]


def find_cycle(edges: Sequence[tuple[str, str]]) -> list[str] | None:
    """One cycle of the directed graph `edges` (its agents, in call order), or None."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, [])
        if b not in graph[a]:
            graph[a].append(b)
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        path.pop()
        return None

    for start in list(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


@register("detector", "call-graph-cycle")
class CallGraphCycle(DetectorBase):
    """Sessions whose inter-agent calls go round in a cycle. `statistic`: how many sessions."""

    name: ClassVar[str] = "call-graph-cycle"
    layer: ClassVar[Layer] = "routing"
    max_cyclic: int = Field(0, ge=0)
    """Cyclic sessions tolerated in a window before firing."""

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        cyclic: dict[str, list[str]] = {}
        calls = 0
        for t in window:
            edges = call_edges(t)
            calls += len(edges)
            cycle = find_cycle(edges)
            if cycle is not None:
                cyclic[t.trace_id] = cycle
        before = sum(1 for t in baseline if find_cycle(call_edges(t)) is not None)
        if not cyclic:
            return self.quiet(
                f"no cycle in the inter-agent call graphs of {len(window)} requests ({calls} ask_agent calls)",
                threshold=self.max_cyclic,
            )
        first_id, first = next(iter(cyclic.items()))
        loop = " -> ".join([*first, first[0]])
        return Detection(
            name=self.name,
            fired=len(cyclic) > self.max_cyclic,
            statistic=len(cyclic),
            threshold=self.max_cyclic,
            reason=f"{len(cyclic)} of {len(window)} sessions call agents in a cycle, e.g. {loop} in "
            f"{first_id}; {calls} ask_agent calls in the window ({before} cyclic sessions in the "
            "baseline)",
        )


def session_tokens(trace: Trace) -> int:
    """Prompt plus completion tokens the request spent (0 when it generated nothing)."""
    g = trace.generation
    return g.prompt_tokens + g.completion_tokens if g is not None else 0


@register("detector", "session-token-anomaly")
class SessionTokenAnomaly(DetectorBase):
    """Sessions spending far more tokens than any normal one. `statistic`: the largest session's tokens;
    `threshold`: max(`min_tokens`, `factor` x the baseline's 95th percentile)."""

    name: ClassVar[str] = "session-token-anomaly"
    layer: ClassVar[Layer] = "routing"
    min_tokens: int = Field(20_000, ge=1)
    """The hard per-session alert threshold: never fire below it (a RAG request spends ~1-2k)."""
    factor: float = Field(10.0, ge=1.0)

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        base = [session_tokens(t) for t in baseline]
        p95 = float(np.percentile(base, 95)) if base else 0.0
        threshold = max(float(self.min_tokens), self.factor * p95)
        tokens = {t.trace_id: session_tokens(t) for t in window}
        if not tokens:
            return self.quiet("empty window", threshold=threshold)
        worst = max(tokens, key=lambda k: tokens[k])
        over = sum(1 for n in tokens.values() if n > threshold)
        rule = f"max of {self.min_tokens:,} and {self.factor:g}x the baseline p95 of {p95:,.0f}"
        if not over:
            return Detection(
                name=self.name,
                fired=False,
                statistic=tokens[worst],
                threshold=threshold,
                reason=f"the largest session spent {tokens[worst]:,} tokens, under {threshold:,.0f} ({rule})",
            )
        return Detection(
            name=self.name,
            fired=True,
            statistic=tokens[worst],
            threshold=threshold,
            reason=f"{over} of {len(window)} sessions exceed {threshold:,.0f} tokens ({rule}); the worst, "
            f"{worst}, spent {tokens[worst]:,} ({tokens[worst] / max(p95, 1.0):,.0f}x the baseline p95)",
        )
