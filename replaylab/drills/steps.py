"""Typed journal steps: one model per step of the drill skeleton, told apart by `kind`.

    steady_state -> inject -> traffic (baseline, fault) -> detect -> diagnose -> bisect
    -> check (a kind's own) -> rollback -> verify

Every step has a `name` (what the terminal and the postmortem timeline show), a status and a
time, and a `detail` typed per kind. `JournalStep` is their union, tagged by `kind`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from replaylab.drills.rates import MeasuredRate

StepKind = Literal["steady_state", "inject", "traffic", "detect", "diagnose", "bisect", "check", "rollback", "verify"]
"""The skeleton's steps, in the order every drill runs them."""

SKELETON: tuple[StepKind, ...] = (
    "steady_state",
    "inject",
    "traffic",
    "detect",
    "diagnose",
    "bisect",
    "check",
    "rollback",
    "verify",
)
"""The fixed order of `StepKind`: a journal's step kinds are always a subsequence of it."""

Scalar = str | int | float | bool | None
"""A value a `check` step records."""


class StepDetail(BaseModel):
    """What one step saw, typed per step kind; `items()` lists the fields that carry something."""

    model_config = ConfigDict(extra="forbid")

    def items(self) -> list[tuple[str, object]]:
        """(field, JSON value) for every field that is set and not empty, in field order."""
        data = self.model_dump(mode="json", exclude_none=True)
        return [(k, v) for k, v in data.items() if v not in ([], {}, "")]

    def __str__(self) -> str:
        return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in self.items())


class SteadyStateDetail(StepDetail):
    pass_rate: float | None = None
    """Share of the steady-state requests (or agent sessions) that pass."""
    requests: int = 0
    """Requests (or agent sessions) served."""
    guards: str | None = None
    """The runtime guards deployed (agent-loop drills)."""


class InjectDetail(StepDetail):
    fault: str = ""
    """The fault's kind, or the simulation's runner."""
    notes: list[str] = []
    """What the injection (or the simulation) did, in words."""
    affected: int | None = None
    """Golden questions the fault is predicted to break."""


class TrafficDetail(StepDetail):
    window: Literal["baseline", "fault"] = "fault"
    """`baseline`: the window's requests served before the fault; `fault`: the same requests under it."""
    requests: int = 0
    """Requests (turns, sessions) in the window."""
    pass_rate: float | None = None
    """Share of the window that passes."""
    affected_failure_rate: float | None = None
    """Share of the requests the fault was predicted to break that fail (fault window only)."""
    max_session_tokens: int | None = None
    """The largest agent session, in tokens (agent-loop drills)."""
    halted_by: list[str] = []
    """How the agent sessions ended: `answered` or the guard/horizon that stopped them."""


class DetectDetail(StepDetail):
    detectors: int = 0
    """Detectors that ran."""
    fired: list[str] = []
    """The detectors (or gates) that fired."""
    measured: list[MeasuredRate] = []
    """Each registered detector that ran, with its TP and FP rates from `replaylab detectors measure`
    (or why there are none)."""


class DiagnoseDetail(StepDetail):
    layer: str | None = None
    """The layer the diagnosis names (None: no failing request to diagnose)."""
    votes: dict[str, int] = {}
    """Per-trace verdicts by layer (`upstream_data(window)`: the whole window's diagnosis)."""
    evidence: list[str] = []
    """Evidence for the layer, in words (agent-loop drills)."""


class BisectDetail(StepDetail):
    trace: str | None = None
    """The failing trace bisected (fault drills)."""
    question: str | None = None
    """The failing session's question (agent-loop drills)."""
    causes: list[str] = []
    """The variables bisect implicates."""
    replays: int | None = None
    """Replays the bisect ran."""
    stopped_because: str | None = None
    """Why the search stopped, in words."""
    skipped: str | None = None
    """Why no bisect ran (e.g. no failing trace)."""


class CheckDetail(StepDetail):
    passed: bool | None = None
    """Whether the check holds (None: the step only measures)."""
    values: dict[str, Scalar] = {}
    """The figures the check measured, by name."""
    note: str = ""
    """The check's finding in words."""


class RollbackDetail(StepDetail):
    steps: list[str] = []
    """The rollback, in words (one line per undo)."""
    restored_equals_before: bool | None = None
    """The injector's undo returned exactly the deployment from before the fault."""


class VerifyDetail(StepDetail):
    pass_rate: float | None = None
    """Steady-state pass rate after the rollback."""
    recovered: bool = False
    """The steady state holds again and the stack serves the deployment from before the fault."""


D = TypeVar("D", bound=StepDetail)


class StepBase(BaseModel, Generic[D]):
    """What every step has: a name, a status, when it started and how long it took, and its detail."""

    name: str
    """What the terminal and the postmortem timeline show (e.g. `traffic under the fault`)."""
    status: Literal["ok", "failed", "skipped"] = "ok"
    """`failed`: the step raised (the journal's `error` says what)."""
    started_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    """When the step started (UTC)."""
    elapsed_s: float = 0.0
    """Wall time of the step, seconds."""
    detail: D
    """What the step saw, typed per step kind."""


