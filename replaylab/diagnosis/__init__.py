"""Diagnosis: the four-layer tree, the evidence it reads, and counterfactual replays.

    d = diagnose(stack, trace)
    d.layer, d.confidence, d.evidence["retrieval"].for_

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.registry import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
