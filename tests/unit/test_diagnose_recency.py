"""Recency alone is not evidence of an ingestion problem (issue #18): on a corpus replaylab
did not write - a city's recycling helpdesk, every page ingested in the last fortnight - a
top-k truncation is read as retrieval, while a recent chunk that came in a declared batch
still reads as upstream data. Hashing stand-in embedder, sandbox reader."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.diagnosis.ingestion import concentrated
from replaylab.diagnosis.tree import diagnose
from replaylab.stack.corpus import Document, save_batch
from replaylab.stack.pipeline import Stack
from replaylab.trace import Golden
from replaylab.workspace import Workspace

WHEN = datetime(2026, 4, 1, tzinfo=timezone.utc)
QUESTION = "How many bags of garden waste can a household put out each collection week?"
GOLDEN = Golden(qid="r1", answer="4 bags", aliases=["four bags"], doc_ids=["rc-garden"])
PAGES = [
    ("rc-garden", "Garden waste", "2026-03-24", "Each household may put out 4 bags of garden waste per collection week."),
    (
        "rc-spring",
        "How many bags of garden waste can a household put out each collection week in spring",
        "2026-03-27",
        "In spring a household can put out 10 bags.",
    ),
    ("rc-glass", "Glass", "2026-03-20", "Glass bottles go in the green bin; lids go in the yellow bin."),
    ("rc-bulky", "Bulky items", "2026-03-22", "Book a bulky item pickup online; the first two items are free."),
]


@pytest.fixture
def city(tmp_path: Path) -> tuple[Stack, RunConfig]:
    rows = [dict(doc_id=d, title=t, source="city-site", topic="waste", ingested_at=at, text=x) for d, t, at, x in PAGES]
    (tmp_path / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = RunConfig(
        corpus=CorpusSpec(source=str(tmp_path / "pages.jsonl")),
        index=IndexSpec(embedder="hashing-test"),
        embedder="hashing-test",
        top_k=1,
    )
    return Stack(Workspace(tmp_path / "ws"), clock=lambda: WHEN), cfg


def test_a_top_k_cut_on_a_freshly_ingested_corpus_is_retrieval_not_upstream_data(city: tuple[Stack, RunConfig]) -> None:
    stack, cfg = city
    trace = stack.run(QUESTION, cfg, golden=GOLDEN)
    assert trace.retrieval is not None and [c.doc_id for c in trace.retrieval.chunks] == ["rc-spring"]
    assert "10 bags" in (trace.generation.output if trace.generation else "")
    assert "4 bags" in stack.run(QUESTION, cfg.model_copy(update={"top_k": 2}), golden=GOLDEN).generation.output  # type: ignore[union-attr]
    d = diagnose(stack, trace)
    assert d.signals["attribution_recent"] is True and d.signals["attribution_ingestion"] is False
    assert d.layer == "retrieval", d.summary
    assert any("recency alone is weak evidence" in s for s in d.evidence["upstream_data"].for_)


def test_the_same_recent_chunk_from_a_declared_batch_is_upstream_data(city: tuple[Stack, RunConfig]) -> None:
    stack, cfg = city
    batch = save_batch(
        stack.ws,
        [
            Document(
                doc_id="etl-7",
                title="How many bags of garden waste can a household put out each collection week",
                source="etl-import",
                topic="waste",
                ingested_at=date(2026, 3, 30),
                text="A household can now put out 30 bags.",
            )
        ],
    )
    bad = cfg.model_copy(update={"corpus": cfg.corpus.model_copy(update={"batches": (batch,)})})
    trace = stack.run(QUESTION, bad, golden=GOLDEN)
    assert "30 bags" in (trace.generation.output if trace.generation else "")
    d = diagnose(stack, trace)
    assert d.signals["attribution_ingestion"] is True
    assert d.layer == "upstream_data", d.summary
    assert any(f"came in document batch {batch}" in s for s in d.evidence["upstream_data"].for_)


def test_the_concentration_rule() -> None:
    assert concentrated(3, 0.6, 0.1)  # three of five context chunks from an ingestion that is a tenth of the index
    assert not concentrated(1, 1.0, 0.01)  # one chunk is no concentration
    assert not concentrated(3, 0.6, 0.9)  # the whole index was ingested that day: the context is just like it
    assert not concentrated(2, 0.4, 0.05)
