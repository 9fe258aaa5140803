"""The one drill runner: a fixed skeleton of typed steps, each drill kind supplying the pieces.

    steady_state -> inject -> traffic (baseline, fault) -> detect -> diagnose -> bisect
    -> check -> rollback -> verify

    journal = run(scenario, stack=stack, base=config)          # the kind is the scenario's `runner`
    with opened(drill, through="detect") as journal: ...       # a game day: rolled back on exit

Kinds are registered by name (`@register("drill")` reads the class's `kind`): `fault`,
`agent-loop`, `prompt-rollout`, `canary`. A kind lists the steps it has in `pieces`; the
runner runs them in the skeleton's order, journals each, always runs the rollback once
something was injected, verifies the steady state after it, and checks the expectations.
The journal is always written: a step that raises fails the drill, it never escapes `run`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from replaylab.config import RunConfig
from replaylab.drills.journal import DrillJournal, Expectation, JournalRecorder, Progress
from replaylab.drills.steps import (
    SKELETON,
    BisectDetail,
    BisectStep,
    CheckDetail,
    CheckStep,
    DetectDetail,
    DetectStep,
    DiagnoseDetail,
    DiagnoseStep,
    InjectDetail,
    InjectStep,
    RollbackDetail,
    RollbackStep,
    SteadyStateDetail,
    SteadyStateStep,
    StepKind,
    TrafficDetail,
    TrafficStep,
    VerifyDetail,
    VerifyStep,
)
from replaylab.registry import lookup
from replaylab.scenario import Scenario
from replaylab.stack.pipeline import Stack

Window = str
"""`baseline` or `fault`."""
WINDOWS: tuple[Window, ...] = ("baseline", "fault")
_WINDOW_NAMES = {"baseline": "baseline window", "fault": "traffic under the fault"}


@dataclass(frozen=True)
class DrillOptions:
    """How to run a drill, beyond its scenario."""

    diagnose_traces: int = 5
    """Failing traces to diagnose one by one."""
    traces_dir: Path | None = None
    """Save the fault window's failing traces here (the postmortem attaches them)."""
    progress: Progress | None = None
    """Called with each step's name as it starts."""
    max_affected: int | None = None
    """Send at most this many of the questions the fault breaks (a seeded sample; None: all)."""
    seed: int = 0
    """Seed of that sample."""
    enforce_steady_state: bool = True
    """Abort before injecting when the steady state does not hold (a game day only warns: its
    trainee sees the fault either way)."""


class Drill:
    """The pieces one drill kind supplies to the skeleton (override those listed in `pieces`)."""

    kind: ClassVar[str] = ""
    """The registered name, the scenario's `runner`."""
    pieces: ClassVar[frozenset[StepKind]] = frozenset()
    """The skeleton steps this kind has."""
    journal_type: ClassVar[type[DrillJournal]] = DrillJournal

    def __init__(self, scenario: Scenario, *, stack: Stack, base: RunConfig, options: DrillOptions | None = None) -> None:
        self.scenario, self.stack, self.base = scenario, drill_stack(stack), base
        self.options = options or DrillOptions()
        self.journal = self.journal_type(scenario=scenario.name, title=scenario.title, kind=self.kind)
        self.injected = False

    def method_name(self) -> str:
        return f"method: inject {self.scenario.method.get('kind', self.kind)}"

    def steady_state(self) -> SteadyStateDetail:
        raise NotImplementedError

    def inject(self) -> InjectDetail:
        raise NotImplementedError

    def traffic(self, window: Window) -> TrafficDetail:
        raise NotImplementedError

    def detect(self) -> DetectDetail:
        raise NotImplementedError

    def diagnose(self) -> DiagnoseDetail:
        raise NotImplementedError

    def bisect(self) -> BisectDetail:
        raise NotImplementedError

    def checks(self) -> Sequence[tuple[str, Callable[[], CheckDetail]]]:
        """The kind's own checks, by step name, run after bisect and before the rollback."""
        return ()

    def rollback(self) -> RollbackDetail:
        raise NotImplementedError

    def verify(self) -> VerifyDetail:
        raise NotImplementedError

    def expectations(self) -> list[Expectation]:
        """Every expectation of a drill that got past its steady state."""
        return standard_expectations(self.journal, self.scenario)

    def finish(self) -> None:
        """Called once the expectations are in (a kind's derived fields)."""


def standard_expectations(j: DrillJournal, scenario: Scenario, *, extra: Sequence[Expectation] = ()) -> list[Expectation]:
    """The fault is real, the detectors fire, the diagnosis and bisect name the scenario's answer,
    `extra`, and the steady state is restored."""
    exp = scenario.expect
    rate = j.affected_failure_rate
    checks = [
        Expectation(
            name="fault is real (affected failure rate)",
            expected=f">= {exp.min_failure_rate:.0%}",
            actual=rate,
            met=(rate or 0.0) >= exp.min_failure_rate,
        ),
        *detector_expectations(j, scenario),
    ]
    if exp.layer:
        checks.append(
            Expectation(
                name="diagnosis names the layer", expected=exp.layer, actual=j.diagnosed_layer, met=j.diagnosed_layer == exp.layer
            )
        )
    if exp.bisect:
        want = sorted(exp.bisect)
        checks.append(
            Expectation(name="bisect names the cause", expected=want, actual=j.bisect_causes, met=want == j.bisect_causes)
        )
    checks += extra
    checks.append(Expectation(name="steady state restored after rollback", expected=True, actual=j.recovered, met=j.recovered))
    return checks


def detector_expectations(j: DrillJournal, scenario: Scenario) -> list[Expectation]:
    return [
        Expectation(name=f"detector {d} fires", expected=True, actual=d in j.detected_by, met=d in j.detected_by)
        for d in scenario.expect.detectors
    ]


