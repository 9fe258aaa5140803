"""Routing-layer faults: a router that misclassifies, and agents that loop.

- `routing-misclassification`: a new router version goes out (`router: intent-v1 ->
  intent-v2`). intent-v2's "cost saving" rule sends every knowledge question of at most 12
  words to the cheap model; intent-v3 lowers the threshold and escalates questions about
  whom to contact. The questions it should break are chosen by mechanism: the ones whose
  handler changes and whose answer the new handler cannot give (escalated or sent to a tool;
  or, on the cheap model, answer lost from its 384-token window or placed where its primacy
  bias weighs it down: `generation.behaviour_changes` on the model swap).
- `agent-loop`: the tool interface moves to `tools-v2`, whose `ask_agent` schema drops the
  `context` field. Two support sub-agents that relied on it ask each other for
  clarification; with no guards deployed nothing stops them. It breaks agent sessions, not
  golden questions (`affected_qids` is empty): run it with `run_agent_loop_drill`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field

from replaylab.faults.base import Change, FaultBase, no_change, with_config
from replaylab.faults.generation import behaviour_changes
from replaylab.registry import register
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.variables import Layer


def handlers(stack: Stack, deployment: Deployment, items: Sequence[GoldenItem]) -> dict[str, str]:
    """qid -> the handler `deployment`'s router sends the question to (`rag` with no router)."""
    from replaylab.stack.router import get_router, route

    config = deployment.config
    if config.router is None:
        return {g.qid: "rag" for g in items}
    get_router(config.router).warm(stack, [g.question for g in items])
    return {g.qid: route(stack, g.question, config).span.handler for g in items}


@register("fault")
class RoutingMisclassification(FaultBase):
    """A new router version sends requests that need the capable model to the cheap one, or to the wrong handler."""

    kind: Literal["routing-misclassification"] = "routing-misclassification"
    to: str = "intent-v2"
    """The router version deployed under the fault (intent-v2: cheap model; intent-v3: escalation)."""

    layer: ClassVar[Layer] = "routing"
    summary: ClassVar[str] = "new router version: capable-model questions go to the cheap model or the wrong handler"
    baseline_fields: ClassVar[dict[str, Any]] = {"router": "intent-v1", "tools": "tools-v1"}

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        from replaylab.stack.router import get_router

        cfg = before.config
        if cfg.router is None:
            return no_change("no router is deployed (config.router is None); deploy intent-v1 first", before)
        if cfg.router == self.to:
            return no_change(f"router {self.to} is already deployed", before)
        new = get_router(self.to)  # an unknown version fails here, before anything is served
        after = with_config(before, router=self.to)
        old_h, new_h = handlers(stack, before, golden), handlers(stack, after, golden)
        moved = [g for g in golden if old_h[g.qid] != new_h[g.qid]]
        to_cheap = [g for g in moved if old_h[g.qid] == "rag" and new_h[g.qid] == "rag-cheap"]
        elsewhere = sorted(g.qid for g in moved if new_h[g.qid] not in ("rag", "rag-cheap"))
        cheap = with_config(before, model=new.cheap_model)
        lost, why = behaviour_changes(stack, before, cheap, to_cheap) if to_cheap else ([], [])
        shares = {h: sum(1 for v in new_h.values() if v == h) / len(golden) for h in sorted(set(new_h.values()))}
        return Change(
            after=after,
            affected_qids=sorted(set(lost) | set(elsewhere)),
            notes=[
                f"router {cfg.router} -> {self.to}: {len(moved)} of {len(golden)} golden questions change handler "
                f"({len(to_cheap)} to rag-cheap on {new.cheap_model}, {len(elsewhere)} to another handler)",
                "handler shares of the golden set under the fault: " + ", ".join(f"{h} {s:.0%}" for h, s in shares.items()),
                *[f"on {new.cheap_model}: {w}" for w in why],
            ],
        )


@register("fault")
class AgentLoop(FaultBase):
    """The tool interface drops `ask_agent.context`; two sub-agents then ask each other for clarification."""

    kind: Literal["agent-loop"] = "agent-loop"
    to: str = "tools-v2"
    """The tool-set version deployed under the fault."""
    guards_deployed: bool = False
    """Whether the agent runtime has its guards on (the incident: no breaker, no budget, no loop guard)."""
    sessions: int = Field(12, ge=1, le=500)
    """Agent sessions per traffic window in the drill."""
    horizon: int = Field(200, ge=10, le=10_000)
    """Steps after which an unguarded session is cut off in the simulation."""

    layer: ClassVar[Layer] = "routing"
    summary: ClassVar[str] = "two sub-agents ask each other for clarification with no circuit breaker"
    baseline_fields: ClassVar[dict[str, Any]] = {"tools": "tools-v1"}

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        from replaylab.stack.tools import TOOLSETS

        cfg = before.config
        if self.to not in TOOLSETS:
            return no_change(f"unknown tool set {self.to!r}; tool sets are {sorted(TOOLSETS)}", before)
        if cfg.tools == self.to:
            return no_change(f"tool set {self.to} is already deployed", before)
        after = with_config(before, tools=self.to)
        return Change(
            after=after,
            notes=[
                f"tool interface {cfg.tools or 'none'} -> {self.to}: ask_agent no longer carries `context`",
                "agent guards are "
                + ("on" if self.guards_deployed else "off: no circuit breaker, step cap, loop guard, budget or cycle detector"),
            ],
        )
