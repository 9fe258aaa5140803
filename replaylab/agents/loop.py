"""The agent loop: a model proposes a tool call, the tool runs, the result goes back.

    run = run_session("Why was invoice LDG-20260114 charged twice?", tools="tools-v2",
                      guards=GuardConfig.playbook())
    run.halted_by            # "cycle_detector"
    run.steps[-1]            # agent, tool, arguments, tokens, cost of the last step run
    run.to_trace(config)     # a Trace: tool calls in routing, one event per step and per trip

Sub-agents call each other through `ask_agent`: the callee works on the question in its own
frame and its final answer is the caller's tool result. The runner keeps the frames on an
explicit stack, so an unguarded loop runs to the simulation `horizon` (steps, default 200)
instead of overflowing Python's.

Each step is guarded by a `GuardSet` (replaylab.agents.guards): `before_step` sees the proposed
tool call, its callee and the step's token/USD estimate (prompt tokens plus
`COMPLETION_ESTIMATE`); `after_step` charges the real tokens and feeds the circuit breaker
with the tool's success. A trip halts the session: the user gets a hand-off message and the
trace a `guard_trip` event. A refused step is charged nothing.

Costs are modelled on chat-style multi-agent frameworks: every model call is sent the
agents' system prompt, the tool schemas in force and the session's shared thread so far
(each question, tool call and result), capped at the model's context window. Prompts grow
with every step, so an unguarded loop's cost grows with the square of its length. Tokens are
counted with the WordPiece tokenizer and priced at `AGENT_PRICE` (gpt-4o list price); the
sandbox policies themselves are free and instant, and simulated time advances
`STEP_SECONDS` per model call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from replaylab.agents.guards import (
    Budget,
    CircuitBreaker,
    CycleDetector,
    GuardEvent,
    GuardSet,
    GuardTripped,
    LoopGuard,
    ManualClock,
    StepCap,
    StepInfo,
)
from replaylab.agents.policies import Action, FinalAnswer, Frame, Policy, ToolAction, support_agents
from replaylab.config import RunConfig
from replaylab.evals.base import DEFAULT_PRICES, Price
from replaylab.stack.tokenizers import token_counter
from replaylab.stack.tools import ToolContext, ToolResult, ToolSet
from replaylab.trace import GenerationSpan, ModelRuntime, RoutingSpan, ToolCall, Trace, TraceEvent, VersionSnapshot

AGENT_MODEL = "gpt-4o"
AGENT_PRICE: Price = DEFAULT_PRICES["gpt-4o"]
"""USD per 1k tokens the agents' calls are priced at: gpt-4o list price, $2.50 in / $10 out per 1M."""
CONTEXT_WINDOW = 128_000
"""The agents' model context window in tokens: the shared thread is cut to fit it."""
COMPLETION_ESTIMATE = 40
"""Completion tokens a step is estimated at before it runs (the budget check's estimate)."""
STEP_SECONDS = 1.5
"""Simulated seconds per model call (the guards' clock)."""
HORIZON = 200
"""Steps after which an unguarded simulation stops; a real unguarded loop would go on."""
HANDOFF = "I could not resolve this automatically; a support specialist will follow up by email."
SYSTEM_PROMPT = (
    "You are one of Orlavik's support agents (billing, accounts). Answer the question you are "
    "asked. Call a tool when you need a fact; ask another agent when it knows what you do not."
)


