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
    ("bisect-report", "replaylab.bisect", "BisectResult"),
    ("eval-report", "replaylab.evals", "EvalReport"),
    ("diagnosis", "replaylab.diagnose", "Diagnosis"),
    ("scenario", "replaylab.scenario", "Scenario"),
    ("drill-journal", "replaylab.drill", "DrillJournal"),
    ("teach-session", "replaylab.teach.game", "SessionRecord"),
    ("canary-gate-report", "replaylab.canary_gate", "GateReport"),
)


def all_schemas() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema, for every model whose module is installed."""
    out: dict[str, dict[str, Any]] = {}
    for name, module, cls_name in _MODELS:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            out[name] = cls.model_json_schema()
    return out
