"""Fault scenarios: YAML files in `scenarios/`, checked against a strict model.

A scenario names the fault and its parameters (the *method*), the good baseline, the
traffic, the steady-state hypothesis, what must happen (which detectors fire, which layer
the diagnosis names, which variable bisect finds), and the teaching material. Its first
line points editors at the JSON Schema (`replaylab schema`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replaylab.config import RunConfig
from replaylab.errors import ScenarioError, error_where
from replaylab.files import parse_yaml, read_input_text

if TYPE_CHECKING:
    from replaylab.faults.base import FaultBase

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$"
"""A name that is safe as one path component: no separator, no `..`, not absolute, not hidden."""
SCHEMA_HINT = "# yaml-language-server: $schema=../schemas/scenario.schema.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sizing(_Strict):
    """The power calculation a drill reports: requests per window needed to see the expected drop."""

    expected_pass_rate: float | None = Field(None, ge=0.0, le=1.0)
    """Pass rate expected under the fault (p1). None: the steady state's, lowered by the share of the
    window the fault puts at risk times `expect.min_failure_rate`."""
    steady_pass_rate: float | None = Field(None, ge=0.0, le=1.0)
    """Steady-state pass rate to plan for (p0). None: the one measured before the fault."""
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    """Significance level of the detectors' tests."""
    power: float = Field(0.8, gt=0.0, lt=1.0)
    """Wanted probability of seeing the drop."""


class Traffic(_Strict):
    """Which golden questions the drill sends."""

    sample: int = Field(16, ge=0, le=500)
    """Questions drawn at random (seeded) from the golden set for the steady-state window."""
    seed: int = 0
    """Seed of the random sample."""
    include_affected: bool = True
    """Also send the questions the fault is expected to break."""
    qids: list[str] = []
    """Fixed questions, sent in addition."""
    topics: list[str] = []
    """Limit the random sample to these topics."""
    sizing: Sizing = Sizing()
    """How many requests a window needs to see the fault's drop (the drill journals it as `power`)."""


class SteadyState(_Strict):
    """The hypothesis that holds before the fault and must hold again after the rollback."""

    min_pass_rate: float = Field(0.8, ge=0.0, le=1.0)
    """Share of the traffic window whose replay passes the evaluators' gate."""


class Expectations(_Strict):
    """What the drill must observe."""

    detectors: list[str] = []
    """Detectors that must fire (others may fire too; they are reported)."""
    layer: Literal["retrieval", "generation", "routing", "upstream_data"] | None = None
    """The layer the diagnosis must name."""
    bisect: list[str] = []
    """Variables bisect must name as the cause(s) (as a set)."""
    min_failure_rate: float = Field(0.3, ge=0.0, le=1.0)
    """Share of the affected questions that must fail under the fault (the fault is real)."""


class Teaching(_Strict):
    """Game-day material."""

    first_seen: str
    """What on-call sees first: the alert or the user complaint."""
    dashboards: str = "latency p95 normal, error rate 0.1%, throughput normal"
    """What the dashboards show at the start of the game day."""
    hints: list[str] = []
    """Hints the trainee can ask for, in order."""
    debrief: str
    """What happened and how to fix and prevent it, shown after the submission."""
    earliest_signal: str = ""
    """The signal that would have caught it first."""


class Scenario(_Strict):
    """One fault scenario."""

    version: Literal[1] = 1
    """Scenario format version."""
    name: str = Field(max_length=80, pattern=SAFE_NAME)
    """Letters, digits, `-`, `_` and single dots: it names files in the workspace, so never a path."""
    title: str
    """One line for reports."""
    description: str
    """What the fault is and why it matters."""
    runner: Literal["fault", "prompt-rollout", "canary", "agent-loop"] = "fault"
    """`fault`: the standard drill around a registered fault; the others run their own simulation."""
    baseline: dict[str, Any] = {}
    """RunConfig fields on top of the workspace baseline: the good deployment."""
    traffic: Traffic = Traffic()
    """Which golden questions the drill sends."""
    steady_state: SteadyState = SteadyState()
    """The hypothesis checked before the fault and after the rollback."""
    method: dict[str, Any]
    """The fault (`kind` and its parameters), or the simulation's parameters for other runners."""
    expect: Expectations = Expectations()
    """What the drill must observe."""
    teaching: Teaching
    """Game-day material."""
    tags: list[str] = []
    """Free labels (layer, `real-llm`, ...)."""

    def fault(self, *, source: str | None = None) -> FaultBase:
        """The fault this scenario injects (its `method`), validated by the registered fault class;
        errors name `source` (the file) or the scenario."""
        from replaylab.registry import lookup

        where = source or self.name
        kind = self.method.get("kind")
        if not isinstance(kind, str):
            raise ScenarioError(f"Scenario {where}: method.kind is missing")
        try:
            fault: FaultBase = lookup("fault", kind).model_validate(self.method)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ScenarioError(f"Scenario {where}: method.{error_where(err['loc'])}: {err['msg']}") from None
        return fault

    def steady_state_config(self, base: RunConfig) -> RunConfig:
        """The good deployment's config: the fault's own steady state first, then what the scenario pins."""
        return self.baseline_config(self.fault().steady_state(base))

    def baseline_config(self, base: RunConfig) -> RunConfig:
        """`base` with the scenario's `baseline` fields on top (mappings merged one level deep)."""
        data = base.model_dump(mode="json")
        for key, value in self.baseline.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        try:
            return RunConfig.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ScenarioError(f"Scenario {self.name}: baseline.{error_where(err['loc'])}: {err['msg']}") from None


def scenario_names(folder: Path = SCENARIO_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_scenario(name_or_path: str, folder: Path = SCENARIO_DIR) -> Scenario:
    """Load a scenario by name (from `scenarios/`) or path; one clear ScenarioError otherwise."""
    path = Path(name_or_path)
    if not path.suffix:
        path = folder / f"{name_or_path}.yaml"
    if not path.exists():
        raise ScenarioError(f"Unknown scenario {name_or_path!r}. Valid: {scenario_names(folder)}")
    text = read_input_text(path, what="scenario", max_bytes=1024 * 1024, error=ScenarioError)
    data = parse_yaml(text, what="scenario", path=path, error=ScenarioError)
    if not isinstance(data, dict):
        raise ScenarioError(f"Scenario {path} is not a mapping")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ScenarioError(f"Scenario {path}: {error_where(err['loc'])}: {err['msg']}") from None
    if scenario.runner == "fault":
        _check_fault(scenario, path)
    return scenario


def _check_fault(scenario: Scenario, path: Path) -> None:
    scenario.fault(source=str(path))
