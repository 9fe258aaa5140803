"""Retrieval evaluators: retrieval_hit, recall_at_k, mrr, answer_in_context,
context_relevance, source_concentration, chunk_age."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta

import numpy as np
from pydantic import Field

from replaylab.evals.base import EvalContext, Evaluator, Score, evaluator
from replaylab.evals.text import content_words, find_needle, specific_needles
from replaylab.trace import Golden, RetrievedChunk


def answer_chunks(chunks: list[RetrievedChunk], golden: Golden) -> list[tuple[int, RetrievedChunk, str]]:
    """(1-based position in `chunks`, chunk, needle found) for every chunk holding the answer."""
    needles = specific_needles(golden.answer, golden.aliases)
    out = []
    for pos, chunk in enumerate(chunks, 1):
        found = find_needle(f"{chunk.title}. {chunk.text}", needles)
        if found is not None:
            out.append((pos, chunk, found))
    return out


def _golden_docs(ctx: EvalContext) -> set[str] | None:
    if ctx.golden is None or not ctx.golden.doc_ids:
        return None
    return set(ctx.golden.doc_ids)


@evaluator("retrieval_hit")
class RetrievalHit(Evaluator):
    """1.0 when a golden document is among the retrieved chunks, else 0.0. Range 0..1;
    passes at 1.0; None without golden document ids."""

    def evaluate(self, ctx: EvalContext) -> Score:
        docs = _golden_docs(ctx)
        if docs is None:
            return self.score(0.0, None, "no golden document ids")
        hits = [c for c in ctx.retrieved if c.doc_id in docs]
        if hits:
            return self.score(
                1.0,
                True,
                f"golden document {hits[0].doc_id} retrieved at rank {hits[0].rank} of {len(ctx.retrieved)}",
                rank=hits[0].rank,
            )
        return self.score(
            0.0, False, f"none of the golden documents {sorted(docs)} is among the {len(ctx.retrieved)} retrieved chunks"
        )


@evaluator("recall_at_k")
class RecallAtK(Evaluator):
    """Share of the golden documents found among the retrieved chunks. Range 0..1; passes at
    `min_recall`; None without golden document ids."""

    min_recall: float = Field(0.5, ge=0.0, le=1.0)

    def evaluate(self, ctx: EvalContext) -> Score:
        docs = _golden_docs(ctx)
        if docs is None:
            return self.score(0.0, None, "no golden document ids")
        found = docs & {c.doc_id for c in ctx.retrieved}
        value = len(found) / len(docs)
        return self.score(
            value,
            value >= self.min_recall,
            f"{len(found)}/{len(docs)} golden documents in the top {len(ctx.retrieved)}",
            k=len(ctx.retrieved),
        )


@evaluator("mrr")
class MRR(Evaluator):
    """Reciprocal rank of the first retrieved chunk from a golden document (0 when none).
    Range 0..1; passes at `min_mrr` (0.2: rank 5 or better); None without golden ids."""

    min_mrr: float = Field(0.2, ge=0.0, le=1.0)

    def evaluate(self, ctx: EvalContext) -> Score:
        docs = _golden_docs(ctx)
        if docs is None:
            return self.score(0.0, None, "no golden document ids")
        first = next((c for c in ctx.retrieved if c.doc_id in docs), None)
        if first is None:
            return self.score(0.0, False, "no golden document retrieved")
        value = 1.0 / max(first.rank, 1)
        return self.score(value, value >= self.min_mrr, f"first golden chunk {first.chunk_id} at rank {first.rank}")


@evaluator("answer_in_context")
class AnswerInContext(Evaluator):
    """1.0 when a chunk the model saw holds the answer string (the answer or a specific alias,
    whole normalised tokens), else 0.0. Range 0..1; passes at 1.0; None without a golden
    answer. Details name the chunk, its prompt position, and answer chunks the assembler
    dropped to fit its budget."""

    def evaluate(self, ctx: EvalContext) -> Score:
        g = ctx.golden
        if g is None:
            return self.score(0.0, None, "no golden answer")
        placed = answer_chunks(ctx.placed, g)
        placed_ids = {c.chunk_id for c in ctx.placed}
        dropped = [c for _, c, _ in answer_chunks(ctx.retrieved, g) if c.chunk_id not in placed_ids]
        details: dict[str, str | int | float | bool | None] = {"placed": len(ctx.placed)}
        if dropped:
            details["dropped_answer_chunk"] = dropped[0].chunk_id
        if placed:
            pos, chunk, needle = placed[0]
            details.update(position=pos, chunk_id=chunk.chunk_id)
            return self.score(
                1.0, True, f"chunk {chunk.chunk_id} (position {pos} of {len(ctx.placed)}) holds {needle!r}", **details
            )
        why = f"none of the {len(ctx.placed)} chunks the model saw holds {g.answer!r}"
        if dropped:
            why += f"; retrieved chunk {dropped[0].chunk_id} holds it but the assembler dropped it"
        return self.score(0.0, False, why, **details)


@evaluator("context_relevance")
class ContextRelevance(Evaluator):
    """Mean relevance of the chunks the model saw to the question: cosine with a MiniLM
    stack, else the share of the question's content words each chunk holds. Range 0..1
    (negative cosines count as 0); passes when the best chunk reaches `min_relevance`."""

    min_relevance: float = Field(0.3, ge=0.0, le=1.0)

    def evaluate(self, ctx: EvalContext) -> Score:
        chunks = ctx.placed
        if not chunks:
            return self.score(0.0, False, "no context")
        texts = [f"{c.title}. {c.text}" if c.title else c.text for c in chunks]
        embed = ctx.embed
        if embed is not None:
            q, m = embed([ctx.trace.question]), embed(texts)
            rel = [max(0.0, float(x)) for x in (m @ q[0])]
            method = "minilm"
        else:
            qw = content_words(ctx.trace.question)
            rel = [len(qw & content_words(t)) / len(qw) if qw else 0.0 for t in texts]
            method = "lexical"
        mean, best = float(np.mean(rel)), max(rel)
        return self.score(
            mean,
            best >= self.min_relevance,
            f"mean relevance {mean:.2f}, best {best:.2f} over {len(rel)} chunks ({method})",
            best=round(best, 4),
            method=method,
        )


def recent_cut(ctx: EvalContext) -> date:
    """Chunks ingested after this date are recent."""
    return ctx.settings.recent_after or ctx.reference_date - timedelta(days=ctx.settings.recent_days)


@evaluator("source_concentration")
class SourceConcentration(Evaluator):
    """Share of the retrieved chunks from the single most common source. Range 0..1 (lower
    is more diverse). Fails when one recently ingested source holds at least
    `max_recent_source_share` of the top-k - the upstream-data signal; `details` has the
    recent share."""

    higher_is_better = False
    max_recent_source_share: float = Field(0.6, ge=0.0, le=1.0)

    def evaluate(self, ctx: EvalContext) -> Score:
        chunks = ctx.retrieved
        if not chunks:
            return self.score(0.0, None, "nothing retrieved")
        n = len(chunks)
        source, count = Counter(c.source for c in chunks).most_common(1)[0]
        cut = recent_cut(ctx)
        recent = [c for c in chunks if c.ingested_at > cut]
        rsource, rcount = Counter(c.source for c in recent).most_common(1)[0] if recent else ("", 0)
        rshare = rcount / n
        reason = f"{count}/{n} chunks from {source!r}; {len(recent)}/{n} ingested after {cut.isoformat()}"
        if recent:
            reason += f" ({rcount} from {rsource!r})"
        return self.score(
            count / n,
            rshare < self.max_recent_source_share,
            reason,
            source=source,
            recent_share=round(len(recent) / n, 4),
            recent_source=rsource or None,
            recent_source_share=round(rshare, 4),
        )


@evaluator("chunk_age")
class ChunkAge(Evaluator):
    """Age in days of the oldest retrieved chunk at the reference date (trace date by
    default); the median is in `details`. Range 0..inf (a chunk from the future counts 0).
    Passes while the oldest is at most `max_age_days`; None when that is unset."""

    value_range = (0.0, float("inf"))
    higher_is_better = False
    max_age_days: int | None = Field(None, ge=0)

    def evaluate(self, ctx: EvalContext) -> Score:
        chunks = ctx.retrieved
        if not chunks:
            return self.score(0.0, None, "nothing retrieved")
        ref = ctx.reference_date
        ages = [max(0, (ref - c.ingested_at).days) for c in chunks]
        oldest, median = max(ages), float(statistics.median(ages))
        passed = None if self.max_age_days is None else oldest <= self.max_age_days
        limit = f" (limit {self.max_age_days})" if self.max_age_days is not None else ""
        return self.score(
            float(oldest),
            passed,
            f"oldest retrieved chunk {oldest} days old, median {median:g} days at {ref}{limit}",
            median_days=median,
            newest_days=min(ages),
        )
