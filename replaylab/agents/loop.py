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

import json
from collections.abc import Callable, Mapping
from functools import lru_cache

from replaylab.agents.agent_run import AGENT_MODEL, AgentRun, AgentStep, GuardConfig, arguments_of, tool_of
from replaylab.agents.guards import GuardEvent, GuardTripped, ManualClock, StepInfo
from replaylab.agents.policies import Action, FinalAnswer, Frame, Policy, ToolAction, support_agents
from replaylab.evals.base import DEFAULT_PRICES, Price
from replaylab.stack.tokenizers import token_counter
from replaylab.stack.tools import ToolContext, ToolResult, ToolSet
from replaylab.trace import ToolCall

__all__ = [
    "AGENT_MODEL",
    "AGENT_PRICE",
    "HANDOFF",
    "HORIZON",
    "AgentRun",
    "AgentStep",
    "GuardConfig",
    "count_tokens",
    "run_session",
]
"""`AgentRun`, `AgentStep`, `GuardConfig` and `AGENT_MODEL` live in `agents.agent_run`, re-exported here."""

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
        info = _step_info(frame, action, prompt, price)
        try:
            gset.before_step(info)
        except GuardTripped as trip:
            _halt(run, trip.event)
            run.refused = action if isinstance(action, ToolAction) else None
            break
        clock.advance(STEP_SECONDS)
        cost = _price(prompt, completion, price)
        step = _record(run, frame, action, info.callee, prompt=prompt, completion=completion, cost=cost, at=clock.now())
        thread.add(action.model_dump_json())
        ok = _execute(step, frame, frames, pending, run, toolset, ctx, agents)
        if step.result:
            thread.add(step.result)
        try:
            gset.after_step(info, ok=ok, tokens=prompt + completion, cost=cost)
        except GuardTripped as trip:
            _halt(run, trip.event)
            break
    run.cost_usd = round(run.cost_usd, 8)
    return run


def _step_info(frame: Frame, action: Action, prompt: int, price: Price) -> StepInfo:
    """What the guards see of a proposed step before it runs: the call and its token/USD estimate."""
    callee = str(action.arguments.get("agent")) if isinstance(action, ToolAction) and action.tool == "ask_agent" else None
    return StepInfo(
        agent=frame.agent,
        tool=tool_of(action),
        arguments=arguments_of(action),
        callee=callee,
        est_tokens=prompt + COMPLETION_ESTIMATE,
        est_cost=_price(prompt, COMPLETION_ESTIMATE, price),
    )


def _halt(run: AgentRun, event: GuardEvent) -> None:
    run.guard_events.append(event)
    run.halted_by, run.answer = event.guard, HANDOFF


def _record(
    run: AgentRun,
    frame: Frame,
    action: Action,
    callee: str | None,
    *,
    prompt: int,
    completion: int,
    cost: float,
    at: float,
) -> AgentStep:
    """Append the step that runs to `run` and charge its tokens and cost."""
    step = AgentStep(
        n=len(run.steps) + 1,
        agent=frame.agent,
        depth=frame.depth,
        action=action,
        callee=callee,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=cost,
        at=at,
    )
    run.steps.append(step)
    run.prompt_tokens += prompt
    run.completion_tokens += completion
    run.cost_usd += cost
    return step


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
