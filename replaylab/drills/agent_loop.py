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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from typing_extensions import TypedDict

import replaylab.detectors.agents
import replaylab.faults.routing  # noqa: F401  (registers the agent-loop fault)
from replaylab.agents.costs import SESSION_KINDS, TrafficAssumptions, compare_with_seed, project_week
from replaylab.agents.loop import AgentRun, GuardConfig, run_session
from replaylab.bisection.engine import BisectResult, RunResult, bisect
from replaylab.config import RunConfig
from replaylab.detectors import run_detectors
from replaylab.drills.journal import DrillJournal, Expectation, Progress
from replaylab.drills.runner import Drill, DrillOptions, Window, execute, standard_expectations
from replaylab.drills.steps import (
    BisectDetail,
    CheckDetail,
    DetectDetail,
    DiagnoseDetail,
    InjectDetail,
    RollbackDetail,
    SteadyStateDetail,
    TrafficDetail,
    VerifyDetail,
)
from replaylab.registry import register
from replaylab.scenario import Scenario
from replaylab.stack.corpus import project_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

SESSION_TOKEN_LIMIT = 50_000
"""A session that spends more tokens than this has not ended within its bound (bisect's predicate)."""

GUARDS_CHECK = "guards on: every session halts within the bound"


class GuardsSummary(TypedDict, total=False):
    """The fault's sessions rerun with the playbook's guards."""

    guards: str
    """The guards' label."""
    sessions: int
    """Sessions rerun."""
    max_steps: int
    """Most steps one session took."""
    max_cost_usd: float
    """Most one session cost."""
    max_tokens: int
    """Most tokens one session spent."""
    trips: dict[str, int]
    """Sessions halted, by guard."""
    within_bound: bool
    """Every session halted within the guards' step and cost bounds (none ran to the horizon)."""


class AgentLoopReport(DrillJournal):
    """What the agent-loop drill did and saw: a drill journal plus the guard and cost figures."""

    diagnosis_evidence: list[str] = []
    """The Layer 3 evidence over the failing sessions, in words."""
    guards_on: GuardsSummary = {}
    """The fault's sessions rerun with the playbook's guards: max steps, max cost, trips by guard, bound kept."""
    weekly_cost_healthy_usd: float | None = None
    """The week's bill at the documented traffic, rolled back."""
    weekly_cost_off_usd: float | None = None
    """The week's bill under the fault with no guards (a lower bound: loops are cut at the horizon)."""
    weekly_cost_on_usd: float | None = None
    """The week's bill under the fault with the playbook's guards."""
    cost_comparison: str = ""
    """The projected bill against the playbook's figure, in words."""
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


def check_key(name: str) -> str:
    """An expectation's key in `AgentLoopReport.checks`."""
    if name.startswith("detector ") and name.endswith(" fires"):
        return "detector:" + name.removeprefix("detector ").removesuffix(" fires")
    return name.split(" (")[0].replace(":", "").replace(" ", "_")


def run_agent_loop_drill(
    scenario: Scenario, stack: Stack, *, base: RunConfig | None = None, progress: Progress | None = None
) -> AgentLoopReport:
    """Run the agent-loop drill and return its report (never raises for a deviation)."""
    drill = AgentLoopDrill(scenario, stack=stack, base=base or RunConfig(), options=DrillOptions(progress=progress))
    execute(drill)
    return drill.journal


