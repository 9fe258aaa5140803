"""Detectors on real traffic from the bundled corpus (hashing stand-in embedder, sandbox reader).

Each detector must stay quiet on clean traffic and fire on the fault it is built for.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from replaylab.config import IndexSpec, RunConfig
from replaylab.detectors import (
    OWN_FAULT,
    ChunkAge,
    Detection,
    DetectorBase,
    IndexStaleness,
    ModelVersionChange,
    QualityDrop,
    QueryEmbeddingDrift,
    SamplingConfigDrift,
    SourceConcentration,
    all_detectors,
    measure_detectors,
)
from replaylab.evals.golden_traffic import run_traffic
from replaylab.faults import (
    EmbeddingDrift,
    EtlBadBatch,
    FaultBase,
    PoisonedDocuments,
    PromptInstructionConflict,
    SamplingDrift,
    SilentModelChange,
    StaleIndex,
)
from replaylab.registry import names
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.workspace import Workspace

BASE = RunConfig(index=IndexSpec(embedder="hashing-test"), embedder="hashing-test")
MINE = [
    "chunk-age",
    "index-staleness",
    "model-version-change",
    "quality-drop",
    "query-embedding-drift",
    "sampling-config-drift",
    "source-concentration",
]
FAST_DRIFT = QueryEmbeddingDrift(mmd_permutations=199)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return Stack(Workspace(tmp_path_factory.mktemp("detectors") / "ws"))


@pytest.fixture(scope="module")
def golden() -> list[GoldenItem]:
    return random.Random(7).sample(load_golden(), 60)


@pytest.fixture(scope="module")
def clean(stack: Stack, golden: list[GoldenItem]) -> tuple[list[Trace], list[Trace]]:
    """A baseline window (40 questions) and a clean window of 20 other questions."""
    dep = Deployment.capture(stack, BASE)
    return run_traffic(stack, dep, golden[:40]), run_traffic(stack, dep, golden[40:])


@pytest.fixture
def restore(stack: Stack) -> Iterator[None]:
    yield
    Deployment.capture(stack, BASE).model_copy(update={"served_as": {}}).activate(stack)


def fault_window(
    stack: Stack, golden: list[GoldenItem], fault: FaultBase, *, focus: bool = False
) -> tuple[list[Trace], list[Trace]]:
    """(window under the fault, baseline window before it).

    The window is the 20 clean-window questions, or with `focus` the questions the fault breaks
    (chosen from the whole golden set), as when complaints cluster on a topic.
    """
    before = Deployment.capture(stack, fault.steady_state(BASE))
    pool = load_golden() if focus else golden
    injection = fault.inject(before, stack=stack, golden=pool)
    try:
        items = [g for g in pool if g.qid in set(injection.affected_qids)] if focus else golden[40:]
        items = (items + [g for g in golden[40:] if g not in items])[:20]
        return run_traffic(stack, injection.after, items), run_traffic(stack, injection.before, golden[:40])
    finally:
        fault.rollback(injection, stack=stack)


def test_every_detector_is_registered_with_its_thresholds_as_fields() -> None:
    assert set(MINE) <= set(names("detector"))
    for det in all_detectors():
        assert isinstance(det, DetectorBase)
        assert det.name
    assert QualityDrop(alpha=0.05).alpha == 0.05
    assert set(OWN_FAULT) == set(MINE)


def test_no_detector_fires_on_clean_traffic(stack: Stack, clean: tuple[list[Trace], list[Trace]]) -> None:
    baseline, window = clean
    for det in [*(d for d in all_detectors() if d.name in MINE and d.name != "query-embedding-drift"), FAST_DRIFT]:
        d = det.detect(window, baseline, stack=stack)
        assert isinstance(d, Detection)
        assert not d.fired, d


def test_no_detector_fires_when_the_same_questions_replay_unchanged(stack: Stack, clean: tuple[list[Trace], list[Trace]]) -> None:
    baseline, _ = clean
    for det in [*(d for d in all_detectors() if d.name in MINE and d.name != "query-embedding-drift"), FAST_DRIFT]:
        assert not det.detect(baseline[:20], baseline, stack=stack).fired, det.name


def test_empty_windows_are_quiet(stack: Stack, clean: tuple[list[Trace], list[Trace]]) -> None:
    baseline, _ = clean
    for det in all_detectors():
        if det.name in MINE:
            assert not det.detect([], baseline, stack=stack).fired


def test_query_embedding_drift_sees_a_query_embedder_swap(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, EmbeddingDrift(to="hashing-test-v2"))
    d = FAST_DRIFT.detect(window, baseline, stack=stack)
    assert d.fired, d.reason
    assert d.p_value is not None and d.p_value < 0.01
    assert d.statistic > d.threshold
    assert "hashing-test-v2" in d.reason


def test_index_staleness_canary_catches_the_embedder_swap(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, EmbeddingDrift(to="hashing-test-v2"))
    d = IndexStaleness().detect(window, baseline, stack=stack)
    assert d.fired and d.statistic == 0.0
    assert "canary" in d.reason


def test_index_staleness_measures_the_lag(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, StaleIndex())
    d = IndexStaleness().detect(window, baseline, stack=stack)
    assert d.fired and d.statistic > 30, d.reason
    assert not IndexStaleness(max_lag_days=400).detect(window, baseline, stack=stack).fired


def test_model_version_change(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, SilentModelChange())
    d = ModelVersionChange().detect(window, baseline, stack=stack)
    assert d.fired and d.statistic == 1.0
    assert "sandbox-reader-1.0 -> sandbox-reader-1.1" in d.reason


def test_sampling_config_drift(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, SamplingDrift(temperature=1.3))
    d = SamplingConfigDrift().detect(window, baseline, stack=stack)
    assert d.fired and d.statistic == 1.0
    assert "temperature=1.3" in d.reason


def test_quality_drop_fires_on_the_prompt_conflict(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, PromptInstructionConflict())
    d = QualityDrop().detect(window, baseline, stack=stack)
    assert d.fired, d.reason
    assert d.p_value is not None and d.p_value < 0.01


def test_source_concentration_on_poisoned_documents(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, PoisonedDocuments(targets=3), focus=True)
    d = SourceConcentration().detect(window, baseline, stack=stack)
    assert d.fired, d.reason
    assert "community-forum" in d.reason


def test_chunk_age_on_a_stale_index(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, StaleIndex(), focus=True)
    d = ChunkAge().detect(window, baseline, stack=stack)
    assert d.fired and d.statistic > 0, d.reason
    assert "older" in d.reason


def test_chunk_age_on_an_etl_batch(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    window, baseline = fault_window(stack, golden, EtlBadBatch(), focus=True)
    d = ChunkAge().detect(window, baseline, stack=stack)
    assert d.fired and d.statistic < 0, d.reason
    assert "younger" in d.reason


def test_measure_detectors_reports_tp_and_fp(stack: Stack, golden: list[GoldenItem], restore: None) -> None:
    table = measure_detectors(
        stack,
        deployment=Deployment.capture(stack, BASE),
        golden=golden,
        detectors=[ModelVersionChange(), SamplingConfigDrift()],
        faults=[SilentModelChange(), SamplingDrift()],
        windows=2,
        window_size=5,
        clean_windows=2,
        baseline_size=10,
    )
    assert [(r.detector, r.fault) for r in table.rows] == [
        ("model-version-change", "silent-model-change"),
        ("sampling-config-drift", "sampling-drift"),
    ]
    for row in table.rows:
        assert row.own and row.tp_rate == 1.0 and row.fp_rate == 0.0
        assert row.clean_requests == 10 and row.requests == 10
    assert "| model-version-change | **silent-model-change** |" in table.markdown()
    assert Deployment.capture(stack, BASE).served_as == {}
