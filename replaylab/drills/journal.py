"""The drill journal: always written, every step timed, `deviated` when an expectation is not met.

Every runner (fault, agent loop, rollout, canary) writes one; rollbacks are recorded here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from replaylab.scenario import Scenario
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack

if TYPE_CHECKING:
    from replaylab.faults.base import FaultBase, Injection


Progress = Callable[[str], None]


class JournalStep(BaseModel):
    name: str
    status: Literal["ok", "failed", "skipped"] = "ok"
    started_at: datetime
    elapsed_s: float = 0.0
    detail: dict[str, Any] = {}


class Expectation(BaseModel):
    name: str
    expected: Any
    actual: Any
    met: bool


class DrillJournal(BaseModel):
    """Everything a drill did and saw; `passed` is false when any expectation deviated."""

    version: Literal[1] = 1
    scenario: str
    title: str = ""
    status: Literal["completed", "aborted", "failed"] = "completed"
    deviated: bool = False
    passed: bool = False
    steady_state_before: float | None = None
    pass_rate_under_fault: float | None = None
    affected_failure_rate: float | None = None
    steady_state_after: float | None = None
    detected_by: list[str] = []
    detections: list[dict[str, Any]] = []
    diagnosed_layer: str | None = None
    diagnosis_votes: dict[str, int] = {}
    bisect_causes: list[str] = []
    bisect: dict[str, Any] | None = None
    recovered: bool = False
    rollback_steps: list[str] = []
    expectations: list[Expectation] = []
    steps: list[JournalStep] = Field(default_factory=list)
    failing_trace_ids: list[str] = []
    traces_dir: str | None = None
    """Where the failing traces were saved (the postmortem attaches them)."""
    elapsed_s: float = 0.0
    error: str | None = None
    simulation: dict[str, Any] | None = None
    """The result of a non-fault runner (prompt rollout, canary, agent loop)."""
    summary: str = ""
    """A fixed-width table a runner wants printed (e.g. the three-way rollback comparison)."""


class JournalRecorder:
    """Appends timed steps to a journal; a step that raises is marked failed."""

    def __init__(self, journal: DrillJournal, progress: Progress | None) -> None:
        self.j = journal
        self.progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[dict[str, Any]]:
        if self.progress:
            self.progress(name)
        detail: dict[str, Any] = {}
        start = time.perf_counter()
        entry = JournalStep(name=name, started_at=datetime.now(timezone.utc), detail=detail)
        self.j.steps.append(entry)
        try:
            yield detail
        except BaseException:
            entry.status = "failed"
            raise
        finally:
            entry.detail = detail
            entry.elapsed_s = round(time.perf_counter() - start, 3)


def record_rollback(jr: JournalRecorder, journal: DrillJournal, fault: FaultBase, injection: Injection, *, stack: Stack) -> None:
    """The rollbacks step every fault drill ends with (Chaos Toolkit: rollbacks always run)."""
    with jr.step("rollbacks") as d:
        restored = fault.rollback(injection, stack=stack)
        journal.rollback_steps = d["steps"] = injection.rollback_steps
        d["restored_equals_before"] = restored == injection.before


def verify_recovery(
    jr: JournalRecorder,
    journal: DrillJournal,
    scenario: Scenario,
    *,
    stack: Stack,
    before: Deployment,
    rerun: Callable[[], float],
) -> None:
    """The last step of a fault drill: the steady state holds again (`rerun` gives its pass rate now) and
    the stack serves `before` exactly."""
    with jr.step("steady state after") as d:
        journal.steady_state_after = d["pass_rate"] = rerun()
    journal.recovered = (
        journal.steady_state_after >= scenario.steady_state.min_pass_rate and Deployment.capture(stack, before.config) == before
    )
