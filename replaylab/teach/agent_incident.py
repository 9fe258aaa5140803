"""The agent-loop game day: the incident is a window of agent sessions, opened by the agent-loop
drill's own pieces through the one runner (`replaylab.drills.runner.opened`), and the game's
tools act on sessions instead of RAG traces.

    with open_agent_incident(load_scenario("agent-loop"), stack=stack, base=base) as incident:
        incident.sandbox.replay(trace, "guards", "playbook")   # the session rerun with the playbook's guards

`AgentSandbox` is what `GameSession` uses for an incident that has one: `replay ID tools=tools-v1`
or `replay ID guards=playbook` reruns the session with one of its two variables swapped, `eval`
judges a session (gate: it ended within the token bound, as the drill's bisect asks; also shown:
whether the agent answered without a guard trip), `diagnose` gives the Layer 3 evidence
(call-graph cycles, repeated calls, cut-off sessions). Either swap fixes a looping session (the
fault is an interaction), so a full answer names both, and either is a rollback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from replaylab.config import RunConfig
from replaylab.errors import ConfigError, ScenarioError
from replaylab.evals.base import EvalReport, Score
from replaylab.scenario import Scenario
from replaylab.stack.pipeline import Stack
from replaylab.teach.blocks import Reply
from replaylab.teach.incident import AnswerKey, Incident, Progress, _sample
from replaylab.trace import Trace
from replaylab.variables import parse_assignment

__all__ = ["GUARDS", "AgentSandbox", "open_agent_incident"]

GUARDS = ("off", "playbook")
"""The values `guards` takes in a game day: the runtime with no guards, or the playbook's."""


class AgentSandbox:
    """Replays, judges and diagnoses the sessions of an open agent-loop drill."""

    def __init__(self, drill: Any) -> None:
        from replaylab.agents.agent_run import GuardConfig

        self.drill = drill
        self.guards: dict[str, GuardConfig] = {}
        """trace id -> the guards its session ran with."""
        for window in drill.traces.values():
            self.guards.update({t.trace_id: drill.deployed for t in window})

    def parse(self, text: str, trace: Trace) -> tuple[str, Any]:
        """`tools=tools-v1` or `guards=off|playbook`: the two variables of an agent session."""
        name, _, value = text.partition("=")
        if name.strip() == "guards":
            if value.strip() not in GUARDS:
                raise ConfigError(f"guards={value.strip()!r}: an agent session runs with guards=off or guards=playbook")
            return "guards", value.strip()
        name, parsed = parse_assignment(text, trace.config)
        if name != "tools":
            raise ConfigError(
                f"An agent session has no {name}: it retrieves nothing and its agents' model is fixed. "
                "Swap tools=... (the TAV) or guards=off|playbook"
            )
        return name, parsed

    def replay(self, trace: Trace, name: str, value: Any) -> Trace:
        """The session rerun with `name` set to `value` (its other variable as recorded)."""
        from replaylab.agents.agent_run import GuardConfig
        from replaylab.agents.loop import run_session

        guards = self.guards.get(trace.trace_id, self.drill.deployed)
        tools = trace.config.tools or "tools-v1"
        if name == "guards":
            guards = GuardConfig.playbook() if value == "playbook" else GuardConfig.off()
        elif name == "tools":
            tools = str(value)
        else:
            raise ConfigError(f"An agent session replays with tools=... or guards=off|playbook, not {name}")
        run = run_session(trace.question, tools=tools, guards=guards, horizon=self.drill.horizon, documents=self.drill.docs)
        new = run.to_trace(
            trace.config, created_at=self.drill.stack.clock(), session_id=trace.session_id, tags={"window": "replay"}
        )
        self.guards[new.trace_id] = guards
        return new

    def passes(self, trace: Trace) -> bool:
        """The session ended (an answer or a guard's hand-off) within the token bound: the drill's bisect predicate."""
        return self.evaluate(trace).passed

    def evaluate(self, trace: Trace) -> EvalReport:
        """An agent session's verdict: it ended within the token bound (gating), and whether the entry
        agent answered without a guard trip (reported: a guard's hand-off is a bounded failure mode)."""
        from replaylab.drills.agent_loop import SESSION_TOKEN_LIMIT

        halted = trace.tags.get("halted_by", "")
        trips = sum(e.kind == "guard_trip" for e in trace.events)
        tokens = trace.generation.prompt_tokens + trace.generation.completion_tokens if trace.generation else 0
        steps = sum(e.kind == "agent_step" for e in trace.events)
        cost = trace.tags.get("session_cost_usd", "?")
        answered = not halted and not trips
        bounded = halted != "horizon" and tokens <= SESSION_TOKEN_LIMIT
        ended = f"ended by {halted}" if halted else "answered"
        scores = [
            Score(
                name="agent-answered",
                value=float(answered),
                passed=answered,
                reason=f"{steps} steps, {ended}, {trips} guard trip(s)",
            ),
            Score(
                name="session-within-bound",
                value=float(bounded),
                passed=bounded,
                reason=f"{tokens} tokens against the {SESSION_TOKEN_LIMIT} bound; cost ${cost}",
            ),
        ]
        failed = [] if bounded else ["session-within-bound"]
        return EvalReport(trace_id=trace.trace_id, scores=scores, passed=bounded, failed=failed, gated=["session-within-bound"])

    def diagnose(self, label: str, trace: Trace) -> Reply:
        """The Layer 3 evidence of one session (the drill's own session diagnosis)."""
        from replaylab.drills.agent_loop import diagnose_sessions

        if self.passes(trace):
            return Reply().say(f"diagnosis of {label}: none (the session answered within its bound)", "title")
        layer, evidence = diagnose_sessions([trace])
        reply = Reply().say(f"diagnosis of {label}: {layer or 'unclear'}", "title")
        for line in evidence:
            reply.say(f"- {line}")
        return reply.say("next: replay it with one variable swapped (tools=... or guards=off|playbook)", "dim")


@contextmanager
def open_agent_incident(
    scenario: Scenario,
    *,
    stack: Stack,
    base: RunConfig,
    sample: int = 8,
    seed: int = 0,
    progress: Progress | None = None,
) -> Iterator[Incident]:
    """Run the agent-loop drill's steady state, inject, traffic and detect steps, yield the incident, roll back."""
    from replaylab.drills.agent_loop import AgentLoopDrill
    from replaylab.drills.runner import DrillOptions, opened

    options = DrillOptions(progress=progress, seed=seed, enforce_steady_state=False)
    drill = AgentLoopDrill(scenario, stack=stack, base=base, options=options)
    with opened(drill, through="detect") as journal:
        box = AgentSandbox(drill)
        baseline, window = drill.traces["baseline"], drill.traces["fault"]
        verdicts = {t.trace_id: box.passes(t) for t in [*baseline, *window]}
        if all(verdicts[t.trace_id] for t in window):
            raise ScenarioError(f"Scenario {scenario.name}: every agent session answers under the fault; nothing to teach")
        injection = drill.injection
        good_tools = injection.before.config.tools or "tools-v1"
        yield Incident(
            scenario=scenario,
            fault=drill.fault,
            injection=injection,
            window=window,
            baseline=baseline,
            shown=_sample(window, verdicts, set(), sample, seed),
            verdicts=verdicts,
            key=AnswerKey(
                layer=scenario.expect.layer or "routing",
                variables=sorted(scenario.expect.bisect or ["tools"]),
                good_values={"tools": good_tools, "guards": "playbook"},
                rollback_steps=list(injection.rollback_steps),
            ),
            detections=journal.detections,
            fired=journal.detected_by,
            sandbox=box,
        )
