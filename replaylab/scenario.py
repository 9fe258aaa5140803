"""Fault scenarios: YAML files in `scenarios/`, checked against a strict model.

A scenario names the fault and its parameters (the *method*), the good baseline, the
traffic, the steady-state hypothesis, what must happen (which detectors fire, which layer
the diagnosis names, which variable bisect finds), and the teaching material. Its first
line points editors at the JSON Schema (`replaylab schema`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replaylab.config import RunConfig
from replaylab.errors import ScenarioError, error_where

if TYPE_CHECKING:
    from replaylab.faults.base import FaultBase

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SCHEMA_HINT = "# yaml-language-server: $schema=../schemas/scenario.schema.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Traffic(_Strict):
    """Which golden questions the drill sends."""

    sample: int = Field(16, ge=0, le=500)
    """Questions drawn at random (seeded) from the golden set for the steady-state window."""
    seed: int = 0
    include_affected: bool = True
    """Also send the questions the fault is expected to break."""
    qids: list[str] = []
    """Fixed questions, sent in addition."""
    topics: list[str] = []
    """Limit the random sample to these topics."""


class SteadyState(_Strict):
    """The hypothesis that holds before the fault and must hold again after the rollback."""

    min_pass_rate: float = Field(0.8, ge=0.0, le=1.0)
    """Share of the traffic window whose replay passes the evaluators' gate."""


class Expectations(_Strict):
    """What the drill must observe."""

    detectors: list[str] = []
    """Detectors that must fire (others may fire too; they are reported)."""
    layer: Literal["retrieval", "generation", "routing", "upstream_data"] | None = None
    bisect: list[str] = []
    """Variables bisect must name as the cause(s) (as a set)."""
    min_failure_rate: float = Field(0.3, ge=0.0, le=1.0)
    """Share of the affected questions that must fail under the fault (the fault is real)."""


class Teaching(_Strict):
    """Game-day material."""

    first_seen: str
    """What on-call sees first: the alert or the user complaint."""
    dashboards: str = "latency p95 normal, error rate 0.1%, throughput normal"
    hints: list[str] = []
    debrief: str
    earliest_signal: str = ""


class Scenario(_Strict):
    """One fault scenario."""

    version: Literal[1] = 1
    name: str
    title: str
    description: str
    runner: Literal["fault", "prompt-rollout", "canary", "agent-loop"] = "fault"
    """`fault`: the standard drill around a registered fault; the others run their own simulation."""
    baseline: dict[str, Any] = {}
    """RunConfig fields on top of the workspace baseline: the good deployment."""
    traffic: Traffic = Traffic()
    steady_state: SteadyState = SteadyState()
    method: dict[str, Any]
    """The fault (`kind` and its parameters), or the simulation's parameters for other runners."""
    expect: Expectations = Expectations()
    teaching: Teaching
    tags: list[str] = []

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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"Scenario {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
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
