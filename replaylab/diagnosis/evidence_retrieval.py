"""Evidence for and against the retrieval layer: what the model saw, what was dropped, what is stale."""

from __future__ import annotations

from replaylab.diagnosis.evidence_data import attribution_evidence
from replaylab.diagnosis.facts import Facts, Ledger
from replaylab.errors import ReplaylabError
from replaylab.evals import EvalReport, EvalSettings
from replaylab.evals.retrieval import answer_chunks
from replaylab.evals.text import find_needle, specific_needles
from replaylab.stack.pipeline import Stack
from replaylab.trace import Golden, RetrievedChunk, Trace

__all__ = ["context_evidence", "context_overflow"]


def context_overflow(trace: Trace) -> str | None:
    """A context budget counted with another tokenizer than the models' WordPiece, overflowing it."""
    cfg = trace.config
    if trace.prompt is None or cfg.tokenizer == "wordpiece":
        return None
    from replaylab.stack.tokenizers import token_counter

    user = "\n".join(m.content for m in trace.prompt.messages if m.role == "user")
    real = token_counter("wordpiece")(user)
    if real <= cfg.context_budget * 1.1:
        return None
    return (
        f"The context was budgeted at {cfg.context_budget} {cfg.tokenizer} tokens but holds {real} WordPiece "
        "tokens, the unit the model's window is counted in: the model side cuts what does not fit."
    )


def context_evidence(trace: Trace, f: Facts, report: EvalReport, stack: Stack, settings: EvalSettings, ledger: Ledger) -> None:
    """Write what the retrieved and placed chunks say (and which chunk the wrong answer came from)."""
    g = trace.golden
    assert g is not None
    chunks = {c.chunk_id: c for c in (trace.retrieval.chunks if trace.retrieval else [])}
    order = trace.prompt.context_chunk_ids if trace.prompt else sorted(chunks, key=lambda i: chunks[i].rank)
    placed = [chunks[i] for i in order if i in chunks]
    f.n_placed = len(placed)
    aic = report.score("answer_in_context")
    f.answer_dropped = str(aic.details.get("dropped_answer_chunk")) if aic and aic.details.get("dropped_answer_chunk") else None
    _answer_placed(trace, f, g, placed, ledger)
    f.context_overflow = context_overflow(trace)
    if f.context_overflow:
        ledger.pro("retrieval", 0.45, f.context_overflow)
    if f.answer_dropped:
        ledger.pro(
            "retrieval",
            0.35,
            f"Retrieved chunk {f.answer_dropped} holds the answer but the assembler "
            f"dropped it to fit {trace.config.context_budget} {trace.config.tokenizer} tokens.",
        )
    gold_hits = [c for c in sorted(chunks.values(), key=lambda c: c.rank) if c.doc_id in set(g.doc_ids)]
    if gold_hits:
        f.golden_retrieved_rank = gold_hits[0].rank
    elif g.doc_ids and trace.retrieval is not None:
        ledger.pro(
            "retrieval",
            0.3,
            f"None of the golden documents {g.doc_ids} is among the {len(chunks)} retrieved chunks (recall@k 0.00).",
        )
    cfg = trace.config
    if cfg.embedder != cfg.index.embedder:
        f.embedder_mismatch = True
        ledger.pro(
            "retrieval",
            0.4,
            f"Queries were embedded with {cfg.embedder!r} but the index holds {cfg.index.embedder!r} vectors: embedding drift.",
        )
    _stale_index(stack, trace, f, g, gold_hits, ledger)
    attribution_evidence(stack, trace, f, g, placed, settings, ledger)


def _answer_placed(trace: Trace, f: Facts, g: Golden, placed: list[RetrievedChunk], ledger: Ledger) -> None:
    held = answer_chunks(placed, g)
    if held:
        f.in_ctx, f.answer_pos = True, held[0][0]
        ledger.con(
            "retrieval",
            0.6,
            f"Chunk {held[0][1].chunk_id} at position {f.answer_pos} of {f.n_placed} holds "
            f"{held[0][2]!r}: the retriever delivered the answer.",
        )
        if f.n_placed >= 3 and 1 < f.answer_pos < f.n_placed:
            ledger.pro(
                "generation",
                0.15,
                f"The answer chunk sits at position {f.answer_pos} of {f.n_placed}, away "
                "from both ends of the context, where lost-in-the-middle models attend least.",
            )
    elif trace.retrieval is None:
        ledger.con("retrieval", 0.3, f"No retrieval ran: handler {trace.routing.handler!r} answered without it.")
        ledger.con("generation", 0.3, "The model never saw the answer, so a correct output was not possible.")
    else:
        ledger.pro("retrieval", 0.5, f"None of the {f.n_placed} chunks the model saw holds the answer {g.answer!r}.")
        ledger.con("generation", 0.3, "The model never saw the answer, so a correct output was not possible.")


def _stale_index(stack: Stack, trace: Trace, f: Facts, g: Golden, gold_hits: list[RetrievedChunk], ledger: Ledger) -> None:
    cfg = trace.config
    try:
        current = {c.chunk_id: c for c in stack.chunks(cfg.corpus, cfg.index.model_copy(update={"as_of": None}))}
    except ReplaylabError:
        current = {}
    needles = specific_needles(g.answer, g.aliases)
    for c in gold_hits:
        now = current.get(c.chunk_id)
        if now is not None and now.text != c.text and find_needle(now.text, needles) and not f.in_ctx:
            f.stale = True
            as_of = f" (index as of {cfg.index.as_of})" if cfg.index.as_of else ""
            ledger.pro(
                "retrieval",
                0.35,
                f"Golden chunk {c.chunk_id} was served as ingested {c.ingested_at}{as_of}; "
                f"the current corpus has a version from {now.ingested_at} that states {g.answer!r}: a stale "
                "index.",
            )
            break
