"""Invariants of the core: trace JSON round-trips, snapshot ids, replay identity, loaders never crash."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from replaylab.config import ChunkingSpec, RunConfig, SamplingParams
from replaylab.errors import ConfigError, TraceError
from replaylab.stack.chunker import Chunk
from replaylab.stack.index import snapshot_id
from replaylab.trace import load_trace

text = st.text(min_size=0, max_size=60)
words = st.text(alphabet="abcdefghijklmnop 0123456789", min_size=1, max_size=40)

chunks = st.lists(
    st.builds(
        Chunk,
        chunk_id=st.text(min_size=1, max_size=8),
        doc_id=st.just("d"),
        title=st.just("t"),
        source=st.just("s"),
        topic=st.just(""),
        ingested_at=st.dates(date(2025, 1, 1), date(2026, 12, 31)),
        text=text,
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda c: c.chunk_id,
)


@given(chunks, st.sampled_from(["minilm-l6-v2", "hashing-test"]), st.integers(8, 200))
def test_snapshot_id_is_deterministic_and_input_sensitive(cs, embedder, words_per_chunk):
    spec = ChunkingSpec(max_words=words_per_chunk)
    sid = snapshot_id(embedder=embedder, chunking=spec, kind="flat", chunks=cs)
    assert sid == snapshot_id(embedder=embedder, chunking=spec, kind="flat", chunks=list(cs))
    other = "hashing-test" if embedder != "hashing-test" else "minilm-l6-v2"
    assert sid != snapshot_id(embedder=other, chunking=spec, kind="flat", chunks=cs)
    assert sid != snapshot_id(embedder=embedder, chunking=ChunkingSpec(max_words=words_per_chunk + 1), kind="flat", chunks=cs)
    assert sid != snapshot_id(embedder=embedder, chunking=spec, kind="ivf", chunks=cs)
    changed = [cs[0].model_copy(update={"text": cs[0].text + "x"}), *cs[1:]]
    assert sid != snapshot_id(embedder=embedder, chunking=spec, kind="flat", chunks=changed)
    assert sid != snapshot_id(embedder=embedder, chunking=spec, kind="flat", chunks=cs[:-1]) or len(cs) == 0


questions = st.sampled_from(
    [
        "How many days are audit logs kept on the Team plan?",
        "When do password reset links expire?",
        "Which port does the sync worker listen on?",
        "How much pooled storage do Team workspaces get?",
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=questions,
    top_k=st.integers(1, 6),
    temperature=st.sampled_from([0.0, 0.7, 1.5]),
    seed=st.integers(0, 50),
    order=st.sampled_from(["rank", "reverse", "bury", "chronological"]),
)
def test_trace_round_trips_and_replay_is_identical(tiny_stack, tiny_config, tmp_path, q, top_k, temperature, seed, order):
    cfg = tiny_config.model_copy(
        update={"top_k": top_k, "context_order": order, "sampling": SamplingParams(temperature=temperature, seed=seed)}
    )
    trace = tiny_stack.run(q, cfg)
    path = tmp_path / "t.json"
    path.write_text(trace.model_dump_json())
    loaded = load_trace(path)
    assert loaded == trace
    again = tiny_stack.replay(loaded)
    assert again.generation.output == trace.generation.output
    assert again.retrieval == trace.retrieval
    assert again.config == trace.config


@settings(max_examples=150)
@given(
    st.one_of(
        st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
        st.text(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | text,
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_trace_loader_never_crashes_on_junk(tmp_path_factory, junk):
    path: Path = tmp_path_factory.mktemp("junk") / "trace.json"
    path.write_text(junk, encoding="utf-8")
    try:
        load_trace(path)
    except TraceError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150)
@example({"sampling": {"\n": 0}})  # found by this test in CI: a key with a newline in the error location
@given(
    st.dictionaries(
        st.sampled_from(["prompt", "model", "top_k", "sampling", "index", "zzz", "context"]),
        st.one_of(
            st.none(), st.integers(-5, 500), text, st.lists(text, max_size=3), st.dictionaries(text, st.integers(), max_size=2)
        ),
        max_size=4,
    )
)
def test_config_validation_never_crashes(tmp_path_factory, data):
    from replaylab.config import load_config

    path = tmp_path_factory.mktemp("cfg") / "c.json"
    path.write_text(json.dumps(data))
    try:
        cfg = load_config(path)
        assert isinstance(cfg, RunConfig)
    except ConfigError as exc:
        assert "\n" not in str(exc)
