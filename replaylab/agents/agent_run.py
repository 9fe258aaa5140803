"""What one agent session is configured with and what it did: `GuardConfig`, `AgentStep`, `AgentRun`.

`AgentRun.to_trace` turns a session into a Trace (tool calls in the routing span, one event
per step and per guard trip); the loop that fills an `AgentRun` is `agents.loop.run_session`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from replaylab.agents.guards import (
    Budget,
    CircuitBreaker,
    CycleDetector,
    GuardEvent,
    GuardSet,
    LoopGuard,
    ManualClock,
    StepCap,
)
from replaylab.agents.policies import Action, FinalAnswer, ToolAction
from replaylab.config import RunConfig
from replaylab.trace import GenerationSpan, ModelRuntime, RoutingSpan, ToolCall, Trace, TraceEvent, VersionSnapshot

__all__ = ["AGENT_MODEL", "AgentRun", "AgentStep", "GuardConfig", "arguments_of", "tool_of"]

AGENT_MODEL = "gpt-4o"


class GuardConfig(BaseModel):
    """The guards of one agent session; `enabled=False` is the incident's deployment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    max_steps: int = Field(12, ge=0)
    max_tokens: int | None = Field(None, ge=0)
    max_cost_usd: float | None = Field(0.05, ge=0.0)
    """Hard USD cap per session (None: no budget guard unless max_tokens is set)."""
    loop_max_repeats: int = Field(2, ge=1)
    """Identical tool calls allowed; the next one trips the loop guard."""
    cycle_max_repeats: int = Field(1, ge=1)
    breaker_failures: int = Field(3, ge=1)
    breaker_window_s: float = Field(30.0, ge=0.0)
    breaker_cooldown_s: float = Field(60.0, ge=0.0)

    @classmethod
    def off(cls) -> GuardConfig:
        """No circuit breaker, no step cap, no loop guard, no budget, no cycle detector."""
        return cls(enabled=False)

    @classmethod
    def playbook(cls) -> GuardConfig:
        """The playbook's guards: 3 failures in 30 s, a step cap, loop guard at two repeats, a budget."""
        return cls()

    def build(self, clock: ManualClock) -> GuardSet:
        if not self.enabled:
            return GuardSet()
        budget = None
        if self.max_tokens is not None or self.max_cost_usd is not None:
            budget = Budget(max_tokens=self.max_tokens, max_cost_usd=self.max_cost_usd, clock=clock)
        return GuardSet(
            breaker=CircuitBreaker(
                failure_threshold=self.breaker_failures,
                window_s=self.breaker_window_s,
                cooldown_s=self.breaker_cooldown_s,
                clock=clock,
            ),
            step_cap=StepCap(self.max_steps, clock=clock),
            loop_guard=LoopGuard(max_repeats=self.loop_max_repeats, clock=clock),
            budget=budget,
            cycles=CycleDetector(max_cycle_repeats=self.cycle_max_repeats, clock=clock),
        )

    def label(self) -> str:
        if not self.enabled:
            return "off"
        caps = [f"{self.max_steps} steps", f"loop x{self.loop_max_repeats}", f"cycle x{self.cycle_max_repeats}"]
        if self.max_cost_usd is not None:
            caps.append(f"${self.max_cost_usd:g}")
        if self.max_tokens is not None:
            caps.append(f"{self.max_tokens} tokens")
        return "on (" + ", ".join(caps) + ")"


class AgentStep(BaseModel):
    """One model call and the tool call it proposed."""

    n: int
    """1-based step number."""
    agent: str
    depth: int
    """How many ask_agent calls deep the agent's frame is."""
    action: Action
    callee: str | None = None
    ok: bool = True
    """The tool call succeeded (a final answer is always ok)."""
    result: str = ""
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    at: float
    """Simulated clock reading when the step ran."""