@lru_cache(maxsize=4096)
def count_tokens(text: str) -> int:
    """WordPiece tokens of `text` (memoised: loops repeat themselves)."""
    return token_counter("wordpiece")(text)


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
        events = [
            TraceEvent(
                kind="agent_step",
                reason=_describe(s),
                detail={
                    "step": s.n,
                    "agent": s.agent,
                    "route": f"agent:{s.agent}",
                    "depth": s.depth,
                    "tool": _tool(s.action),
                    "arguments": _arguments(s.action),
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
        runtime = ModelRuntime(requested=AGENT_MODEL, returned=AGENT_MODEL, backend="sandbox-policy")
        return Trace(
            trace_id=tid,
            created_at=created,
            question=self.question,
            session_id=session_id,
            config=config,
            versions=VersionSnapshot(
                alv="support-agents@1",
                ppv="support-agents@1",
                mrv=runtime,
                tav=self.tools,
                index_snapshot="none",
                embedder="none",
                corpus_snapshot="bundled@latest",
                guardrails=f"agent-guards:{self.guards.label()}",
            ),
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
            events=events,
            tags={**dict(tags or {}), "session_cost_usd": f"{self.cost_usd:.6f}", "halted_by": self.halted_by or ""},
        )


def _tool(action: Action) -> str | None:
    return action.tool if isinstance(action, ToolAction) else None


def _arguments(action: Action) -> dict[str, Any]:
    return dict(action.arguments) if isinstance(action, ToolAction) else {}


def _describe(step: AgentStep) -> str:
    if isinstance(step.action, FinalAnswer):
        return f"{step.agent} answers"
    args = json.dumps(step.action.arguments, sort_keys=True)
    return f"{step.agent} calls {step.action.tool}({args[:80]})" + ("" if step.ok else " - failed")


def _price(prompt: int, completion: int, price: Price) -> float:
    return prompt / 1000 * price.input_per_1k + completion / 1000 * price.output_per_1k


class _Thread:
    """The session's shared thread: what every model call is sent besides the system prompt."""

    def __init__(self, tools: ToolSet) -> None:
        schemas = json.dumps([s.model_dump() for s in tools.specs()], sort_keys=True)
        self.fixed = count_tokens(SYSTEM_PROMPT) + count_tokens(schemas)
        self.tokens = 0

    def add(self, text: str) -> None:
        self.tokens += count_tokens(text) + 4  # role and separators

    def prompt_tokens(self) -> int:
        return self.fixed + min(self.tokens, CONTEXT_WINDOW - self.fixed)


def run_session(
    question: str,
    *,
    tools: str = "tools-v1",
    guards: GuardConfig | None = None,
    agents: Mapping[str, Policy] | None = None,
    entry: str = "billing",
    horizon: int = HORIZON,
    documents: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
    price: Price = AGENT_PRICE,
    clock: ManualClock | None = None,
) -> AgentRun:
    """Run one session from `entry` until it answers, a guard trips, or `horizon` steps."""
    guards = guards if guards is not None else GuardConfig.playbook()
    agents = dict(agents) if agents is not None else dict(support_agents())
    if entry not in agents:
        raise ValueError(f"entry agent {entry!r} is not one of {sorted(agents)}")
    toolset = ToolSet(tools)
    clock = clock or ManualClock()
    gset = guards.build(clock)
    ctx = ToolContext(documents=documents)
    thread = _Thread(toolset)
    run = AgentRun(question=question, tools=tools, guards=guards, entry=entry)
    frames = [Frame(agent=entry, question=question, asked_by="user")]
    pending: list[tuple[ToolAction, int]] = []  # per waiting caller frame: its ask_agent action, its tool_calls index
    thread.add(question)
    while frames:
        if len(run.steps) >= horizon:
            run.halted_by, run.answer = "horizon", HANDOFF
            break
        frame = frames[-1]
        action = agents[frame.agent].act(frame, toolset)
        prompt = thread.prompt_tokens()
        completion = count_tokens(action.model_dump_json())
        callee = str(action.arguments.get("agent")) if isinstance(action, ToolAction) and action.tool == "ask_agent" else None
        info = StepInfo(
            agent=frame.agent,
            tool=_tool(action),
            arguments=_arguments(action),
            callee=callee,
            est_tokens=prompt + COMPLETION_ESTIMATE,
            est_cost=_price(prompt, COMPLETION_ESTIMATE, price),
        )
        try:
            gset.before_step(info)
        except GuardTripped as trip:
            run.guard_events.append(trip.event)
            run.halted_by, run.answer = trip.event.guard, HANDOFF
            run.refused = action if isinstance(action, ToolAction) else None
            break
        clock.advance(STEP_SECONDS)
        cost = _price(prompt, completion, price)
        step = AgentStep(
            n=len(run.steps) + 1,
            agent=frame.agent,
            depth=frame.depth,
            action=action,
            callee=callee,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=cost,
            at=clock.now(),
        )
        run.steps.append(step)
        run.prompt_tokens += prompt
        run.completion_tokens += completion
        run.cost_usd += cost
        thread.add(action.model_dump_json())
        ok = _execute(step, frame, frames, pending, run, toolset, ctx, agents)
        if step.result:
            thread.add(step.result)
        try:
            gset.after_step(info, ok=ok, tokens=prompt + completion, cost=cost)
        except GuardTripped as trip:
            run.guard_events.append(trip.event)
            run.halted_by, run.answer = trip.event.guard, HANDOFF
            break
    run.cost_usd = round(run.cost_usd, 8)
    return run


def _execute(
    step: AgentStep,
    frame: Frame,
    frames: list[Frame],
    pending: list[tuple[ToolAction, int]],
    run: AgentRun,
    toolset: ToolSet,
    ctx: ToolContext,
    agents: Mapping[str, Policy],
) -> bool:
    """Carry out the step's action on the frame stack; returns whether it succeeded."""
    action = step.action
    if isinstance(action, FinalAnswer):
        frames.pop()
        step.result = action.text
        if not frames:
            run.answer = action.text
            return True
        ask, index = pending.pop()
        result = ToolResult(ok=True, output=action.text)
        frames[-1].observations.append((ask, result))
        run.tool_calls[index] = run.tool_calls[index].model_copy(update={"result": action.text})
        return True
    run.tool_calls.append(ToolCall(tool=action.tool, arguments=dict(action.arguments), agent=frame.agent))
    if action.tool == "ask_agent":
        refused = toolset.rejection(action.tool, action.arguments)
        callee = str(action.arguments.get("agent"))
        if refused is None and callee not in agents:
            refused = f"ask_agent failed: no agent {callee!r}; agents are {sorted(agents)}"
        if refused is None:
            pending.append((action, len(run.tool_calls) - 1))
            frames.append(
                Frame(
                    agent=callee,
                    question=str(action.arguments["question"]),
                    asked_by=frame.agent,
                    context=dict(action.arguments.get("context") or {}),
                    depth=frame.depth + 1,
                )
            )
            return True
        result = ToolResult(ok=False, output=refused)
    else:
        result = toolset.call(action.tool, action.arguments, ctx)
    step.ok, step.result = result.ok, result.output
    frame.observations.append((action, result))
    run.tool_calls[-1] = run.tool_calls[-1].model_copy(update={"result": result.output})
    return result.ok
