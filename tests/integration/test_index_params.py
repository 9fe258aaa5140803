"""IVF and HNSW parameters chosen from the corpus size: bounds, and recall against flat on real MiniLM vectors.

Speed and recall at 1M are measured by `make bench` (replaylab.bench.faiss_scale); here the
real snapshots of the bundled corpus, cut finely (~1,000 passages), answer the golden questions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replaylab.config import ChunkingSpec, IndexSpec, RunConfig
from replaylab.stack.corpus import load_golden
from replaylab.stack.embedders import get_embedder
from replaylab.stack.index import hnsw_ef_search, ivf_nlist, ivf_nprobe
from replaylab.stack.pipeline import Stack
from replaylab.workspace import Workspace


@given(st.integers(min_value=1, max_value=50_000_000))
def test_ivf_and_hnsw_parameters_stay_in_bounds(n: int) -> None:
    nlist = ivf_nlist(n)
    assert 1 <= nlist <= max(1, n // 39)  # FAISS wants >= 39 training vectors a list
    assert nlist <= round(4 * n**0.5) + 1
    assert 1 <= ivf_nprobe(nlist) <= nlist
    assert 64 <= hnsw_ef_search(n) <= 256 and hnsw_ef_search(n) <= hnsw_ef_search(n * 2)


@pytest.mark.minilm
def test_ivf_and_hnsw_snapshots_find_what_flat_finds_on_real_embeddings(tmp_path: Path) -> None:
    stack = Stack(Workspace(tmp_path / "ws"))
    base = RunConfig()
    fine = ChunkingSpec(max_words=30)
    questions = [g.question for g in load_golden()]
    qv = stack.cache.encode(get_embedder(base.embedder), questions)
    found = {}
    for kind in ("flat", "ivf", "hnsw"):
        snap = stack.snapshot(base.corpus, IndexSpec(chunking=fine, kind=kind))
        _, ids = snap.index.search(np.ascontiguousarray(qv, dtype=np.float32), 10)
        found[kind] = ids
    n = snap.index.ntotal
    assert n > 600, f"expected a finely cut corpus, got {n} passages"
    for kind in ("ivf", "hnsw"):
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found["flat"], found[kind], strict=True)])
        assert recall >= 0.95, f"{kind} recall@10 {recall:.3f} over {n} real MiniLM vectors"
