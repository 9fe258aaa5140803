"""The drill journal: always written, every step timed and typed, `deviated` when an expectation is not met.

Every drill kind (fault, agent loop, prompt rollout, canary) and the game day write one through
the runner (`replaylab.drills.runner`); the steps are the typed models of `replaylab.drills.steps`.

    journal.find(BisectStep)      # the bisect step, typed (None if the drill had none)
    journal.bisect_trace          # the trace id bisect ran on
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from replaylab.drills.power import PowerCheck
from replaylab.drills.steps import BisectStep, D, JournalStep, StepBase, StepDetail, upgrade_v1_step

Progress = Callable[[str], None]
"""Called with a step's name as it starts."""

S = TypeVar("S", bound=StepBase[Any])


class Expectation(BaseModel):
    """One thing the scenario says must happen, and whether it did."""

    name: str
    """The expectation in words, e.g. `detector quality-drop fires`."""
    expected: Any
    """What the scenario expects."""
    actual: Any
    """What the drill saw."""
    met: bool
    """`actual` satisfies `expected`."""


class DrillJournal(BaseModel):
    """Everything a drill did and saw; `passed` is false when any expectation deviated."""

    version: Literal[2] = 2
    """Journal format version (1: untyped step details; read and upgraded)."""
    scenario: str
    """The scenario's name."""
    title: str = ""
    """The scenario's title."""
    kind: str = "fault"
    """The drill kind that ran (the scenario's `runner`)."""
    status: Literal["completed", "aborted", "failed"] = "completed"
    """`aborted`: the steady state did not hold before the fault; `failed`: a step raised."""
    deviated: bool = False
    """Some expectation was not met, or the drill did not complete (the CLI exits 1)."""
    passed: bool = False
    """Not deviated."""
    steady_state_before: float | None = None
    """Steady-state pass rate before the fault."""
    pass_rate_under_fault: float | None = None
    """Pass rate of the fault window."""
    affected_failure_rate: float | None = None
    """Share of the requests the fault was predicted to break that failed."""
    steady_state_after: float | None = None
    """Steady-state pass rate after the rollback."""
    detected_by: list[str] = []
    """Detectors (or gates) that fired."""
    detections: list[dict[str, Any]] = []
    """Every detector's verdict (a replaylab.detectors Detection as JSON, tagged with `detector`)."""
    diagnosed_layer: str | None = None
    """The layer the diagnosis names."""
    diagnosis_votes: dict[str, int] = {}
    """Per-trace diagnoses by layer."""
    bisect_causes: list[str] = []
    """The variables bisect implicates, sorted."""
    bisect: dict[str, Any] | None = None
    """The bisect report (a BisectResult as JSON, without its steps)."""
    recovered: bool = False
    """The steady state holds again after the rollback and the stack serves the deployment from before."""
    rollback_steps: list[str] = []
    """The rollback, in words."""
    power: PowerCheck | None = None
    """The traffic sizing: requests needed per window to see the expected drop, and requests sent."""
    warnings: list[str] = []
    """What the drill noticed but does not count as a deviation (e.g. an underpowered window)."""
    expectations: list[Expectation] = []
    """Every expectation checked."""
    steps: list[JournalStep] = Field(default_factory=list)
    """The skeleton's steps as they ran, typed by `kind`."""
    failing_trace_ids: list[str] = []
    """Trace ids of the fault window's failing requests."""
    traces_dir: str | None = None
    """Where the failing traces were saved (the postmortem attaches them)."""
    elapsed_s: float = 0.0
    """Wall time of the whole drill, seconds."""
    error: str | None = None
    """Why the drill aborted or failed, in one line."""
    simulation: dict[str, Any] | None = None
    """The result of a simulation runner (a RolloutResult, CanaryResult or agent-loop report as JSON)."""
    summary: str = ""
    """A fixed-width table a runner wants printed (e.g. the three-way rollback comparison)."""

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("version", 1) == 1:
            steps = [upgrade_v1_step(s) if isinstance(s, dict) and "kind" not in s else s for s in data.get("steps", [])]
            data = {**data, "version": 2, "steps": steps}
        return data

    def find(self, step_type: type[S]) -> S | None:
        """The first step of `step_type`, or None."""
        return next((s for s in self.steps if isinstance(s, step_type)), None)

    def find_all(self, step_type: type[S]) -> list[S]:
        """Every step of `step_type`, in order."""
        return [s for s in self.steps if isinstance(s, step_type)]

    @property
    def bisect_trace(self) -> str | None:
        """The trace id the drill bisected (None: no bisect, or an agent session)."""
        step = self.find(BisectStep)
        return step.detail.trace if step is not None else None


class JournalRecorder:
    """Appends timed, typed steps to a journal; a step that raises is marked failed."""

    def __init__(self, journal: DrillJournal, progress: Progress | None) -> None:
        self.j = journal
        self.progress = progress

    def run(self, step: StepBase[D], fn: Callable[[], D]) -> D:
        """Record `step`, fill its detail with `fn()`, time it; re-raise what `fn` raises."""
        if self.progress:
            self.progress(step.name)
        start = time.perf_counter()
        self.j.steps.append(step)  # type: ignore[arg-type]
        try:
            step.detail = fn()
        except BaseException:
            step.status = "failed"
            raise
        finally:
            step.elapsed_s = round(time.perf_counter() - start, 3)
        return step.detail


__all__ = ["DrillJournal", "Expectation", "JournalRecorder", "Progress", "StepDetail"]