class AgentRun(BaseModel):
    """One agent session: every step, every tool call, the halt and the bill."""

    question: str
    tools: str
    guards: GuardConfig
    entry: str
    steps: list[AgentStep] = []
    tool_calls: list[ToolCall] = []
    """Executed tool calls (a refused proposal is in `guard_events`, not here)."""
    answer: str | None = None
    """The entry agent's final answer, or the hand-off message when halted."""
    halted_by: str | None = None
    """The guard that tripped, `horizon`, or None when the entry agent answered."""
    guard_events: list[GuardEvent] = []
    refused: ToolAction | None = None
    """The proposal a guard refused."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def resolved(self) -> bool:
        """The entry agent answered with no guard trip and before the horizon."""
        return self.halted_by is None and not self.guard_events

    def within(self, *, max_tokens: int) -> bool:
        """Bounded: ended (answer or guard) before the horizon and within `max_tokens`."""
        return self.halted_by != "horizon" and self.tokens <= max_tokens

    def call_graph(self) -> list[tuple[str, str]]:
        """Inter-agent edges (caller, callee), in call order."""
        return [(c.agent, str(c.arguments.get("agent"))) for c in self.tool_calls if c.tool == "ask_agent"]

    def to_trace(
        self,
        config: RunConfig,
        *,
        created_at: datetime | None = None,
        trace_id: str | None = None,
        session_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Trace:
        """The session as a Trace: tool calls in the routing span, one event per step and per guard trip."""
        created = created_at or datetime.now(timezone.utc)
        config = config.model_copy(update={"tools": self.tools})
        tid = (
            trace_id
            or "tr-"
            + hashlib.sha256(
                f"{self.question}|{config.digest()}|{self.guards.label()}|{created.isoformat()}".encode()
            ).hexdigest()[:16]
        )
        return Trace(
            trace_id=tid,
            created_at=created,
            question=self.question,
            session_id=session_id,
            config=config,
            versions=self._versions(),
            routing=RoutingSpan(
                router=config.router,
                intent="account",
                confidence=1.0,
                handler=f"agent:{self.entry}",
                tool_calls=list(self.tool_calls),
            ),
            generation=GenerationSpan(
                model_requested=AGENT_MODEL,
                model_returned=AGENT_MODEL,
                sampling=config.sampling,
                output=self.answer or "",
                prompt_tokens=self.prompt_tokens,
                completion_tokens=self.completion_tokens,
                latency_ms=0.0,
            ),
            events=self._events(),
            tags={**dict(tags or {}), "session_cost_usd": f"{self.cost_usd:.6f}", "halted_by": self.halted_by or ""},
        )

    def _events(self) -> list[TraceEvent]:
        """One `agent_step` event per step, one `guard_trip` per trip, and `horizon` if it was reached."""
        events = [
            TraceEvent(
                kind="agent_step",
                reason=_describe(s),
                detail={
                    "step": s.n,
                    "agent": s.agent,
                    "route": f"agent:{s.agent}",
                    "depth": s.depth,
                    "tool": tool_of(s.action),
                    "arguments": arguments_of(s.action),
                    "ok": s.ok,
                    "prompt_tokens": s.prompt_tokens,
                    "completion_tokens": s.completion_tokens,
                    "cost_usd": s.cost_usd,
                },
            )
            for s in self.steps
        ]
        events += [TraceEvent(kind="guard_trip", reason=e.reason, detail=e.model_dump(mode="json")) for e in self.guard_events]
        if self.halted_by == "horizon":
            events.append(
                TraceEvent(
                    kind="horizon",
                    reason=f"simulation horizon of {len(self.steps)} steps reached with no answer; an unguarded loop would go on",
                )
            )
        return events

    def _versions(self) -> VersionSnapshot:
        runtime = ModelRuntime(requested=AGENT_MODEL, returned=AGENT_MODEL, backend="sandbox-policy")
        return VersionSnapshot(
            alv="support-agents@1",
            ppv="support-agents@1",
            mrv=runtime,
            tav=self.tools,
            index_snapshot="none",
            embedder="none",
            corpus_snapshot="bundled@latest",
            guardrails=f"agent-guards:{self.guards.label()}",
        )


def tool_of(action: Action) -> str | None:
    """The tool a proposed action calls (None: a final answer)."""
    return action.tool if isinstance(action, ToolAction) else None


def arguments_of(action: Action) -> dict[str, Any]:
    """The arguments of a proposed tool call ({} for a final answer)."""
    return dict(action.arguments) if isinstance(action, ToolAction) else {}


def _describe(step: AgentStep) -> str:
    if isinstance(step.action, FinalAnswer):
        return f"{step.agent} answers"
    args = json.dumps(step.action.arguments, sort_keys=True)
    return f"{step.agent} calls {step.action.tool}({args[:80]})" + ("" if step.ok else " - failed")
