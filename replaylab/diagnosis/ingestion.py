"""Is a recently ingested chunk evidence of an ingestion problem? Only with a batch or a concentration.

A wrong answer drawn from a chunk ingested last week says little on its own: in a corpus
that is refreshed often, most chunks are recent, and a top-k truncation or a distractor
serves recent chunks as readily as old ones. Upstream data is suspected when the recent
chunk also came in a declared document batch (the config's `corpus.batches`: an ETL
load, an import), or when the context concentrates on its ingestion (same day and
source): at least two of the context's chunks, half of it or more, and at least twice that
ingestion's share of the whole index.

    ev = ingestion_evidence(stack, trace, chunk, placed)
    ev.batch, ev.concentrated, ev.why()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replaylab.errors import ReplaylabError
from replaylab.stack.corpus import load_batch
from replaylab.stack.pipeline import Stack
from replaylab.trace import RetrievedChunk, Trace

__all__ = ["IngestionEvidence", "concentrated", "ingestion_evidence"]

MIN_CHUNKS = 2
MIN_CONTEXT_SHARE = 0.5
MIN_LIFT = 2.0


@dataclass(frozen=True)
class IngestionEvidence:
    """What ties one chunk to its ingestion."""

    batch: str | None
    """The declared corpus batch the chunk's document was ingested in, if any."""
    same_ingestion: int
    """Chunks of the context from the same ingestion (day and source), the chunk included."""
    context_share: float
    """Their share of the context."""
    corpus_share: float
    """That ingestion's share of the index's chunks."""

    @property
    def concentrated(self) -> bool:
        return concentrated(self.same_ingestion, self.context_share, self.corpus_share)

    @property
    def suspect(self) -> bool:
        """A batch or a concentration: recency that counts as evidence."""
        return self.batch is not None or self.concentrated

    def why(self) -> str:
        if self.batch is not None:
            return f"it came in document batch {self.batch}"
        if self.concentrated:
            return (
                f"{self.same_ingestion} of the context's chunks ({self.context_share:.0%}) come from that one ingestion, "
                f"{self.corpus_share:.0%} of the index"
            )
        return (
            f"it is in no declared batch and the context does not concentrate on its ingestion "
            f"({self.same_ingestion} chunk(s), {self.context_share:.0%} of the context, {self.corpus_share:.0%} of the index)"
        )


def concentrated(same: int, context_share: float, corpus_share: float) -> bool:
    """The concentration rule of the module docstring."""
    return same >= MIN_CHUNKS and context_share >= MIN_CONTEXT_SHARE and context_share >= MIN_LIFT * corpus_share


def ingestion_evidence(stack: Stack, trace: Trace, chunk: RetrievedChunk, placed: Sequence[RetrievedChunk]) -> IngestionEvidence:
    """The batch and the concentration of `chunk`'s ingestion in `trace`'s context and index."""
    cfg = trace.config
    batch = None
    try:
        for bid in cfg.corpus.batches:
            if any(d.doc_id == chunk.doc_id and d.ingested_at == chunk.ingested_at for d in load_batch(stack.ws, bid)):
                batch = bid
                break
    except ReplaylabError:
        batch = None

    def same(c: RetrievedChunk | object) -> bool:
        return getattr(c, "ingested_at", None) == chunk.ingested_at and getattr(c, "source", None) == chunk.source

    n_same = sum(same(c) for c in placed)
    try:
        index_chunks = stack.chunks(cfg.corpus, cfg.index)
    except ReplaylabError:
        index_chunks = []
    corpus_share = sum(same(c) for c in index_chunks) / len(index_chunks) if index_chunks else 1.0
    return IngestionEvidence(
        batch=batch,
        same_ingestion=n_same,
        context_share=n_same / len(placed) if placed else 0.0,
        corpus_share=corpus_share,
    )
