"""The fault drill: steady state -> inject a registered fault -> a window of golden traffic before
and under it -> detect -> diagnose -> bisect -> roll back -> verify, in Chaos Toolkit's vocabulary.

    journal = run_drill(load_scenario("embedding-drift"), stack=stack, base=config)

`run_drill` runs any scenario through the one runner (`replaylab.drills.runner`); `FaultDrill`
is the fault kind's pieces, also used by the game day (`teach.incident`) and calibration.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from replaylab.config import RunConfig
from replaylab.detectors import run_detectors
from replaylab.drills.journal import DrillJournal, Progress
from replaylab.drills.power import expected_under_fault, power_check
from replaylab.drills.runner import Drill, DrillOptions, Window, run
from replaylab.drills.steps import (
    BisectDetail,
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
from replaylab.stack.corpus import GoldenItem, project_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace, save_trace

if TYPE_CHECKING:
    from replaylab.faults.base import Injection

__all__ = ["DrillJournal", "FaultDrill", "run_drill", "select_traffic"]


def select_traffic(scenario: Scenario, golden: Sequence[GoldenItem]) -> list[GoldenItem]:
    """The seeded steady-state sample plus fixed questions."""
    pool = [g for g in golden if not scenario.traffic.topics or g.topic in scenario.traffic.topics]
    rng = random.Random(scenario.traffic.seed)
    chosen = rng.sample(pool, min(scenario.traffic.sample, len(pool)))
    by_id = {g.qid: g for g in golden}
    chosen += [by_id[q] for q in scenario.traffic.qids if q in by_id and by_id[q] not in chosen]
    return chosen


def run_drill(
    scenario: Scenario,
    *,
    stack: Stack,
    base: RunConfig,
    progress: Progress | None = None,
    diagnose_traces: int = 5,
    traces_dir: Path | None = None,
) -> DrillJournal:
    """Run one drill of any kind (the scenario's `runner`) and return its journal (never raises for a deviation)."""
    options = DrillOptions(diagnose_traces=diagnose_traces, traces_dir=traces_dir, progress=progress)
    return run(scenario, stack=stack, base=base, options=options)


_TAGS: dict[Window, dict[str, str]] = {"baseline": {"window": "before"}, "fault": {"window": "incident"}}


@register("drill")
class FaultDrill(Drill):
    """The pieces of a drill around a registered fault, over golden traffic."""

    kind = "fault"
    pieces = frozenset({"steady_state", "inject", "traffic", "detect", "diagnose", "bisect", "rollback", "verify"})

    def __init__(
        self,
        scenario: Scenario,
        *,
        stack: Stack,
        base: RunConfig,
        options: DrillOptions | None = None,
        golden: list[GoldenItem] | None = None,
    ) -> None:
        super().__init__(scenario, stack=stack, base=base, options=options)
        self.golden = golden if golden is not None else project_golden()
        self.fault = scenario.fault()
        self.before = Deployment.capture(stack, scenario.steady_state_config(base))
        self.sample = select_traffic(scenario, self.golden)
        self.injection: Injection | None = None
        self.items: list[GoldenItem] = list(self.sample)
        self.windows: dict[Window, list[Trace]] = {}
        self.failing: list[Trace] = []

    def serve(self, deployment: Deployment, items: Sequence[GoldenItem], window: Window | None = None) -> list[Trace]:
        """Golden questions through `deployment` (the one way every piece sends traffic)."""
        from replaylab.evals.golden_traffic import run_traffic

        return run_traffic(self.stack, deployment, items, tags=_TAGS[window] if window else None)

    @property
    def live(self) -> Injection:
        assert self.injection is not None, "the fault is not injected"
        return self.injection

    def steady_state(self) -> SteadyStateDetail:
        from replaylab.evals.golden_traffic import pass_rate

        traces = self.serve(self.before, self.sample)
        return SteadyStateDetail(pass_rate=pass_rate(traces), requests=len(traces))

    def inject(self) -> InjectDetail:
        self.injection = self.fault.inject(self.before, stack=self.stack, golden=self.golden)
        by_id = {g.qid: g for g in self.golden}
        affected = [by_id[q] for q in self.injection.affected_qids if q in by_id]
        if not self.scenario.traffic.include_affected:
            affected = []
        elif self.options.max_affected is not None:
            affected = random.Random(self.options.seed).sample(affected, min(self.options.max_affected, len(affected)))
        self.items = self.sample + [g for g in affected if g not in self.sample]
        return InjectDetail(fault=self.fault.kind, notes=list(self.injection.notes), affected=len(self.injection.affected_qids))

    def traffic(self, window: Window) -> TrafficDetail:
        from replaylab.evals.golden_traffic import pass_rate, passes

        if window == "baseline":
            self._size()
        deployment = self.live.before if window == "baseline" else self.live.after
        traces = self.windows[window] = self.serve(deployment, self.items, window)
        detail = TrafficDetail(window=window, requests=len(traces), pass_rate=pass_rate(traces))
        if window == "fault":
            at_risk = set(self.live.affected_qids)
            hit = [t for t in traces if t.golden and t.golden.qid in at_risk]
            detail.affected_failure_rate = 1 - pass_rate(hit) if hit else 0.0
            self.failing = [t for t in traces if not passes(t)]
            self._save_failing()
        return detail

    def _size(self) -> None:
        """The power calculation for the window about to be sent (journalled, warned when short)."""
        sizing, j = self.scenario.traffic.sizing, self.journal
        p0 = sizing.steady_pass_rate if sizing.steady_pass_rate is not None else j.steady_state_before
        if p0 is None:
            return
        at_risk = set(self.live.affected_qids)
        share = sum(g.qid in at_risk for g in self.items) / len(self.items) if self.items else 0.0
        if sizing.expected_pass_rate is not None:
            p1, basis = sizing.expected_pass_rate, "p1 from the scenario (traffic.sizing.expected_pass_rate)"
        else:
            p1 = expected_under_fault(p0=p0, at_risk_share=share, failure_rate=self.scenario.expect.min_failure_rate)
            basis = f"p1 = p0 x (1 - {share:.0%} at risk x {self.scenario.expect.min_failure_rate:.0%} failing)"
        source = "scenario" if sizing.steady_pass_rate is not None else "measured steady state"
        j.power = power_check(
            p0=p0, p1=p1, n_used=len(self.items), alpha=sizing.alpha, power=sizing.power, basis=f"p0 from the {source}; {basis}"
        )
        if (warning := j.power.warning()) is not None:
            j.warnings.append(warning)

    def _save_failing(self) -> None:
        j, folder = self.journal, self.options.traces_dir
        j.failing_trace_ids = [t.trace_id for t in self.failing]
        if folder is not None:
            for t in self.failing:
                save_trace(t, folder / f"{t.trace_id}.json")
            j.traces_dir = str(folder)

    def detect(self) -> DetectDetail:
        detections, fired = run_detectors(self.windows["fault"], self.windows["baseline"], stack=self.stack)
        self.journal.detections = detections
        return DetectDetail(detectors=len(detections), fired=fired)

    def diagnose(self) -> DiagnoseDetail:
        layer, votes = _diagnose(
            self.stack, self.failing, self.windows["fault"], self.options.diagnose_traces, good=self.live.before.config
        )
        return DiagnoseDetail(layer=layer, votes=votes)

    def bisect(self) -> BisectDetail:
        from replaylab.bisection.trace_bisector import TraceBisector
        from replaylab.evals.golden_traffic import passes

        passed_before = {t.golden.qid for t in self.windows["baseline"] if t.golden and t.golden.qid and passes(t)}
        target = _bisect_target(self.failing, self.live.affected_qids, passed_before)
        if target is None:
            return BisectDetail(skipped="no failing trace to bisect")
        good = self.live.before.config
        stochastic = target.config.sampling.temperature > 0 or good.sampling.temperature > 0
        result = TraceBisector(self.stack, target).run(good=good, seeds=list(range(5 if stochastic else 1)), seeded=stochastic)
        self.journal.bisect = result.model_dump(mode="json", exclude={"steps"})
        return BisectDetail(
            trace=target.trace_id, causes=result.implicated(), replays=result.replays, stopped_because=result.stopped_because
        )

    def rollback(self) -> RollbackDetail:
        restored = self.fault.rollback(self.live, stack=self.stack)
        return RollbackDetail(steps=list(self.live.rollback_steps), restored_equals_before=restored == self.live.before)

    def verify(self) -> VerifyDetail:
        from replaylab.evals.golden_traffic import pass_rate

        rate = pass_rate(self.serve(self.before, self.sample))
        recovered = (
            rate >= self.scenario.steady_state.min_pass_rate and Deployment.capture(self.stack, self.before.config) == self.before
        )
        return VerifyDetail(pass_rate=rate, recovered=recovered)


def _bisect_target(failing: Sequence[Trace], affected: Sequence[str], passed_before: set[str]) -> Trace | None:
    """A failing trace the fault broke: affected, and passing in the baseline window."""
    wanted = set(affected)
    ranked = sorted(
        failing, key=lambda t: (not (t.golden and t.golden.qid in passed_before), not (t.golden and t.golden.qid in wanted))
    )
    return ranked[0] if ranked else None


def _diagnose(
    stack: Stack, failing: Sequence[Trace], window: Sequence[Trace], limit: int, *, good: RunConfig | None = None
) -> tuple[str | None, dict[str, int]]:
    """Diagnose failing traces one by one, and the window as a whole for upstream data."""
    from replaylab.diagnosis.tree import diagnose, diagnose_many

    if not failing:
        return None, {}
    votes: Counter[str] = Counter()
    for t in failing[:limit]:
        votes[diagnose(stack, t, good=good).layer] += 1
    many = diagnose_many(stack, list(window))
    if many.layer == "upstream_data":
        return "upstream_data", {**votes, "upstream_data(window)": 1}
    top = max(votes.values())
    tied = [layer for layer, n in votes.items() if n == top]
    # a tie between per-trace verdicts goes to the layer the whole window's diagnosis names
    return (many.layer if many.layer in tied else tied[0]), dict(votes)
