"""Evidence for and against the upstream data layer: the golden documents' history, the wrong answer's source."""

from __future__ import annotations

from datetime import timedelta

from replaylab.diagnosis.facts import Facts, Ledger
from replaylab.diagnosis.ingestion import ingestion_evidence
from replaylab.errors import ReplaylabError
from replaylab.evals import EvalSettings
from replaylab.evals.answer import context_texts, lexical_support
from replaylab.evals.text import answer_text, content_words, find_needle, specific_needles
from replaylab.stack.corpus import all_rows, load_batch
from replaylab.stack.pipeline import Stack
from replaylab.trace import Golden, RetrievedChunk, Trace

__all__ = ["attribution_evidence", "history_evidence"]


def history_evidence(stack: Stack, trace: Trace, f: Facts, ledger: Ledger) -> None:
    """Did a later ingestion change what the golden documents say?"""
    g = trace.golden
    assert g is not None
    needles = specific_needles(g.answer, g.aliases)
    try:
        rows = [r for r in all_rows(trace.config.corpus, stack.ws) if r.doc_id in set(g.doc_ids)]
        batches = {(d.doc_id, d.ingested_at): bid for bid in trace.config.corpus.batches for d in load_batch(stack.ws, bid)}
    except ReplaylabError as exc:
        ledger.con("upstream_data", 0.05, f"The corpus history could not be read ({exc}).")
        return
    for doc_id in g.doc_ids:
        mine = sorted((r for r in rows if r.doc_id == doc_id), key=lambda r: r.ingested_at)
        if not mine:
            continue
        cur = mine[-1]
        if find_needle(f"{cur.title}. {cur.text}", needles):
            continue
        held = [r for r in mine[:-1] if find_needle(f"{r.title}. {r.text}", needles)]
        if held:
            f.changed_from, f.changed_on = held[-1].ingested_at.isoformat(), cur.ingested_at
            where = f" in batch {batches[(doc_id, cur.ingested_at)]}" if (doc_id, cur.ingested_at) in batches else ""
            ledger.pro(
                "upstream_data",
                0.6,
                f"The current version of golden document {doc_id} (ingested "
                f"{cur.ingested_at}, source {cur.source!r}{where}) no longer states {g.answer!r}; its version "
                f"of {held[-1].ingested_at} did: the data changed under the question.",
            )
            return


def attribution_evidence(
    stack: Stack,
    trace: Trace,
    f: Facts,
    g: Golden,
    placed: list[RetrievedChunk],
    settings: EvalSettings,
    ledger: Ledger,
) -> None:
    """Which placed chunk the wrong output came from, and whether its ingestion is suspect."""
    out = answer_text(trace.generation.output if trace.generation else "")
    best = max(((lexical_support(out, context_texts([c]))[0], c) for c in placed), key=lambda x: x[0], default=None)
    if best is None or best[0] < 0.6 or find_needle(out, [g.answer, *g.aliases]):
        return
    c = best[1]
    ref = settings.reference_date or trace.created_at.date()
    cut = settings.recent_after or ref - timedelta(days=settings.recent_days)
    f.attribution_id, f.attribution_golden = c.chunk_id, c.doc_id in set(g.doc_ids)
    f.attribution_recent = c.ingested_at > cut
    qwords = content_words(trace.question)
    cover = len(qwords & content_words(context_texts([c])[0])) / len(qwords) if qwords else 0.0
    f.attribution_on_topic = cover >= 0.5
    ingestion = ingestion_evidence(stack, trace, c, placed) if f.attribution_recent else None
    f.attribution_ingestion = ingestion is not None and ingestion.suspect
    if ingestion is not None and not f.attribution_golden:
        said = (
            f"The wrong answer comes from chunk {c.chunk_id} (source {c.source!r}, ingested "
            f"{c.ingested_at}, {(ref - c.ingested_at).days} days before the request), which is not a "
            f"golden document and covers {cover:.0%} of the question's content words"
        )
        if ingestion.suspect:
            ledger.pro("upstream_data", 0.5 if f.attribution_on_topic else 0.2, f"{said}; {ingestion.why()}.")
        else:
            ledger.pro("upstream_data", 0.05, f"{said}; but {ingestion.why()}: recency alone is weak evidence.")
    elif not f.attribution_recent:
        ledger.con(
            "upstream_data",
            0.15,
            f"The wrong answer comes from chunk {c.chunk_id}, ingested {c.ingested_at}, not a recent ingestion.",
        )