@register("drill")
class AgentLoopDrill(Drill):
    """The drill's pieces over agent sessions instead of golden questions."""

    kind = "agent-loop"
    pieces = frozenset({"steady_state", "inject", "traffic", "detect", "diagnose", "bisect", "check", "rollback", "verify"})
    journal_type = AgentLoopReport
    journal: AgentLoopReport

    def __init__(self, scenario: Scenario, *, stack: Stack, base: RunConfig, options: DrillOptions | None = None) -> None:
        super().__init__(scenario, stack=stack, base=base, options=options)
        self.fault = scenario.fault()
        self.before = Deployment.capture(stack, scenario.steady_state_config(base))
        self.deployed = GuardConfig.playbook() if getattr(self.fault, "guards_deployed", False) else GuardConfig.off()
        self.horizon = int(getattr(self.fault, "horizon", 200))
        self.sessions = session_questions(int(getattr(self.fault, "sessions", 12)))
        self.docs = {d.doc_id: f"{d.title}: {d.text}" for d in stack.documents(self.before.config.corpus)}
        self.injection: Any = None
        self.runs: dict[Window, list[AgentRun]] = {}
        self.traces: dict[Window, list[Trace]] = {}
        self.failing: list[tuple[AgentRun, Trace]] = []

    def method_name(self) -> str:
        return f"method: inject {self.fault.kind}"

    def run_all(self, cfg: RunConfig, guards: GuardConfig, tag: str) -> tuple[list[AgentRun], list[Trace]]:
        """Every session of the window through `cfg` with `guards`, and its traces."""
        runs = [
            run_session(q, tools=cfg.tools or "tools-v1", guards=guards, horizon=self.horizon, documents=self.docs)
            for _, q in self.sessions
        ]
        traces = [
            r.to_trace(cfg, created_at=self.stack.clock(), session_id=f"{tag}-{i:03d}", tags={"kind": k, "window": tag})
            for i, (r, (k, _)) in enumerate(zip(runs, self.sessions, strict=True))
        ]
        return runs, traces

    def steady_state(self) -> SteadyStateDetail:
        runs, _ = self.run_all(self.before.config, self.deployed, "before")
        return SteadyStateDetail(pass_rate=_rate(runs), requests=len(runs), guards=self.deployed.label())

    def inject(self) -> InjectDetail:
        self.injection = self.fault.inject(self.before, stack=self.stack, golden=project_golden())
        return InjectDetail(fault=self.fault.kind, notes=list(self.injection.notes))

    def traffic(self, window: Window) -> TrafficDetail:
        cfg = (self.injection.before if window == "baseline" else self.injection.after).config
        runs, traces = self.run_all(cfg, self.deployed, window)
        self.runs[window], self.traces[window] = runs, traces
        detail = TrafficDetail(window=window, requests=len(runs), pass_rate=_rate(runs))
        if window == "fault":
            relying = [i for i, r in enumerate(self.runs["baseline"]) if any(c.tool == "ask_agent" for c in r.tool_calls)]
            detail.affected_failure_rate = sum(not runs[i].resolved for i in relying) / len(relying) if relying else 0.0
            detail.max_session_tokens = max(r.tokens for r in runs)
            detail.halted_by = sorted({r.halted_by or "answered" for r in runs})
            self.failing = [(r, t) for r, t in zip(runs, traces, strict=True) if not r.resolved]
            self.journal.failing_trace_ids = [t.trace_id for _, t in self.failing]
        return detail

    def detect(self) -> DetectDetail:
        detections, fired = run_detectors(self.traces["fault"], self.traces["baseline"], stack=self.stack)
        self.journal.detections += detections
        return DetectDetail(detectors=len(detections), fired=fired)

    def diagnose(self) -> DiagnoseDetail:
        layer, evidence = diagnose_sessions([t for _, t in self.failing])
        self.journal.diagnosis_evidence = evidence
        return DiagnoseDetail(layer=layer, evidence=evidence)

    def bisect(self) -> BisectDetail:
        if not self.failing:
            return BisectDetail(skipped="no failing session to bisect")
        question = self.failing[0][0].question
        result = bisect_session(
            question,
            good_tools=self.injection.before.config.tools or "tools-v1",
            bad_tools=self.injection.after.config.tools or "tools-v2",
            deployed=self.deployed,
            horizon=self.horizon,
            documents=self.docs,
        )
        self.journal.bisect = result.model_dump(mode="json", exclude={"steps"})
        return BisectDetail(
            question=question, causes=result.implicated(), replays=result.replays, stopped_because=result.stopped_because
        )

    def checks(self) -> Sequence[tuple[str, Callable[[], CheckDetail]]]:
        return [("guards on", self._guards_on), ("cost projection", self._costs)]

    def _guards_on(self) -> CheckDetail:
        summary = self.journal.guards_on = guards_check(self.injection.after.config, self.sessions, self.horizon, self.docs)
        values = {k: v for k, v in summary.items() if isinstance(v, str | int | float | bool)}
        return CheckDetail(passed=summary.get("within_bound"), values=values, note=f"trips {summary.get('trips', {})}")

    def _costs(self) -> CheckDetail:
        j, docs = self.journal, self.docs
        healthy = project_week(tools=self.injection.before.config.tools or "tools-v1", guards=self.deployed, documents=docs)
        off = project_week(tools=self.injection.after.config.tools or "tools-v2", guards=GuardConfig.off(), documents=docs)
        on = project_week(tools=self.injection.after.config.tools or "tools-v2", guards=GuardConfig.playbook(), documents=docs)
        j.weekly_cost_healthy_usd, j.weekly_cost_off_usd = healthy.weekly_cost_usd, off.weekly_cost_usd
        j.weekly_cost_on_usd = on.weekly_cost_usd
        j.cost_comparison = compare_with_seed(healthy, off)
        return CheckDetail(
            values={
                "healthy_usd": healthy.weekly_cost_usd,
                "guards_off_usd": off.weekly_cost_usd,
                "guards_on_usd": on.weekly_cost_usd,
            },
            note=j.cost_comparison,
        )

    def rollback(self) -> RollbackDetail:
        restored = self.fault.rollback(self.injection, stack=self.stack)
        return RollbackDetail(steps=list(self.injection.rollback_steps), restored_equals_before=restored == self.injection.before)

    def verify(self) -> VerifyDetail:
        rate = _rate(self.run_all(self.before.config, self.deployed, "after")[0])
        same = Deployment.capture(self.stack, self.before.config) == self.before
        return VerifyDetail(pass_rate=rate, recovered=rate >= self.scenario.steady_state.min_pass_rate and same)

    def expectations(self) -> list[Expectation]:
        within = bool(self.journal.guards_on.get("within_bound"))
        guards = Expectation(name=GUARDS_CHECK, expected=True, actual=within, met=within)
        return standard_expectations(self.journal, self.scenario, extra=[guards])

    def finish(self) -> None:
        self.journal.checks = {check_key(e.name): e.met for e in self.journal.expectations}


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


def guards_check(config: RunConfig, sessions: list[tuple[str, str]], horizon: int, documents: Mapping[str, str]) -> GuardsSummary:
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
