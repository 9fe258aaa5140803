"""The detector contract: a pydantic model whose fields are its thresholds.

    det = QualityDrop(alpha=0.01)
    d = det.detect(window, baseline, stack=stack)
    d.fired, d.statistic, d.threshold, d.p_value, d.reason

A detector compares a window of production traces with a baseline window (the same
application before the incident) and says whether it fires, with the number it tested, the
threshold, a p-value where the test has one, and one sentence saying why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from replaylab.config import CorpusSpec, IndexSpec
from replaylab.stack.pipeline import Stack
from replaylab.trace import RetrievedChunk, Trace
from replaylab.variables import Layer

T = TypeVar("T")


class Detection(BaseModel):
    """One detector's verdict on one window."""

    name: str
    fired: bool
    statistic: float
    """The number the detector tested (its meaning is in `reason`)."""
    threshold: float
    """The value `statistic` had to pass to fire."""
    p_value: float | None = None
    """The test's p-value, when the detector runs a statistical test."""
    reason: str


class DetectorBase(BaseModel):
    """Base of every detector: fields are thresholds; `detect` compares a window with a baseline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str] = ""
    layer: ClassVar[Layer]
    """The diagnosis layer a firing points at."""

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        """Whether `window` deviates from `baseline`."""
        raise NotImplementedError

    def quiet(self, reason: str, *, threshold: float = 0.0) -> Detection:
        """A Detection that did not fire (not enough data, nothing to compare)."""
        return Detection(name=self.name, fired=False, statistic=0.0, threshold=threshold, reason=reason)


def most_common(values: Sequence[T]) -> T:
    return Counter(values).most_common(1)[0][0]


def retrieved(traces: Sequence[Trace]) -> list[RetrievedChunk]:
    """Every chunk retrieved by `traces` (live retrievals only)."""
    return [c for t in traces if t.retrieval is not None and not t.retrieval.held for c in t.retrieval.chunks]


def served_index(traces: Sequence[Trace]) -> tuple[CorpusSpec, IndexSpec] | None:
    """The corpus and index spec most of `traces` were served from."""
    specs = [(t.config.corpus, t.config.index) for t in traces if t.retrieval is not None]
    return most_common(specs) if specs else None


def fmt_p(p: float | None) -> str:
    return "n/a" if p is None else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")
