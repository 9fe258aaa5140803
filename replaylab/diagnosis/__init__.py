"""Diagnosis: the four-layer tree, the evidence it reads, and counterfactual replays.

    d = diagnose(stack, trace)
    d.layer, d.confidence, d.evidence["retrieval"].for_

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replaylab.diagnosis.counterfactuals import CounterfactualReport, counterfactuals
    from replaylab.diagnosis.tree import diagnose, diagnose_many

__all__ = ["CounterfactualReport", "counterfactuals", "diagnose", "diagnose_many"]

_LAZY = {
    "CounterfactualReport": "replaylab.diagnosis.counterfactuals",
    "counterfactuals": "replaylab.diagnosis.counterfactuals",
    "diagnose": "replaylab.diagnosis.tree",
    "diagnose_many": "replaylab.diagnosis.tree",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replaylab.diagnosis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
