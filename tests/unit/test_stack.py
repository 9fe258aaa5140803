"""The stack: corpus as of a date, chunking, snapshots, retrieval, held stages, replay."""

from __future__ import annotations

from datetime import date

import pytest

from replaylab.config import ChunkingSpec, IndexSpec
from replaylab.errors import ConfigError, SnapshotError
from replaylab.stack.chunker import chunk_document, split_sentences
from replaylab.stack.corpus import Document, latest_as_of, load_corpus, save_batch
from replaylab.stack.index import load_snapshot
from replaylab.trace import Golden

Q = "How many days are audit logs kept on the Team plan?"


def test_corpus_as_of_takes_latest_row_on_or_before_date(tiny_config, workspace):
    docs = {d.doc_id: d for d in load_corpus(tiny_config.corpus, workspace, as_of=date(2026, 8, 31))}
    assert "30 days" in docs["pol-1"].text
    latest = {d.doc_id: d for d in load_corpus(tiny_config.corpus, workspace)}
    assert "45 days" in latest["pol-1"].text
    assert "cl-5" not in {d.doc_id for d in latest_as_of(latest.values(), date(2026, 1, 1))}


def test_chunks_respect_word_limit_and_keep_sentences():
    text = " ".join(f"Sentence number {i} has six words." for i in range(20))
    doc = Document(doc_id="d", title="T", text=text)
    chunks = chunk_document(doc, ChunkingSpec(max_words=20))
    assert all(len(c.text.split()) <= 20 for c in chunks)
    assert " ".join(c.text for c in chunks) == " ".join(split_sentences(text))
    assert [c.chunk_id for c in chunks] == [f"d#{i}" for i in range(len(chunks))]


def test_run_retrieves_and_answers_from_context(tiny_stack, tiny_config):
    trace = tiny_stack.run(Q, tiny_config, golden=Golden(answer="45 days"))
    assert trace.retrieval is not None and trace.retrieval.chunks[0].doc_id == "pol-1"
    assert "45 days" in trace.generation.output
    assert trace.versions.ppv == "rag-answer@4"
    assert trace.versions.index_snapshot.startswith("idx-")


def test_replay_under_recorded_config_is_identical(tiny_stack, tiny_config):
    trace = tiny_stack.run(Q, tiny_config)
    again = tiny_stack.replay(trace)
    assert again.generation.output == trace.generation.output
    assert again.prompt.messages == trace.prompt.messages


def test_stale_index_gives_old_answer_and_snapshot_differs(tiny_stack, tiny_config):
    trace = tiny_stack.run(Q, tiny_config)
    stale = tiny_stack.replay(trace, overrides={"index": {**tiny_config.index.model_dump(mode="json"), "as_of": "2026-08-31"}})
    assert "30 days" in stale.generation.output
    assert stale.versions.index_snapshot != trace.versions.index_snapshot


def test_hold_retrieval_reuses_recorded_chunks(tiny_stack, tiny_config):
    trace = tiny_stack.run(Q, tiny_config)
    held = tiny_stack.replay(trace, overrides={"top_k": 1}, holds=["retrieval"])
    assert [c.chunk_id for c in held.retrieval.chunks] == [c.chunk_id for c in trace.retrieval.chunks]
    assert held.retrieval.held


def test_hold_generation_keeps_recorded_output_even_with_other_prompt(tiny_stack, tiny_config):
    trace = tiny_stack.run(Q, tiny_config)
    held = tiny_stack.replay(trace, overrides={"prompt": "rag-answer@5"}, holds=["generation"])
    assert held.generation.output == trace.generation.output


def test_held_context_by_chunk_ids_and_unknown_chunk(tiny_stack, tiny_config):
    trace = tiny_stack.run(Q, tiny_config)
    none = tiny_stack.replay(trace, overrides={"context": []})
    assert none.generation.output == "I don't know."
    with pytest.raises(ConfigError, match="nope#0"):
        tiny_stack.replay(trace, overrides={"context": ["nope#0"]})


def test_snapshot_checksum_corruption_is_detected(tiny_stack, tiny_config, workspace):
    snap = tiny_stack.snapshot(tiny_config.corpus, tiny_config.index)
    path = workspace.snapshots / snap.id / "index.faiss"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(SnapshotError, match="checksum"):
        load_snapshot(workspace.snapshots, snap.id)


def test_missing_snapshot_is_clear(workspace):
    with pytest.raises(SnapshotError, match="not in"):
        load_snapshot(workspace.snapshots, "idx-0000")


def test_dimension_mismatch_is_an_error(tiny_stack, tiny_config):
    bad = tiny_config.model_copy(update={"embedder": "hashing-test-128"})
    with pytest.raises(SnapshotError, match="128-d"):
        tiny_stack.run(Q, bad)


def test_snapshot_is_reused_from_disk(tiny_config, workspace):
    from replaylab.stack.pipeline import Stack

    first = Stack(workspace)
    first.snapshot(tiny_config.corpus, tiny_config.index)
    second = Stack(workspace)
    second.snapshot(tiny_config.corpus, tiny_config.index)
    assert first.stats["snapshot_builds"] == 1
    assert second.stats == {"snapshot_builds": 0, "snapshot_loads": 1}


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_other_index_kinds_retrieve(tiny_stack, tiny_config, kind):
    cfg = tiny_config.model_copy(update={"index": IndexSpec(embedder="hashing-test", kind=kind)})
    trace = tiny_stack.run(Q, cfg)
    assert trace.retrieval.chunks[0].doc_id == "pol-1"


def test_batches_add_documents(tiny_stack, tiny_config, workspace):
    doc = Document(
        doc_id="new-1",
        title="Team plan audit logs",
        text="Audit logs on the Team plan are kept for 7 days.",
        ingested_at=date(2026, 10, 30),
        source="etl",
    )
    bid = save_batch(workspace, [doc])
    cfg = tiny_config.model_copy(update={"corpus": tiny_config.corpus.model_copy(update={"batches": (bid,)})})
    trace = tiny_stack.run(Q, cfg)
    assert "new-1" in [c.doc_id for c in trace.retrieval.chunks]
    with pytest.raises(ConfigError, match="b-missing"):
        tiny_stack.run(Q, cfg.model_copy(update={"corpus": cfg.corpus.model_copy(update={"batches": ("b-missing",)})}))
