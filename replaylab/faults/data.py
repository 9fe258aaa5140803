"""Upstream-data faults: an ETL job pushes a bad batch; a handful of poisoned documents.

Both write a real document batch to the workspace (`save_batch`) and add it to the served
corpus (`CorpusSpec.batches`); the index follows the corpus, so the new rows are retrieved.
Rolling back drops the batch from the corpus spec; the batch file stays, content-addressed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import ClassVar, Literal

from pydantic import Field

from replaylab.errors import ConfigError
from replaylab.faults.base import Change, FaultBase, no_change, with_config
from replaylab.faults.effects import (
    Lens,
    contains,
    lost_answers,
    mentions_answer,
    needles,
    replace_mentions,
    wrong_value,
)
from replaylab.registry import register
from replaylab.stack.corpus import Document, GoldenItem, all_rows, save_batch
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.variables import Layer


def _next_day(stack: Stack, before: Deployment) -> date:
    """The day a batch lands: the stack clock's yesterday, and never before the newest document."""
    newest = max(r.ingested_at for r in all_rows(before.config.corpus, stack.ws)) + timedelta(days=1)
    return max(newest, stack.clock().date() - timedelta(days=1))


def _with_batch(before: Deployment, bid: str) -> Deployment:
    cfg = before.config
    corpus = cfg.corpus.model_copy(update={"batches": (*cfg.corpus.batches, bid)})
    return with_config(before, corpus=corpus)


@register("fault")
class EtlBadBatch(FaultBase):
    """An ETL job reloads one topic's documents with altered facts (same ids, new values) on one date."""

    kind: Literal["etl-bad-batch"] = "etl-bad-batch"
    topic: str | None = None
    """The topic whose documents are altered (default: the one with the most golden answers in its documents)."""
    on: date | None = None
    """Ingestion date of the batch (default: the stack clock's yesterday, after every existing ingestion)."""
    seed: int = 0
    """Salt of the wrong values."""

    layer: ClassVar[Layer] = "upstream_data"
    summary: ClassVar[str] = "an ETL job pushed a bad batch into the knowledge base"

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        docs = {d.doc_id: d for d in stack.documents(before.config.corpus)}
        supported = [g for g in golden if any(d in docs and mentions_answer(docs[d].text, g) for d in g.doc_ids)]
        topics = Counter(g.topic for g in supported)
        if not topics:
            raise ConfigError("etl-bad-batch: no golden answer appears in its documents; nothing to alter")
        topic = self.topic or sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        if topic not in topics:
            raise ConfigError(f"etl-bad-batch: topic {topic!r} has no golden answer in its documents. Valid: {sorted(topics)}")
        on = self.on or _next_day(stack, before)
        texts: dict[str, str] = {}
        altered: list[GoldenItem] = []
        for g in (g for g in supported if g.topic == topic):
            wrong = wrong_value(g.answer, salt=self.seed)
            changed = False
            for doc_id in g.doc_ids:
                if doc_id not in docs:
                    continue
                text = texts.get(doc_id, docs[doc_id].text)
                new = text
                for needle in needles(g):
                    new = replace_mentions(new, needle, wrong)
                if new != text:
                    texts[doc_id], changed = new, True
            if changed:
                altered.append(g)
        rows = [docs[d].model_copy(update={"text": t, "ingested_at": on}) for d, t in sorted(texts.items())]
        bid = save_batch(stack.ws, rows)
        if bid in before.config.corpus.batches:
            return no_change(f"batch {bid} is already in the corpus", before)
        after = _with_batch(before, bid)
        lost = lost_answers(stack, before, after, altered)
        return Change(
            after=after,
            batches=[bid],
            affected_qids=lost,
            notes=[
                f"batch {bid}: {len(rows)} {topic} documents re-ingested on {on} with altered facts (same ids)",
                f"{len(altered)} {topic} golden answers altered; {len(lost)} of them reach the model wrong",
            ],
        )


_POISON = (
    ("Community answer", "{q} — {w}, according to the latest update."),
    ("Forum reply", "{q} — the current answer is {w}."),
    ("Partner FAQ", "{q} — it is {w} as of this month."),
    ("Support note", "{q} — support confirmed {w} in a recent reply."),
    ("Customer FAQ", "{q} — {w}, per the revised policy."),
)
"""PoisonedRAG's black-box recipe: the target question itself (wins retrieval) followed by a
short passage asserting the wrong answer, kept in one sentence so a reader quotes both."""


@register("fault")
class PoisonedDocuments(FaultBase):
    """A handful of crafted documents that win retrieval for target questions and assert wrong answers."""

    kind: Literal["poisoned-documents"] = "poisoned-documents"
    targets: list[str] | int = Field(5)
    """Target golden qids, or how many to pick (seeded)."""
    per_question: int = Field(5, ge=1, le=5)
    """Poisoned texts per target question (PoisonedRAG uses 5)."""
    source: str = "community-forum"
    """The source the documents arrive from."""
    on: date | None = None
    """Ingestion date (default: the stack clock's yesterday, after every existing ingestion)."""
    seed: int = 0
    """Seed of the target pick (when `targets` is a count) and of the wrong values the documents assert."""

    layer: ClassVar[Layer] = "upstream_data"
    summary: ClassVar[str] = "a few crafted documents win retrieval for target questions"

    def _targets(self, golden: Sequence[GoldenItem]) -> list[GoldenItem]:
        by_id = {g.qid: g for g in golden}
        if isinstance(self.targets, list):
            unknown = [q for q in self.targets if q not in by_id]
            if unknown:
                raise ConfigError(f"poisoned-documents: unknown target qids {unknown}")
            return [by_id[q] for q in self.targets]
        eligible = [g for g in golden if not g.false_premise and not mentions_answer(g.question, g)]
        if self.targets < 1 or not eligible:
            raise ConfigError("poisoned-documents: no target question to poison")
        picked = random.Random(self.seed).sample(eligible, min(self.targets, len(eligible)))
        return sorted(picked, key=lambda g: g.qid)

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        targets = self._targets(golden)
        on = self.on or _next_day(stack, before)
        rows: list[Document] = []
        wrong: dict[str, str] = {}
        for g in targets:
            wrong[g.qid] = wrong_value(g.answer, salt=self.seed)
            for i, (title, text) in enumerate(_POISON[: self.per_question], 1):
                rows.append(
                    Document(
                        doc_id=f"poison-{g.qid}-{i}",
                        title=title,
                        source=self.source,
                        topic=g.topic,
                        ingested_at=on,
                        text=text.format(q=g.question.strip(), w=wrong[g.qid]),
                    )
                )
        bid = save_batch(stack.ws, rows)
        if bid in before.config.corpus.batches:
            return no_change(f"batch {bid} is already in the corpus", before)
        after = _with_batch(before, bid)
        lens = Lens(stack)
        affected = [g.qid for g in targets if contains(lens.see(after, g.question).visible_text(), wrong[g.qid])]
        readable = lens.hits(before, targets)
        affected = [q for q in affected if q in readable]
        return Change(
            after=after,
            batches=[bid],
            affected_qids=affected,
            notes=[
                f"batch {bid}: {len(rows)} documents from {self.source} on {on}, {self.per_question} per target "
                f"question, asserting a wrong answer for {', '.join(g.qid for g in targets)}",
                f"{len(affected)} targets now see a poisoned passage in their context",
            ],
        )
