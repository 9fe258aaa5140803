"""The real MiniLM + FAISS stack over the bundled corpus: retrieval hit@5 on the golden set.

Measured 0.976 (246 of 252) on 2026-11-26. The floor, 0.95, leaves room for six more misses
(FAISS flat search is exact, so the figure moves only if the corpus, chunking or embedder
changes) while still catching any real regression: embedding drift drops it to 0.71.
"""

from __future__ import annotations

import pytest

from replaylab.config import RunConfig
from replaylab.stack.corpus import load_golden

pytestmark = pytest.mark.minilm
HIT_AT_5_FLOOR = 0.95


def _hit_at_5(stack, config: RunConfig) -> float:  # type: ignore[no-untyped-def]
    golden = load_golden()
    hits = 0
    for item in golden:
        span = stack.retrieve(item.question, config)
        hits += bool({c.doc_id for c in span.chunks} & set(item.doc_ids))
    return hits / len(golden)


def test_hit_at_5_on_the_golden_set_is_above_the_floor(tiny_stack):
    rate = _hit_at_5(tiny_stack, RunConfig(top_k=5))
    print(f"hit@5 = {rate:.3f} over the bundled golden set")
    assert rate >= HIT_AT_5_FLOOR


def test_embedding_drift_measurably_hurts_retrieval(tiny_stack):
    healthy = _hit_at_5(tiny_stack, RunConfig(top_k=5))
    drifted = _hit_at_5(tiny_stack, RunConfig(top_k=5, embedder="minilm-l6-v2-l3"))
    print(f"hit@5 healthy {healthy:.3f}, query embedder drifted {drifted:.3f}")
    assert drifted < healthy - 0.1
