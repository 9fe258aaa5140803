"""Detectors: registered pydantic models whose fields are their thresholds.

    from replaylab.detectors import all_detectors
    for det in all_detectors():
        d = det.detect(window, baseline, stack=stack)     # Detection(name, fired, statistic, threshold, p_value, reason)

| name | layer | signal |
|---|---|---|
| query-embedding-drift | retrieval | query embeddings: domain-classifier AUC and MMD², permutation-tested |
| index-staleness | retrieval | served snapshot lags the corpus; canary re-embed disagrees with stored vectors |
| source-concentration | upstream_data | share of chunks from one source / from documents newer than the baseline |
| chunk-age | retrieval | median retrieved-chunk age moved (Mann-Whitney U) |
| model-version-change | generation | returned model != requested, or != the baseline's |
| sampling-config-drift | generation | temperature / top_p / max_tokens differ from the baseline's |
| quality-drop | generation | pass rate dropped (one-sided Fisher exact) |

`measure_detectors` measures each one's true-positive rate on its fault and its
false-positive rate on clean traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from replaylab.detectors.base import Detection, DetectorBase
from replaylab.detectors.generation import ModelVersionChange, QualityDrop, SamplingConfigDrift
from replaylab.detectors.measure import OWN_FAULT, DetectorRow, DetectorTable, measure_detectors
from replaylab.detectors.retrieval import ChunkAge, IndexStaleness, QueryEmbeddingDrift, SourceConcentration
from replaylab.registry import items
from replaylab.trace import Trace

if TYPE_CHECKING:
    from replaylab.stack.pipeline import Stack


def all_detectors() -> list[DetectorBase]:
    """One default-configured instance of every registered detector, by name."""
    return [cls() for _, cls in items("detector")]


def run_detectors(window: list[Trace], baseline: list[Trace], *, stack: Stack) -> tuple[list[dict[str, Any]], list[str]]:
    """Every registered detector over `window` against `baseline`: each detection as JSON, tagged with the
    detector's registered name, and the names that fired. A detector that crashes (one built for RAG
    traffic reading agent sessions, say) is recorded with its error and counts as not fired."""
    detections: list[dict[str, Any]] = []
    fired: list[str] = []
    for name, cls in items("detector"):
        try:
            det = cls().detect(window, baseline, stack=stack)
        except Exception as exc:  # recorded, not raised
            detections.append({"detector": name, "fired": False, "error": f"{type(exc).__name__}: {exc}"})
            continue
        data = det.model_dump(mode="json")
        data.setdefault("detector", name)
        detections.append(data)
        if det.fired:
            fired.append(name)
    return detections, fired


__all__ = [
    "OWN_FAULT",
    "ChunkAge",
    "Detection",
    "DetectorBase",
    "DetectorRow",
    "DetectorTable",
    "IndexStaleness",
    "ModelVersionChange",
    "QualityDrop",
    "QueryEmbeddingDrift",
    "SamplingConfigDrift",
    "SourceConcentration",
    "all_detectors",
    "measure_detectors",
    "run_detectors",
]
