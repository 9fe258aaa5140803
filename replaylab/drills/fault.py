"""Drills: steady state -> inject -> run traffic -> detect -> diagnose -> bisect -> roll back
-> verify, in Chaos Toolkit's vocabulary. The journal is always written; rollbacks always run;
`deviated` is true when any expectation is not met (the CLI exits 1).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from replaylab.config import RunConfig
from replaylab.registry import items
from replaylab.scenario import Scenario
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace, save_trace

if TYPE_CHECKING:
    pass
from replaylab.drills.journal import DrillJournal, Expectation, JournalRecorder, Progress, record_rollback, verify_recovery


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
    """Run one drill and return its journal (never raises for a deviation)."""
    if scenario.runner != "fault":
        return _run_simulation(scenario, stack=stack, base=base, progress=progress)
    from replaylab.bisection.trace_bisector import TraceBisector
    from replaylab.evals.golden_traffic import pass_rate, passes, run_traffic

    started = time.perf_counter()
    journal = DrillJournal(scenario=scenario.name, title=scenario.title)
    jr = JournalRecorder(journal, progress)
    golden = load_golden()
    by_id = {g.qid: g for g in golden}
    fault = scenario.fault()
    before = Deployment.capture(stack, scenario.steady_state_config(base))
    sample = select_traffic(scenario, golden)
    injection = None
    try:
        with jr.step("steady state before") as d:
            traces = run_traffic(stack, before, sample)
            journal.steady_state_before = d["pass_rate"] = pass_rate(traces)
            d["requests"] = len(traces)
        if journal.steady_state_before < scenario.steady_state.min_pass_rate:
            journal.status = "aborted"
            journal.error = (
                f"steady state does not hold before the fault: pass rate "
                f"{journal.steady_state_before:.0%} < {scenario.steady_state.min_pass_rate:.0%}; not injected"
            )
            return _close(journal, scenario, started)
        with jr.step("method: inject " + scenario.method["kind"]) as d:
            injection = fault.inject(before, stack=stack, golden=golden)
            d["notes"] = injection.notes
            d["affected"] = len(injection.affected_qids)
        affected = [by_id[q] for q in injection.affected_qids if q in by_id]
        window_items = sample + [g for g in affected if g not in sample] if scenario.traffic.include_affected else sample
        with jr.step("baseline window") as d:
            baseline_traces = run_traffic(stack, injection.before, window_items)
            d["pass_rate"] = pass_rate(baseline_traces)
        with jr.step("traffic under the fault") as d:
            window = run_traffic(stack, injection.after, window_items)
            journal.pass_rate_under_fault = d["pass_rate"] = pass_rate(window)
            hit = [t for t in window if t.golden and t.golden.qid in set(injection.affected_qids)]
            journal.affected_failure_rate = d["affected_failure_rate"] = 1 - pass_rate(hit) if hit else 0.0
        failing = [t for t in window if not passes(t)]
        journal.failing_trace_ids = [t.trace_id for t in failing]
        if traces_dir is not None:
            for t in failing:
                save_trace(t, traces_dir / f"{t.trace_id}.json")
            journal.traces_dir = str(traces_dir)
        with jr.step("detect") as d:
            for name, cls in items("detector"):
                det = cls().detect(window, baseline_traces, stack=stack)
                journal.detections.append(det.model_dump(mode="json"))
                if det.fired:
                    journal.detected_by.append(name)
            d["fired"] = journal.detected_by
        with jr.step("diagnose") as d:
            journal.diagnosed_layer, journal.diagnosis_votes = _diagnose(
                stack, failing, window, diagnose_traces, good=injection.before.config
            )
            d["layer"] = journal.diagnosed_layer
            d["votes"] = journal.diagnosis_votes
        with jr.step("bisect") as d:
            passed_before = {t.golden.qid for t in baseline_traces if t.golden and t.golden.qid and passes(t)}
            target = _bisect_target(failing, injection.affected_qids, passed_before)
            if target is None:
                d["skipped"] = "no failing trace to bisect"
            else:
                stochastic = target.config.sampling.temperature > 0 or injection.before.config.sampling.temperature > 0
                result = TraceBisector(stack, target).run(
                    good=injection.before.config, seeds=list(range(5 if stochastic else 1)), seeded=stochastic
                )
                journal.bisect = result.model_dump(mode="json", exclude={"steps"})
                journal.bisect_causes = result.implicated()
                d["trace"] = target.trace_id
                d["causes"] = journal.bisect_causes
                d["replays"] = result.replays
    except Exception as exc:  # the journal is always written
        journal.status = "failed"
        journal.error = f"{type(exc).__name__}: {exc}"
    finally:
        if injection is not None:
            record_rollback(jr, journal, fault, injection, stack=stack)
    if injection is not None and journal.status != "failed":
        verify_recovery(
            jr, journal, scenario, stack=stack, before=before, rerun=lambda: pass_rate(run_traffic(stack, before, sample))
        )
    return _close(journal, scenario, started)


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


def _close(journal: DrillJournal, scenario: Scenario, started: float) -> DrillJournal:
    exp = scenario.expect
    checks: list[Expectation] = []
    if journal.status != "aborted":
        checks.append(
            Expectation(
                name="fault is real (affected failure rate)",
                expected=f">= {exp.min_failure_rate:.0%}",
                actual=journal.affected_failure_rate,
                met=(journal.affected_failure_rate or 0.0) >= exp.min_failure_rate,
            )
        )
        for det in exp.detectors:
            checks.append(
                Expectation(
                    name=f"detector {det} fires", expected=True, actual=det in journal.detected_by, met=det in journal.detected_by
                )
            )
        if exp.layer:
            checks.append(
                Expectation(
                    name="diagnosis names the layer",
                    expected=exp.layer,
                    actual=journal.diagnosed_layer,
                    met=journal.diagnosed_layer == exp.layer,
                )
            )
        if exp.bisect:
            checks.append(
                Expectation(
                    name="bisect names the cause",
                    expected=sorted(exp.bisect),
                    actual=journal.bisect_causes,
                    met=sorted(exp.bisect) == journal.bisect_causes,
                )
            )
        checks.append(
            Expectation(
                name="steady state restored after rollback", expected=True, actual=journal.recovered, met=journal.recovered
            )
        )
    else:
        checks.append(Expectation(name="steady state holds before the fault", expected=True, actual=False, met=False))
    journal.expectations = checks
    journal.deviated = journal.status != "completed" or not all(c.met for c in checks)
    journal.passed = not journal.deviated
    journal.elapsed_s = round(time.perf_counter() - started, 3)
    return journal


def _run_simulation(scenario: Scenario, *, stack: Stack, base: RunConfig, progress: Progress | None) -> DrillJournal:
    """Drills whose method is a simulation: prompt rollout in sessions, canary, agent loop."""
    started = time.perf_counter()
    journal = DrillJournal(scenario=scenario.name, title=scenario.title)
    jr = JournalRecorder(journal, progress)
    params = {k: v for k, v in scenario.method.items() if k != "kind"}
    config = scenario.baseline_config(base)
    met: dict[str, bool] = {}
    try:
        with jr.step(f"simulate {scenario.runner}") as d:
            if scenario.runner == "prompt-rollout":
                from replaylab.drills.rollout import RolloutSpec, simulate_rollout

                rollout = simulate_rollout(stack, config=config, spec=RolloutSpec.model_validate(params))
                met = rollout.expectations_met()
                journal.simulation = rollout.model_dump(mode="json")
                journal.summary = rollout.table()
                journal.diagnosed_layer, journal.bisect_causes = "generation", ["prompt"]
                journal.recovered = met.get("pin_and_drain_serves_no_bad_turn_after_rollback", False)
            elif scenario.runner == "canary":
                from replaylab.drills.rollout import CanarySpec, simulate_canary

                canary = simulate_canary(stack, config=config, spec=CanarySpec.model_validate(params))
                met = canary.expectations_met()
                journal.simulation = canary.model_dump(mode="json")
                journal.detected_by = ["canary-gate"] if canary.gate.verdict == "kill" else []
                journal.recovered = met.get("production_sessions_untouched", True)
            else:
                from replaylab.drills.agent_loop import run_agent_loop_drill

                report = run_agent_loop_drill(scenario, stack=stack, base=config)
                met = report.expectations_met()
                journal.simulation = report.model_dump(mode="json")
                journal.summary = report.table()
                journal.detected_by = list(report.detected_by)
                journal.diagnosed_layer = report.diagnosed_layer
                journal.bisect_causes = list(report.bisect_causes)
                journal.recovered = report.recovered
            d["expectations"] = met
    except Exception as exc:  # the journal is always written
        journal.status = "failed"
        journal.error = f"{type(exc).__name__}: {exc}"
    journal.expectations = [
        Expectation(name=name.replace("_", " "), expected=True, actual=ok, met=ok) for name, ok in met.items()
    ]
    for det in scenario.expect.detectors:
        journal.expectations.append(
            Expectation(
                name=f"detector {det} fires", expected=True, actual=det in journal.detected_by, met=det in journal.detected_by
            )
        )
    journal.deviated = journal.status != "completed" or not journal.expectations or not all(e.met for e in journal.expectations)
    journal.passed = not journal.deviated
    journal.elapsed_s = round(time.perf_counter() - started, 3)
    return journal
