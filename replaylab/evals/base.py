"""The evaluator contract: Score, EvalReport, EvalSettings, EvalContext, Evaluator.

An evaluator is a small pydantic class whose fields are its configuration and whose one
method, `evaluate(ctx)`, returns a `Score` with a reason. It registers itself with
`@evaluator("name")` (a `register("evaluator", name)` that also sets `name`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from replaylab.registry import register
from replaylab.trace import Golden, RetrievedChunk, Trace

if TYPE_CHECKING:
    from replaylab.stack.pipeline import Stack

__all__ = [
    "DEFAULT_GATE",
    "DEFAULT_PRICES",
    "EvalContext",
    "EvalReport",
    "EvalSettings",
    "Evaluator",
    "Price",
    "Score",
    "evaluator",
]

Detail = float | int | str | bool | None


class Score(BaseModel):
    """One evaluator's result on one trace."""

    name: str
    """The evaluator's registered name."""
    value: float
    """The score, in the evaluator's documented range (0.0 when the evaluator crashed)."""
    passed: bool | None
    """True/False against the evaluator's threshold; None when it does not apply or crashed."""
    reason: str
    """One sentence saying why, with the numbers."""
    error: str | None = None
    """`Type: message` when the evaluator raised; the run went on without it."""
    details: dict[str, Detail] = Field(default_factory=dict)
    """Secondary numbers (token F1, median age, the chunk that held the answer...)."""


class EvalReport(BaseModel):
    """Every score of one trace and the verdict the gating evaluators decide."""

    trace_id: str
    """Id of the trace that was scored."""
    scores: list[Score]
    """Every evaluator's score, in the order the evaluators ran (gating or not)."""
    passed: bool
    """The verdict: every gating score that applies passed and no gating evaluator crashed."""
    failed: list[str]
    """Names of the gating evaluators that failed or crashed."""
    gated: list[str] = Field(default_factory=list)
    """Names of the gating evaluators that applied (decided the verdict)."""

    def score(self, name: str) -> Score | None:
        """The score named `name`, if it was computed."""
        return next((s for s in self.scores if s.name == name), None)


class Price(BaseModel):
    """USD per 1,000 tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_1k: float = Field(0.0, ge=0.0)
    output_per_1k: float = Field(0.0, ge=0.0)


DEFAULT_PRICES: dict[str, Price] = {
    "sandbox-reader": Price(),
    "gemma-3-270m": Price(),
    "llama": Price(),
    "gpt-4o-mini": Price(input_per_1k=0.00015, output_per_1k=0.0006),
    "gpt-4o": Price(input_per_1k=0.0025, output_per_1k=0.01),
}
"""Model id (or id prefix) -> price. Local models are free; their tokens are still counted."""

DEFAULT_GATE: tuple[str, ...] = ("correct", "sycophancy", "format")
"""Evaluators whose pass/fail decides the verdict. `sycophancy` applies only to a question
with a false premise and `format` only when a format is configured; both return
passed=None otherwise, which leaves them out. `model_version` is deliberately not here: a
changed model is a cause to find, not an outcome, and gating on it would make every bisect
replay of a changed model fail whatever it answered. None of these calls an embedder, so a
verdict costs microseconds."""


class EvalSettings(BaseModel):
    """Run-wide evaluation settings (thresholds live on the evaluators themselves)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gate: tuple[str, ...] = DEFAULT_GATE
    format_regex: str | None = None
    """The answer must fully match this regular expression."""
    format_schema: dict[str, Any] | None = None
    """The output must be JSON valid against this JSON Schema (a documented subset)."""
    semantic_embedder: str | None = "auto"
    """Embedder for semantic checks: `auto` uses the trace's query embedder when it is a
    MiniLM and a stack is given; None keeps every check lexical."""
    reference_date: date | None = None
    """`Today` for chunk ages and recency (default: the trace's creation date)."""
    recent_after: date | None = None
    """Chunks ingested after this date count as recent (default: within `recent_days`)."""
    recent_days: int = Field(30, ge=0)
    pinned_model: str | None = None
    """The model the application pins (default: the model the trace requested)."""
    expected_route: str | None = None
    """The handler a request should reach when the golden item does not say."""
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))


Vectors = npt.NDArray[np.float32]
EmbedFn = Callable[[Sequence[str]], Vectors]


@dataclass
class EvalContext:
    """What an evaluator reads: the trace, its golden answer, the stack (optional), settings."""

    trace: Trace
    golden: Golden | None = None
    stack: Stack | None = None
    settings: EvalSettings = field(default_factory=EvalSettings)

    @cached_property
    def output(self) -> str:
        return self.trace.generation.output if self.trace.generation is not None else ""

    @cached_property
    def retrieved(self) -> list[RetrievedChunk]:
        """Every retrieved chunk, by rank."""
        if self.trace.retrieval is None:
            return []
        return sorted(self.trace.retrieval.chunks, key=lambda c: c.rank)

    @cached_property
    def placed(self) -> list[RetrievedChunk]:
        """The chunks the model saw, in prompt order (retrieved minus what the assembler dropped)."""
        if self.trace.prompt is None:
            return list(self.retrieved)
        by_id = {c.chunk_id: c for c in self.retrieved}
        return [by_id[cid] for cid in self.trace.prompt.context_chunk_ids if cid in by_id]

    @property
    def reference_date(self) -> date:
        return self.settings.reference_date or self.trace.created_at.date()

    @cached_property
    def embed(self) -> EmbedFn | None:
        """A cached embedding function for semantic checks, or None (lexical only)."""
        name = self.settings.semantic_embedder
        if self.stack is None or name is None:
            return None
        if name == "auto":
            name = self.trace.versions.embedder
            if not name.startswith("minilm"):
                return None
        from replaylab.errors import ModelUnavailable, UnknownPlugin
        from replaylab.stack.embedders import get_embedder

        try:
            emb = get_embedder(name)
        except (ModelUnavailable, UnknownPlugin):
            return None
        stack = self.stack

        def encode(texts: Sequence[str]) -> Vectors:
            return stack.cache.encode(emb, list(texts))

        return encode


E = TypeVar("E", bound="type[Evaluator]")


class Evaluator(BaseModel):
    """Base of every evaluator: fields are configuration, `evaluate` scores one context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str] = ""
    value_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    """The documented range of `Score.value` (inf for unbounded)."""
    higher_is_better: ClassVar[bool] = True

    def evaluate(self, ctx: EvalContext) -> Score:
        raise NotImplementedError

    def score(self, value: float, passed: bool | None, reason: str, **details: Detail) -> Score:
        """A Score of this evaluator, the value clamped into its range."""
        lo, hi = self.value_range
        value = min(max(float(value), lo), hi)
        return Score(name=self.name, value=round(value, 6), passed=passed, reason=reason, details=details)


def evaluator(name: str) -> Callable[[E], E]:
    """Register an Evaluator subclass under `name` and set its `name`."""

    def deco(cls: E) -> E:
        cls.name = name
        register("evaluator", name)(cls)
        return cls

    return deco
