"""JSON Schemas of every file replaylab reads or writes (`replaylab schema`)."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

# (schema name, module, class): a module not present yet is skipped
_MODELS: tuple[tuple[str, str, str], ...] = (
    ("trace", "replaylab.trace", "Trace"),
    ("run-config", "replaylab.config", "RunConfig"),
    ("document", "replaylab.stack.corpus", "Document"),
    ("golden-item", "replaylab.stack.corpus", "GoldenItem"),
    ("prompt-version", "replaylab.stack.prompts", "PromptVersion"),
    ("index-manifest", "replaylab.stack.index", "Manifest"),
    ("bisect-report", "replaylab.bisection.engine", "BisectResult"),
    ("eval-report", "replaylab.evals", "EvalReport"),
    ("diagnosis", "replaylab.diagnosis.tree", "Diagnosis"),
    ("scenario", "replaylab.scenario", "Scenario"),
    ("drill-journal", "replaylab.drills.fault", "DrillJournal"),
    ("teach-session", "replaylab.teach.game", "SessionRecord"),
    ("canary-gate-report", "replaylab.golden.release_gate", "GateReport"),
    ("project", "replaylab.project", "ProjectFile"),
    ("golden-run-report", "replaylab.golden.batch", "GoldenRunReport"),
    ("backtest-report", "replaylab.backtest.model", "BacktestReport"),
)


def _scenario_methods(schema: dict[str, Any]) -> dict[str, Any]:
    """Check a fault scenario's `method` as one of the built-in faults, told apart by `kind`, so an
    editor flags a wrong parameter too. Other runners (simulations) keep an open mapping; a scenario
    without `runner` is a fault scenario, and `if` holds for it because `properties` ignores absent keys."""
    from pydantic import TypeAdapter

    from replaylab.faults import Fault

    union = TypeAdapter(Fault).json_schema(ref_template="#/$defs/{model}")
    clash = set(union.get("$defs", {})) & set(schema.get("$defs", {}))
    if clash:
        raise RuntimeError(f"fault and scenario schemas both define {sorted(clash)}")
    schema.setdefault("$defs", {}).update(union.pop("$defs", {}))
    schema["if"] = {"properties": {"runner": {"const": "fault"}}}
    schema["then"] = {"properties": {"method": union}}
    return schema


_POST: dict[str, Any] = {"scenario": _scenario_methods}


def all_schemas() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema, for every model whose module is installed."""
    out: dict[str, dict[str, Any]] = {}
    for name, module, cls_name in _MODELS:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            schema = cls.model_json_schema()
            out[name] = _POST[name](schema) if name in _POST else schema
    return out
