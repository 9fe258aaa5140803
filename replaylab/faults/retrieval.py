"""Retrieval-layer faults: embedding drift, a stale index, top-K truncation, tokenization mismatch.

Each one changes exactly one retrieval variable. The questions it should break are the ones
whose golden answer reaches the model before the fault and no longer after it
(`effects.lost_answers`): computed with the stack's retrieval, assembly and the served
model's window, never by running the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from replaylab.errors import ConfigError
from replaylab.faults.base import Change, FaultBase, no_change, with_config
from replaylab.faults.effects import Lens, lost_answers
from replaylab.registry import register
from replaylab.stack.corpus import GoldenItem, all_rows
from replaylab.stack.deployment import Deployment
from replaylab.stack.embedders import get_embedder
from replaylab.stack.pipeline import Stack
from replaylab.variables import Layer


@register("fault")
class EmbeddingDrift(FaultBase):
    """The query embedder moves to another version while the index keeps the old vectors."""

    kind: Literal["embedding-drift"] = "embedding-drift"
    to: str = "minilm-l6-v2-l3"
    """The embedder queries are embedded with under the fault (same dimension as the index)."""

    layer: ClassVar[Layer] = "retrieval"
    summary: ClassVar[str] = "query embedder changed, index not rebuilt"

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        if cfg.embedder == self.to:
            return no_change(f"queries are already embedded with {self.to}", before)
        snap = stack.snapshot(cfg.corpus, cfg.index)
        dim = get_embedder(self.to).dim
        if dim != snap.manifest.dim:
            raise ConfigError(
                f"embedding-drift: {self.to} gives {dim}-d vectors but index {snap.id} holds "
                f"{snap.manifest.dim}-d vectors; drift needs an embedder of the same dimension"
            )
        after = with_config(before, embedder=self.to)
        lost = lost_answers(stack, before, after, golden)
        return Change(
            after=after,
            affected_qids=lost,
            notes=[
                f"query embedder {cfg.embedder} -> {self.to}; index {snap.id} still holds {snap.manifest.embedder} vectors",
                f"{len(lost)} golden questions lose their answer from the context",
            ],
        )


def first_update(stack: Stack, before: Deployment) -> date | None:
    """The earliest date any document of the served corpus got a newer version."""
    versions: dict[str, set[date]] = defaultdict(set)
    for row in all_rows(before.config.corpus, stack.ws):
        versions[row.doc_id].add(row.ingested_at)
    later = [sorted(v)[1] for v in versions.values() if len(v) > 1]
    return min(later) if later else None


@register("fault")
class StaleIndex(FaultBase):
    """The indexing pipeline stopped: the served index is built from the corpus as it was on `as_of`."""

    kind: Literal["stale-index"] = "stale-index"
    as_of: date | None = None
    """Serve the index built on or before this date (default: the day before the first document update)."""

    layer: ClassVar[Layer] = "retrieval"
    summary: ClassVar[str] = "indexing pipeline silently stopped; snapshot older than the corpus"

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        as_of = self.as_of
        if as_of is None:
            first = first_update(stack, before)
            if first is None:
                raise ConfigError("stale-index: no document in this corpus has a later version; give as_of")
            as_of = first - timedelta(days=1)
        if cfg.index.as_of is not None and cfg.index.as_of <= as_of:
            return no_change(f"the served index is already built as of {cfg.index.as_of}", before)
        after = with_config(before, index=cfg.index.model_copy(update={"as_of": as_of}))
        newest = max(d.ingested_at for d in stack.documents(cfg.corpus))
        lost = lost_answers(stack, before, after, golden)
        updated = sorted(g.qid for g in golden if g.updated)
        return Change(
            after=after,
            affected_qids=lost,
            notes=[
                f"index pinned to the corpus as of {as_of} while the corpus holds documents up to {newest}",
                f"{len(lost)} golden questions lose their current answer "
                f"({len(set(lost) & set(updated))} of the {len(updated)} rows marked updated)",
            ],
        )


@register("fault")
class TopKTruncation(FaultBase):
    """top_k (or a score cutoff) lowered so answer chunks rank just below the cutoff."""

    kind: Literal["top-k-truncation"] = "top-k-truncation"
    top_k: int | None = Field(1, ge=1, le=200)
    """The lowered top_k (None: keep top_k and cut by `min_score`)."""
    min_score: float | None = Field(None, ge=-1.0, le=1.0)
    """A cosine cutoff below which chunks are dropped (None: no cutoff change)."""

    layer: ClassVar[Layer] = "retrieval"
    summary: ClassVar[str] = "the answer ranks just below the retrieval cutoff"

    @model_validator(mode="after")
    def _one_knob(self) -> TopKTruncation:
        if self.top_k is None and self.min_score is None:
            raise ValueError("top-k-truncation needs top_k or min_score")
        return self

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        update: dict[str, Any] = {}
        if self.top_k is not None and self.top_k < cfg.top_k:
            update["top_k"] = self.top_k
        if self.min_score is not None and (cfg.min_score is None or self.min_score > cfg.min_score):
            update["min_score"] = self.min_score
        if not update:
            return no_change(f"top_k {cfg.top_k} / min_score {cfg.min_score} already at or below the cutoff", before)
        after = with_config(before, **update)
        lens = Lens(stack)
        lost = lens.lost(before, after, golden)
        by_id = {g.qid: g for g in golden}
        ranks = sorted(r for q in lost if (r := lens.see(before, by_id[q].question).answer_rank(by_id[q])))
        what = ", ".join(f"{k} {getattr(cfg, k)} -> {v}" for k, v in update.items())
        return Change(
            after=after,
            affected_qids=lost,
            notes=[
                f"{what}",
                f"{len(lost)} golden questions had their answer chunk at ranks {ranks[:1] + ranks[-1:] if ranks else []} "
                f"(first..last) of {cfg.top_k}; the cutoff now drops it",
            ],
        )


@register("fault")
class TokenizationMismatch(FaultBase):
    """The context budget is counted with a cheap tokenizer while the model counts WordPiece.

    The budget number is unchanged, so more text is packed than the model's window holds and
    the model cuts the tail. The steady state it is meaningful against (`baseline_fields`): the
    most relevant chunk placed last, next to the question (`context_order: reverse`), and a
    WordPiece budget of 1800 that nearly fills `sandbox-reader-1.0`'s 2048-token window (about
    14 of 25 retrieved chunks). Counted in whitespace words the same budget packs about 20
    chunks, some 2,500 WordPiece tokens, and the window cuts the best chunk at the tail.
    (`sandbox-reader-mini`'s 384-token window would show the same cut, but its primacy bias
    already misses a tail answer in the steady state: about half the baseline fails.)
    """

    kind: Literal["tokenization-mismatch"] = "tokenization-mismatch"
    to: Literal["whitespace", "chars4"] = "whitespace"
    """The tokenizer the assembler counts with under the fault."""

    layer: ClassVar[Layer] = "retrieval"
    summary: ClassVar[str] = "context assembled with one tokenizer, truncated by another"
    baseline_fields: ClassVar[dict[str, Any]] = {
        "model": "sandbox-reader-1.0",
        "context_order": "reverse",
        "tokenizer": "wordpiece",
        "context_budget": 1800,
        "top_k": 25,
    }

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        if cfg.tokenizer == self.to:
            return no_change(f"the context budget is already counted with {self.to}", before)
        after = with_config(before, tokenizer=self.to)
        lost = lost_answers(stack, before, after, golden)
        return Change(
            after=after,
            affected_qids=lost,
            notes=[
                f"context budget of {cfg.context_budget} counted with {self.to} instead of {cfg.tokenizer}; "
                f"{cfg.model} counts WordPiece and cuts what overflows its window",
                f"{len(lost)} golden questions lose their answer past the model's window",
            ],
        )
