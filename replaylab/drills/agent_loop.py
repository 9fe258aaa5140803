"""The agent-loop drill: the standard drill's steps over agent sessions instead of golden questions.

    report = run_agent_loop_drill(load_scenario("agent-loop"), stack)
    report.detected_by           # ["call-graph-cycle", "session-token-anomaly"]
    report.weekly_cost_off_usd   # the bill with no guards, at the documented traffic
    report.to_journal()          # a DrillJournal, for the drill command and its reports

Steady state before -> inject (the tool interface moves to tools-v2) -> a window of agent
sessions under the fault and the same sessions before it -> detect (every registered
detector, over session traces) -> diagnose (the session evidence for Layer 3) -> bisect ->
roll back -> verify, then two checks of its own: the same sessions with the playbook's
guards on halt within their bound, and the week's bill projected with guards off and on.

A session *passes* the steady state when the entry agent answers without a guard trip.
Bisect asks a cost question instead: does the session end within `SESSION_TOKEN_LIMIT`
tokens (an answer or a guard halt both do)? Its variables are `tools` (the TAV) and
`guards` (the runtime's guard configuration, good value: the playbook's): the loop needs
both tools-v2 and guards off, so bisect reports the pair as an interaction, and each one's
good value alone is a fix - pin tools-v1 now, turn the guards on for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import replaylab.detectors.agents
import replaylab.faults.routing  # noqa: F401  (registers the agent-loop fault)
from replaylab.agents.costs import SESSION_KINDS, TrafficAssumptions, compare_with_seed, project_week
from replaylab.agents.loop import AgentRun, GuardConfig, run_session
from replaylab.bisection.engine import BisectResult, RunResult, bisect
from replaylab.config import RunConfig
from replaylab.detectors import run_detectors
from replaylab.drills.journal import DrillJournal, Expectation, JournalRecorder, record_rollback, verify_recovery
from replaylab.scenario import Scenario
from replaylab.stack.corpus import load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

SESSION_TOKEN_LIMIT = 50_000
"""A session that spends more tokens than this has not ended within its bound (bisect's predicate)."""

Progress = Callable[[str], None]


class AgentLoopReport(DrillJournal):
    """What the agent-loop drill did and saw: a drill journal plus the guard and cost figures."""

    diagnosis_evidence: list[str] = []
    guards_on: dict[str, Any] = {}
    """The fault's sessions rerun with the playbook's guards: max steps, max cost, trips by guard, bound kept."""
    weekly_cost_healthy_usd: float | None = None
    weekly_cost_off_usd: float | None = None
    weekly_cost_on_usd: float | None = None
    cost_comparison: str = ""
    checks: dict[str, bool] = {}
    """Every expectation by key (`detector:<name>` for the detectors)."""

    def expectations_met(self) -> dict[str, bool]:
        """Each expectation but the detectors' (the drill adds those from the scenario), by key."""
        return {k: v for k, v in self.checks.items() if not k.startswith("detector:")}

    def table(self) -> str:
        """The cost and guard comparison, fixed width, for the terminal."""
        g = self.guards_on
        rows = [
            ("deployment", "weekly cost", "notes"),
            ("healthy (rolled back)", _usd(self.weekly_cost_healthy_usd), "tools-v1, guards as deployed"),
            ("fault, guards off", _usd(self.weekly_cost_off_usd), "lower bound: loops cut at the horizon"),
            (
                "fault, guards on",
                _usd(self.weekly_cost_on_usd),
                f"max {g.get('max_steps', '-')} steps, ${g.get('max_cost_usd', 0):.4f}/session, trips {g.get('trips', {})}",
            ),
        ]
        width = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(c.ljust(width[i]) for i, c in enumerate(r)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in width))
        return "\n".join([*lines, "", self.cost_comparison])

    def to_journal(self) -> DrillJournal:
        """The plain drill journal (the fields every drill has)."""
        data = self.model_dump(include=set(DrillJournal.model_fields))
        data["diagnosis_votes"] = {self.diagnosed_layer: 1} if self.diagnosed_layer else {}
        return DrillJournal.model_validate(data)


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def session_questions(n: int, mix: Mapping[str, float] | None = None) -> list[tuple[str, str]]:
    """`n` (kind, question) pairs in the traffic mix (largest remainder), kinds interleaved."""
    mix = dict(mix or TrafficAssumptions().mix)
    total = sum(mix.values())
    exact = {k: n * v / total for k, v in mix.items()}
    counts = {k: int(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    out: list[tuple[str, str]] = []
    for i in range(max(counts.values(), default=0)):
        out += [(k, SESSION_KINDS[k](i)) for k in sorted(counts) if i < counts[k]]
    return out


def run_agent_loop_drill(
    scenario: Scenario, stack: Stack, *, base: RunConfig | None = None, progress: Progress | None = None
) -> AgentLoopReport:
    """Run the agent-loop drill and return its report (never raises for a deviation)."""
    started = time.perf_counter()
    report = AgentLoopReport(scenario=scenario.name, title=scenario.title)
    jr = JournalRecorder(report, progress)
    fault = scenario.fault()
    before = Deployment.capture(stack, scenario.steady_state_config(base or RunConfig()))
    deployed = GuardConfig.playbook() if getattr(fault, "guards_deployed", False) else GuardConfig.off()
    horizon = int(getattr(fault, "horizon", 200))
    sessions = session_questions(int(getattr(fault, "sessions", 12)))
    docs = {d.doc_id: f"{d.title}: {d.text}" for d in stack.documents(before.config.corpus)}

    def run_all(cfg: RunConfig, guards: GuardConfig, tag: str) -> tuple[list[AgentRun], list[Trace]]:
        runs = [
            run_session(q, tools=cfg.tools or "tools-v1", guards=guards, horizon=horizon, documents=docs) for _, q in sessions
        ]
        traces = [
            r.to_trace(cfg, created_at=stack.clock(), session_id=f"{tag}-{i:03d}", tags={"kind": k, "window": tag})
            for i, (r, (k, _)) in enumerate(zip(runs, sessions, strict=True))
        ]
        return runs, traces

    injection = None
    try:
        with jr.step("steady state before") as d:
            runs0, _ = run_all(before.config, deployed, "before")
            report.steady_state_before = d["pass_rate"] = _rate(runs0)
            d["sessions"], d["guards"] = len(runs0), deployed.label()
        if report.steady_state_before < scenario.steady_state.min_pass_rate:
            report.status = "aborted"
            report.error = (
                f"steady state does not hold before the fault: {report.steady_state_before:.0%} of sessions "
                f"answered < {scenario.steady_state.min_pass_rate:.0%}; not injected"
            )
            return _close(report, scenario, started)
        with jr.step("method: inject " + fault.kind) as d:
            injection = fault.inject(before, stack=stack, golden=load_golden())
            d["notes"] = injection.notes
        with jr.step("baseline window") as d:
            base_runs, base_traces = run_all(injection.before.config, deployed, "baseline")
            d["pass_rate"] = _rate(base_runs)
        with jr.step("traffic under the fault") as d:
            runs, window = run_all(injection.after.config, deployed, "fault")
            report.pass_rate_under_fault = d["pass_rate"] = _rate(runs)
            relying = [i for i, r in enumerate(base_runs) if any(c.tool == "ask_agent" for c in r.tool_calls)]
            report.affected_failure_rate = d["affected_failure_rate"] = (
                sum(not runs[i].resolved for i in relying) / len(relying) if relying else 0.0
            )
            d["max_session_tokens"] = max(r.tokens for r in runs)
            d["halted_by"] = sorted({r.halted_by or "answered" for r in runs})
        failing = [(r, t) for r, t in zip(runs, window, strict=True) if not r.resolved]
        report.failing_trace_ids = [t.trace_id for _, t in failing]
        with jr.step("detect") as d:
            detections, fired = run_detectors(window, base_traces, stack=stack)
            report.detections += detections
            report.detected_by += fired
            d["fired"] = report.detected_by
        with jr.step("diagnose") as d:
            report.diagnosed_layer, report.diagnosis_evidence = diagnose_sessions([t for _, t in failing])
            d["layer"], d["evidence"] = report.diagnosed_layer, report.diagnosis_evidence
        with jr.step("bisect") as d:
            if not failing:
                d["skipped"] = "no failing session to bisect"
            else:
                question = failing[0][0].question
                result = bisect_session(
                    question,
                    good_tools=injection.before.config.tools or "tools-v1",
                    bad_tools=injection.after.config.tools or "tools-v2",
                    deployed=deployed,
                    horizon=horizon,
                    documents=docs,
                )
                report.bisect = result.model_dump(mode="json", exclude={"steps"})
                report.bisect_causes = result.implicated()
                d["question"], d["causes"], d["replays"] = question, report.bisect_causes, result.replays
                d["stopped_because"] = result.stopped_because
        with jr.step("guards on") as d:
            report.guards_on = d["summary"] = guards_check(injection.after.config, sessions, horizon, docs)
        with jr.step("cost projection") as d:
            healthy = project_week(tools=injection.before.config.tools or "tools-v1", guards=deployed, documents=docs)
            off = project_week(tools=injection.after.config.tools or "tools-v2", guards=GuardConfig.off(), documents=docs)
            on = project_week(tools=injection.after.config.tools or "tools-v2", guards=GuardConfig.playbook(), documents=docs)
            report.weekly_cost_healthy_usd, report.weekly_cost_off_usd = healthy.weekly_cost_usd, off.weekly_cost_usd
            report.weekly_cost_on_usd = on.weekly_cost_usd
            report.cost_comparison = d["comparison"] = compare_with_seed(healthy, off)
            d["per_hour_off"] = off.hour.model_dump(mode="json", exclude={"kinds"})
            d["per_hour_on"] = on.hour.model_dump(mode="json", exclude={"kinds"})
    except Exception as exc:  # the report is always written
        report.status = "failed"
        report.error = f"{type(exc).__name__}: {exc}"
    finally:
        if injection is not None:
            record_rollback(jr, report, fault, injection, stack=stack)
    if injection is not None and report.status != "failed":
        verify_recovery(
            jr, report, scenario, stack=stack, before=before, rerun=lambda: _rate(run_all(before.config, deployed, "after")[0])
        )
    return _close(report, scenario, started)


def _rate(runs: list[AgentRun]) -> float:
    return sum(r.resolved for r in runs) / len(runs) if runs else 0.0


def diagnose_sessions(traces: list[Trace]) -> tuple[str | None, list[str]]:
    """Layer 3 evidence over failing agent sessions: call-graph cycles, repeated calls, cut-off sessions."""
    if not traces:
        return None, []
    evidence: list[str] = []
    cyclic = sum(1 for t in traces if _has_cycle(t))
    if cyclic:
        evidence.append(f"{cyclic} of {len(traces)} failing sessions call agents in a cycle (ask_agent graph).")
    repeats = max(_max_repeats(t) for t in traces)
    if repeats > 2:
        evidence.append(f"One tool call repeats {repeats} times with the same arguments: an agent loop.")
    cut = sum(1 for t in traces if any(e.kind in ("horizon", "guard_trip") for e in t.events))
    evidence.append(f"{cut} of {len(traces)} failing sessions never answered (cut off by the horizon or a guard).")
    evidence.append(
        "Against retrieval and upstream data: agent sessions retrieve nothing. Against generation: the "
        "agents' policies and model are unchanged; only the tool interface (TAV) differs."
    )
    return ("routing" if cyclic or repeats > 2 else None), evidence


def _has_cycle(trace: Trace) -> bool:
    edges = {(c.agent, str(c.arguments.get("agent"))) for c in trace.routing.tool_calls if c.tool == "ask_agent"}
    return any((b, a) in edges or a == b for a, b in edges)


def _max_repeats(trace: Trace) -> int:
    import json
    from collections import Counter

    counts = Counter((c.tool, json.dumps(c.arguments, sort_keys=True)) for c in trace.routing.tool_calls)
    return max(counts.values(), default=0)


def bisect_session(
    question: str, *, good_tools: str, bad_tools: str, deployed: GuardConfig, horizon: int, documents: Mapping[str, str]
) -> BisectResult:
    """Bisect one failing session over `tools` and `guards` (good: the playbook's guards)."""
    good = {"tools": good_tools, "guards": GuardConfig.playbook().model_dump()}
    bad = {"tools": bad_tools, "guards": deployed.model_dump()}

    def outcome(assignment: Mapping[str, Any], seed: int) -> RunResult:
        guards = GuardConfig.model_validate(assignment["guards"])
        run = run_session(question, tools=assignment["tools"], guards=guards, horizon=horizon, documents=documents)
        ok = run.within(max_tokens=SESSION_TOKEN_LIMIT)
        return RunResult(
            passed=ok,
            scores={"tokens": float(run.tokens), "steps": float(len(run.steps))},
            reason=f"{len(run.steps)} steps, {run.tokens} tokens, ended by {run.halted_by or 'an answer'}",
        )

    return bisect(good=good, bad=bad, outcome=outcome, layers={"tools": "routing", "guards": "routing"})


def guards_check(
    config: RunConfig, sessions: list[tuple[str, str]], horizon: int, documents: Mapping[str, str]
) -> dict[str, Any]:
    """Rerun the fault's sessions with the playbook's guards: do they all halt within the bound?"""
    guards = GuardConfig.playbook()
    runs = [
        run_session(q, tools=config.tools or "tools-v2", guards=guards, horizon=horizon, documents=documents) for _, q in sessions
    ]
    step_cost = max((s.cost_usd for r in runs for s in r.steps), default=0.0)
    cap = guards.max_cost_usd if guards.max_cost_usd is not None else float("inf")
    trips: dict[str, int] = {}
    for r in runs:
        if r.halted_by:
            trips[r.halted_by] = trips.get(r.halted_by, 0) + 1
    within = all(len(r.steps) <= guards.max_steps and r.cost_usd <= cap + step_cost and r.halted_by != "horizon" for r in runs)
    return {
        "guards": guards.label(),
        "sessions": len(runs),
        "max_steps": max(len(r.steps) for r in runs),
        "max_cost_usd": round(max(r.cost_usd for r in runs), 6),
        "max_tokens": max(r.tokens for r in runs),
        "trips": trips,
        "within_bound": within,
    }


def _close(report: AgentLoopReport, scenario: Scenario, started: float) -> AgentLoopReport:
    exp = scenario.expect
    checks: list[tuple[str, str, Any, Any, bool]] = []  # key, name, expected, actual, met
    if report.status != "aborted":
        rate = report.affected_failure_rate or 0.0
        checks.append(
            (
                "fault_is_real",
                "fault is real (affected failure rate)",
                f">= {exp.min_failure_rate:.0%}",
                report.affected_failure_rate,
                rate >= exp.min_failure_rate,
            )
        )
        for det in exp.detectors:
            fired = det in report.detected_by
            checks.append((f"detector:{det}", f"detector {det} fires", True, fired, fired))
        if exp.layer:
            checks.append(
                (
                    "diagnosis_names_the_layer",
                    "diagnosis names the layer",
                    exp.layer,
                    report.diagnosed_layer,
                    report.diagnosed_layer == exp.layer,
                )
            )
        if exp.bisect:
            checks.append(
                (
                    "bisect_names_the_cause",
                    "bisect names the cause",
                    sorted(exp.bisect),
                    report.bisect_causes,
                    sorted(exp.bisect) == report.bisect_causes,
                )
            )
        within = bool(report.guards_on.get("within_bound"))
        checks.append(
            (
                "guards_on_every_session_halts_within_the_bound",
                "guards on: every session halts within the bound",
                True,
                within,
                within,
            )
        )
        checks.append(
            (
                "steady_state_restored_after_rollback",
                "steady state restored after rollback",
                True,
                report.recovered,
                report.recovered,
            )
        )
    else:
        checks.append(("steady_state_holds_before_the_fault", "steady state holds before the fault", True, False, False))
    report.checks = {key: met for key, _, _, _, met in checks}
    report.expectations = [Expectation(name=name, expected=e, actual=a, met=met) for _, name, e, a, met in checks]
    report.deviated = report.status != "completed" or not all(met for *_, met in checks)
    report.passed = not report.deviated
    report.elapsed_s = round(time.perf_counter() - started, 3)
    return report