class SteadyStateStep(StepBase[SteadyStateDetail]):
    kind: Literal["steady_state"] = "steady_state"
    """The steady-state hypothesis checked before the fault."""
    detail: SteadyStateDetail = Field(default_factory=SteadyStateDetail)
    """Pass rate of the steady-state traffic."""


class InjectStep(StepBase[InjectDetail]):
    kind: Literal["inject"] = "inject"
    """The method: the fault injected (or the simulation run)."""
    detail: InjectDetail = Field(default_factory=InjectDetail)
    """What was injected."""


class TrafficStep(StepBase[TrafficDetail]):
    kind: Literal["traffic"] = "traffic"
    """One window of traffic, before or under the fault."""
    detail: TrafficDetail = Field(default_factory=TrafficDetail)
    """The window's size and pass rates."""


class DetectStep(StepBase[DetectDetail]):
    kind: Literal["detect"] = "detect"
    """Every detector over the fault window against the baseline window."""
    detail: DetectDetail = Field(default_factory=DetectDetail)
    """Which detectors fired."""


class DiagnoseStep(StepBase[DiagnoseDetail]):
    kind: Literal["diagnose"] = "diagnose"
    """The four-layer diagnosis of the failing requests."""
    detail: DiagnoseDetail = Field(default_factory=DiagnoseDetail)
    """The layer and its votes."""


class BisectStep(StepBase[BisectDetail]):
    kind: Literal["bisect"] = "bisect"
    """Bisect of one failing request against the good deployment."""
    detail: BisectDetail = Field(default_factory=BisectDetail)
    """What was bisected and the causes found."""


class CheckStep(StepBase[CheckDetail]):
    kind: Literal["check"] = "check"
    """A check of the drill kind's own (agent loop: guards on, cost projection)."""
    detail: CheckDetail = Field(default_factory=CheckDetail)
    """The check's figures and verdict."""


class RollbackStep(StepBase[RollbackDetail]):
    kind: Literal["rollback"] = "rollback"
    """The rollbacks (they always run once something was injected)."""
    detail: RollbackDetail = Field(default_factory=RollbackDetail)
    """What was undone."""


class VerifyStep(StepBase[VerifyDetail]):
    kind: Literal["verify"] = "verify"
    """The steady state after the rollback."""
    detail: VerifyDetail = Field(default_factory=VerifyDetail)
    """Pass rate after, and whether the drill recovered."""


JournalStep = Annotated[
    SteadyStateStep | InjectStep | TrafficStep | DetectStep | DiagnoseStep | BisectStep | CheckStep | RollbackStep | VerifyStep,
    Field(discriminator="kind"),
]
"""One journal step, tagged by `kind`."""

_V1_KINDS: tuple[tuple[str, StepKind], ...] = (
    ("steady state before", "steady_state"),
    ("method:", "inject"),
    ("simulate", "inject"),
    ("baseline window", "traffic"),
    ("traffic", "traffic"),
    ("detect", "detect"),
    ("diagnose", "diagnose"),
    ("bisect", "bisect"),
    ("rollback", "rollback"),
    ("steady state after", "verify"),
)


def upgrade_v1_step(step: dict[str, object]) -> dict[str, object]:
    """A version-1 step (`name` and an untyped `detail`) as a typed one; detail keys the typed
    detail does not know are dropped, a step of no skeleton kind becomes a `check`."""
    name = str(step.get("name", ""))
    kind: StepKind = next((k for prefix, k in _V1_KINDS if name.startswith(prefix)), "check")
    cls = STEP_TYPES[kind]
    detail_type = cls.model_fields["detail"].annotation
    assert isinstance(detail_type, type) and issubclass(detail_type, StepDetail)
    raw = step.get("detail")
    detail = {k: v for k, v in (raw.items() if isinstance(raw, dict) else ()) if k in detail_type.model_fields}
    if kind == "traffic":
        detail["window"] = "baseline" if name.startswith("baseline") else "fault"
    return {**step, "kind": kind, "detail": detail}


STEP_TYPES: dict[StepKind, type[StepBase[StepDetail]]] = {
    "steady_state": SteadyStateStep,  # type: ignore[dict-item]
    "inject": InjectStep,  # type: ignore[dict-item]
    "traffic": TrafficStep,  # type: ignore[dict-item]
    "detect": DetectStep,  # type: ignore[dict-item]
    "diagnose": DiagnoseStep,  # type: ignore[dict-item]
    "bisect": BisectStep,  # type: ignore[dict-item]
    "check": CheckStep,  # type: ignore[dict-item]
    "rollback": RollbackStep,  # type: ignore[dict-item]
    "verify": VerifyStep,  # type: ignore[dict-item]
}
"""Step kind -> its model."""