def drill_stack(stack: Stack) -> Stack:
    """The stack a drill runs on: the caller's (same workspace, caches and snapshots) with its own
    scratch copy of the prompt labels, so a drill's label moves (a bad prompt promoted, a rollback)
    never touch the workspace's real `production` label, not even when the drill is killed, and
    two drills at once do not see each other's moves."""
    twin = copy.copy(stack)
    twin.prompts = stack.prompts.scratch_copy()
    twin.provider_overrides = dict(stack.provider_overrides)
    return twin


def make(scenario: Scenario, *, stack: Stack, base: RunConfig, options: DrillOptions | None = None) -> Drill:
    """The drill of the scenario's kind (its `runner`), ready to run."""
    cls: type[Drill] = lookup("drill", scenario.runner)
    return cls(scenario, stack=stack, base=base, options=options)


def run(scenario: Scenario, *, stack: Stack, base: RunConfig, options: DrillOptions | None = None) -> DrillJournal:
    """Run the scenario's drill and return its journal (never raises for a deviation or a failed step)."""
    return execute(make(scenario, stack=stack, base=base, options=options))


def execute(drill: Drill) -> DrillJournal:
    """Run every piece of `drill` through the skeleton, roll back, verify, and check the expectations."""
    started = time.perf_counter()
    j = drill.journal
    rec = JournalRecorder(j, drill.options.progress)
    try:
        try:
            completed = _forward(drill, rec, through="check")
        finally:
            _rollback(drill, rec)
        if completed and drill.injected and "verify" in drill.pieces:
            d = rec.run(VerifyStep(name="steady state after"), drill.verify)
            j.steady_state_after, j.recovered = d.pass_rate, d.recovered
    except Exception as exc:  # the journal is always written
        j.status = "failed"
        j.error = f"{type(exc).__name__}: {exc}"
    return close(drill, started)


@contextmanager
def opened(drill: Drill, *, through: StepKind) -> Iterator[DrillJournal]:
    """Run `drill` through the step `through` and yield its journal; roll back on exit, always.
    Errors propagate (a game day shows them); an aborted steady state leaves `status` aborted."""
    rec = JournalRecorder(drill.journal, drill.options.progress)
    try:
        _forward(drill, rec, through=through)
        yield drill.journal
    finally:
        _rollback(drill, rec)


def close(drill: Drill, started: float) -> DrillJournal:
    j = drill.journal
    if j.status == "aborted":
        j.expectations = [Expectation(name="steady state holds before the fault", expected=True, actual=False, met=False)]
    else:
        j.expectations = drill.expectations()
    j.deviated = j.status != "completed" or not j.expectations or not all(e.met for e in j.expectations)
    j.passed = not j.deviated
    j.elapsed_s = round(time.perf_counter() - started, 3)
    drill.finish()
    return j


def _forward(drill: Drill, rec: JournalRecorder, *, through: StepKind) -> bool:
    """The skeleton's steps up to `through` that `drill` has; False when the steady state aborted it."""
    j = drill.journal
    for kind in SKELETON[: SKELETON.index(through) + 1]:
        if kind not in drill.pieces or kind in ("rollback", "verify"):
            continue
        if kind == "steady_state":
            ss = rec.run(SteadyStateStep(name="steady state before"), drill.steady_state)
            j.steady_state_before = ss.pass_rate
            floor = drill.scenario.steady_state.min_pass_rate
            if ss.pass_rate is not None and ss.pass_rate < floor:
                why = f"steady state does not hold before the fault: pass rate {ss.pass_rate:.0%} < {floor:.0%}"
                if drill.options.enforce_steady_state:
                    j.status, j.error = "aborted", f"{why}; not injected"
                    return False
                j.warnings.append(why)
        elif kind == "inject":
            rec.run(InjectStep(name=drill.method_name()), drill.inject)
            drill.injected = True
        elif kind == "traffic":
            for window in WINDOWS:
                t = rec.run(TrafficStep(name=_WINDOW_NAMES[window]), lambda w=window: drill.traffic(w))  # type: ignore[misc]
                if window == "fault":
                    j.pass_rate_under_fault, j.affected_failure_rate = t.pass_rate, t.affected_failure_rate
        elif kind == "detect":
            j.detected_by = list(rec.run(DetectStep(name="detect"), lambda: _detect(drill)).fired)
        elif kind == "diagnose":
            dg = rec.run(DiagnoseStep(name="diagnose"), drill.diagnose)
            j.diagnosed_layer, j.diagnosis_votes = dg.layer, dict(dg.votes)
        elif kind == "bisect":
            j.bisect_causes = list(rec.run(BisectStep(name="bisect"), drill.bisect).causes)
        else:
            for name, fn in drill.checks():
                rec.run(CheckStep(name=name), fn)
    return True


def _detect(drill: Drill) -> DetectDetail:
    """The kind's detect piece, with the measured TP/FP rates of every registered detector it ran."""
    from replaylab.drills.rates import detector_rates
    from replaylab.registry import names

    detail = drill.detect()
    registered = set(names("detector"))
    ran = [str(d["detector"]) for d in drill.journal.detections if d.get("detector") in registered]
    detail.measured = detector_rates(drill.stack.ws.root, ran)
    return detail


def _rollback(drill: Drill, rec: JournalRecorder) -> None:
    """Chaos Toolkit: rollbacks always run once something was injected."""
    if drill.injected and "rollback" in drill.pieces:
        drill.journal.rollback_steps = list(rec.run(RollbackStep(name="rollbacks"), drill.rollback).steps)
