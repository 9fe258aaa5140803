"""Every fault on the real stack: the bundled corpus, MiniLM, FAISS and the sandbox reader.

Each fault must really lower the pass rate on the golden questions it says it breaks, from a
baseline that passes them. The rates are printed (`pytest -s`) for the closing note.
"""

from __future__ import annotations

import random

import pytest

from replaylab.config import RunConfig
from replaylab.evals.golden_traffic import pass_rate, run_traffic
from replaylab.faults import parse_fault
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.workspace import Workspace

pytestmark = pytest.mark.minilm

FAULTS = [
    "embedding-drift",
    "stale-index",
    "top-k-truncation",
    "tokenization-mismatch",
    "context-position-burial",
    "silent-model-change",
    "prompt-instruction-conflict",
    "sampling-drift",
    "etl-bad-batch",
    "poisoned-documents",
]
PER_FAULT = 20
"""Affected questions replayed before and after each fault (a seeded sample)."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return Stack(Workspace(tmp_path_factory.mktemp("faults-real") / "ws"))


@pytest.fixture(scope="module")
def golden() -> list[GoldenItem]:
    """Every updated and false-premise row and every third other one: what the injectors choose from."""
    rows = load_golden()
    return [g for i, g in enumerate(rows) if g.updated or g.false_premise or i % 3 == 0]


@pytest.mark.parametrize("kind", FAULTS)
def test_fault_lowers_the_pass_rate_on_its_affected_questions(kind: str, stack: Stack, golden: list[GoldenItem]) -> None:
    fault = parse_fault({"kind": kind})
    before = Deployment.capture(stack, fault.steady_state(RunConfig()))
    injection = fault.inject(before, stack=stack, golden=golden)
    try:
        hit = [g for g in golden if g.qid in set(injection.affected_qids)]
        sample = random.Random(0).sample(hit, min(PER_FAULT, len(hit)))
        rate_before = pass_rate(run_traffic(stack, injection.before, sample))
        rate_after = pass_rate(run_traffic(stack, injection.after, sample))
    finally:
        restored = fault.rollback(injection, stack=stack)
    print(
        f"\n{kind:28s} affected {len(hit):3d}/{len(golden)}  pass rate on {len(sample)}: "
        f"{rate_before:.0%} -> {rate_after:.0%}  | {injection.notes[-1]}"
    )
    assert len(sample) >= 3, injection.notes
    assert rate_before >= 0.8, injection.notes
    assert rate_after <= rate_before - 0.3, injection.notes
    assert restored == injection.before
    assert Deployment.capture(stack, injection.before.config) == injection.before
