"""Fault injectors on the bundled corpus with the hashing stand-in embedder and the sandbox reader.

Each fault is injected into its steady state, the traffic on the questions it says it breaks is
run before and after, and the rollback must serve exactly the state before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from _stand_ins import recency_reader

from replaylab.config import IndexSpec, RunConfig
from replaylab.errors import ConfigError
from replaylab.evals.golden_traffic import answer_matches, pass_rate, passes, run_traffic
from replaylab.faults import (
    EmbeddingDrift,
    EtlBadBatch,
    FaultBase,
    Injection,
    PoisonedDocuments,
    PromptInstructionConflict,
    SilentModelChange,
    StaleIndex,
    TopKTruncation,
    parse_fault,
)
from replaylab.faults.effects import Lens, contains, wrong_value
from replaylab.registry import lookup, names
from replaylab.stack.corpus import GoldenItem, all_rows, load_batch, load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.workspace import Workspace

BUILT_IN = [
    "context-position-burial",
    "embedding-drift",
    "etl-bad-batch",
    "poisoned-documents",
    "prompt-instruction-conflict",
    "sampling-drift",
    "silent-model-change",
    "stale-index",
    "tokenization-mismatch",
    "top-k-truncation",
]
BASE = RunConfig(index=IndexSpec(embedder="hashing-test"), embedder="hashing-test")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return Stack(Workspace(tmp_path_factory.mktemp("faults") / "ws"))


@pytest.fixture(scope="module")
def golden() -> list[GoldenItem]:
    """A spread of the bundled golden set: updated rows, false premises, and every 10th other question."""
    rows = load_golden()
    plain = [g for g in rows if not g.updated and not g.false_premise]
    return [g for g in rows if g.updated][:8] + [g for g in rows if g.false_premise][:6] + plain[::10]


@pytest.fixture
def baseline(stack: Stack) -> Iterator[Deployment]:
    dep = Deployment.capture(stack, BASE)
    yield dep
    dep.activate(stack)


def inject(fault: FaultBase, stack: Stack, golden: list[GoldenItem]) -> Injection:
    before = Deployment.capture(stack, fault.steady_state(BASE))
    return fault.inject(before, stack=stack, golden=golden)


def rates(stack: Stack, injection: Injection, golden: list[GoldenItem]) -> tuple[float, float]:
    hit = [g for g in golden if g.qid in set(injection.affected_qids)]
    return pass_rate(run_traffic(stack, injection.before, hit)), pass_rate(run_traffic(stack, injection.after, hit))


def assert_breaks_and_rolls_back(
    fault: FaultBase, stack: Stack, golden: list[GoldenItem], *, min_before: float = 0.8, max_after: float = 0.5
) -> Injection:
    injection = inject(fault, stack, golden)
    assert injection.affected_qids, injection.notes
    assert Deployment.capture(stack, injection.after.config) == injection.after
    before, after = rates(stack, injection, golden)
    assert before >= min_before, (before, injection.notes)
    assert after <= max_after, (after, injection.notes)
    restored = fault.rollback(injection, stack=stack)
    assert restored == injection.before
    assert Deployment.capture(stack, injection.before.config) == injection.before
    return injection


# ---- the registry and the scenario union -------------------------------------------


def test_every_built_in_fault_is_registered_and_default_constructible() -> None:
    assert set(BUILT_IN) <= set(names("fault"))
    for name in BUILT_IN:
        fault = lookup("fault", name)()
        assert fault.kind == name
        assert fault.layer in ("retrieval", "generation", "upstream_data", "routing")


def test_parse_fault_picks_the_class_by_kind() -> None:
    fault = parse_fault({"kind": "stale-index", "as_of": "2026-08-31"})
    assert isinstance(fault, StaleIndex)
    assert fault.as_of == date(2026, 8, 31)
    assert isinstance(parse_fault({"kind": "top-k-truncation", "top_k": 2}), TopKTruncation)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "no-such-fault"},
        {"kind": "stale-index", "as_of": "soon"},
        {"kind": "poisoned-documents", "per_question": 9},
        {"kind": "top-k-truncation", "top_k": None},
        {"kind": "sampling-drift", "x": 1},
    ],
)
def test_parse_fault_rejects_bad_input_in_one_line(data: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as err:
        parse_fault(data)
    assert "\n" not in str(err.value)


# ---- each fault on the stack ---------------------------------------------------------


def test_embedding_drift_switches_the_query_embedder_only(stack: Stack, golden: list[GoldenItem], baseline: Deployment) -> None:
    fault = EmbeddingDrift(to="hashing-test-v2")
    injection = assert_breaks_and_rolls_back(fault, stack, golden)
    assert injection.after.config.embedder == "hashing-test-v2"
    assert injection.after.config.index == injection.before.config.index
    assert injection.variables == ["embedder"]
    assert injection.rollback_steps == ["set embedder hashing-test-v2 -> hashing-test"]


def test_embedding_drift_refuses_an_embedder_of_another_dimension(stack: Stack, golden: list[GoldenItem]) -> None:
    with pytest.raises(ConfigError, match="same dimension"):
        inject(EmbeddingDrift(to="hashing-test-128"), stack, golden)


def test_stale_index_serves_the_old_answers(stack: Stack, golden: list[GoldenItem]) -> None:
    injection = assert_breaks_and_rolls_back(StaleIndex(), stack, golden)
    versions: dict[str, set[date]] = {}
    for row in all_rows(BASE.corpus, stack.ws):
        versions.setdefault(row.doc_id, set()).add(row.ingested_at)
    first_update = min(sorted(v)[1] for v in versions.values() if len(v) > 1)
    assert injection.after.config.index.as_of == first_update - timedelta(days=1)
    updated = [g for g in golden if g.updated and g.qid in injection.affected_qids]
    assert updated
    traces = run_traffic(stack, injection.after, updated)
    old = [
        t
        for t, g in zip(traces, updated, strict=True)
        if g.old_answer and t.generation is not None and contains(t.generation.output, g.old_answer)
    ]
    assert len(old) >= len(updated) // 2
    stack_default = Deployment.capture(stack, BASE)
    assert stack_default.config.index.as_of is None


def test_top_k_truncation_picks_answers_ranked_just_below_the_cutoff(stack: Stack, golden: list[GoldenItem]) -> None:
    injection = assert_breaks_and_rolls_back(TopKTruncation(top_k=1), stack, golden)
    lens = Lens(stack)
    by_id = {g.qid: g for g in golden}
    ranks = [lens.see(injection.before, by_id[q].question).answer_rank(by_id[q]) for q in injection.affected_qids]
    assert all(r is not None and 2 <= r <= BASE.top_k for r in ranks), ranks
    assert injection.rollback_steps == ["set top_k 1 -> 5"]


def test_top_k_truncation_by_score_cutoff(stack: Stack, golden: list[GoldenItem]) -> None:
    fault = TopKTruncation(top_k=None, min_score=0.99)
    injection = inject(fault, stack, golden)
    try:
        assert injection.after.config.min_score == 0.99
        assert injection.after.config.top_k == BASE.top_k
        assert injection.affected_qids
    finally:
        fault.rollback(injection, stack=stack)


def test_tokenization_mismatch_packs_past_the_model_window(stack: Stack, golden: list[GoldenItem]) -> None:
    fault = parse_fault({"kind": "tokenization-mismatch"})
    injection = assert_breaks_and_rolls_back(fault, stack, golden)
    assert injection.variables == ["tokenizer"]
    # the assembler thinks the context fits; the model's window (WordPiece) does not hold it
    by_id = {g.qid: g for g in golden}
    trace = run_traffic(stack, injection.after, [by_id[injection.affected_qids[0]]])[0]
    assert trace.prompt is not None and trace.generation is not None
    assert trace.prompt.context_tokens <= injection.after.config.context_budget
    assert trace.generation.prompt_tokens > 2048
    fault.rollback(injection, stack=stack)


def test_context_position_burial_buries_the_best_chunk(stack: Stack, golden: list[GoldenItem]) -> None:
    fault = parse_fault({"kind": "context-position-burial"})
    injection = assert_breaks_and_rolls_back(fault, stack, golden, max_after=0.6)
    assert injection.before.config.model == "sandbox-reader-1.1"
    assert injection.before.config.top_k >= 20
    assert injection.after.config.context_order == "bury"
    assert injection.variables == ["context_order"]


def test_burial_predicts_by_the_served_models_position_bias(stack: Stack, golden: list[GoldenItem]) -> None:
    """A recency model (as Gemma 3 270M measures) keeps its best chunk last; burying it breaks those questions.
    With the best chunk first it was barely read anyway, so nothing is predicted there."""
    fault = parse_fault({"kind": "context-position-burial"})

    def before(order: str) -> Deployment:
        cfg = fault.steady_state(BASE).model_copy(update={"model": recency_reader(), "context_order": order})
        return Deployment.capture(stack, cfg)

    assert fault.apply(before("rank"), stack=stack, golden=golden).affected_qids == []
    injection = fault.inject(before("reverse"), stack=stack, golden=golden)
    assert injection.affected_qids
    was, now = rates(stack, injection, golden)
    assert was >= 0.8 and now <= 0.6, (was, now)
    assert fault.rollback(injection, stack=stack) == injection.before


def test_silent_model_change_shows_in_the_trace_mrv(stack: Stack, golden: list[GoldenItem], baseline: Deployment) -> None:
    fault = SilentModelChange()
    injection = assert_breaks_and_rolls_back(fault, stack, golden)
    assert injection.after.served_as == {"sandbox-reader-1.0": "sandbox-reader-1.1"}
    assert injection.after.config == injection.before.config
    assert injection.variables == ["model"]
    assert any(g.false_premise for g in golden if g.qid in injection.affected_qids)
    injection = fault.inject(baseline, stack=stack, golden=golden)
    trace = run_traffic(stack, injection.after, golden[:1])[0]
    assert trace.versions.mrv.requested == "sandbox-reader-1.0"
    assert trace.versions.mrv.returned == "sandbox-reader-1.1"
    fault.rollback(injection, stack=stack)
    assert stack.provider_overrides == {}


def test_prompt_instruction_conflict_moves_the_label_and_back(
    stack: Stack, golden: list[GoldenItem], baseline: Deployment
) -> None:
    start = stack.prompts.labels()["rag-answer"]["production"]
    fault = PromptInstructionConflict()
    injection = assert_breaks_and_rolls_back(fault, stack, golden)
    assert injection.after.labels["rag-answer"]["production"] == 5
    assert injection.after.config.prompt == "rag-answer@5"
    assert f"move rag-answer:production 5 -> {start}" in injection.rollback_steps
    assert stack.prompts.labels()["rag-answer"]["production"] == start
    by_id = {g.qid: g for g in golden}
    assert all(re.search(r"\d", by_id[q].answer) for q in injection.affected_qids)


def test_prompt_instruction_conflict_needs_an_existing_label(
    stack: Stack, golden: list[GoldenItem], baseline: Deployment
) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        PromptInstructionConflict(label="nightly").inject(baseline, stack=stack, golden=golden)
    assert Deployment.capture(stack, BASE) == baseline


def test_sampling_drift_raises_the_temperature(stack: Stack, golden: list[GoldenItem]) -> None:
    fault = parse_fault({"kind": "sampling-drift", "temperature": 1.3})
    injection = assert_breaks_and_rolls_back(fault, stack, golden, max_after=0.75)
    assert injection.after.config.sampling.temperature == 1.3
    assert injection.rollback_steps == ["set sampling.temperature 1.3 -> 0.0"]


def test_etl_bad_batch_alters_one_topic_under_the_same_ids(stack: Stack, golden: list[GoldenItem]) -> None:
    fault = EtlBadBatch()
    injection = assert_breaks_and_rolls_back(fault, stack, golden)
    (bid,) = injection.batches
    assert injection.after.config.corpus.batches == (bid,)
    rows = load_batch(stack.ws, bid)
    assert len({r.topic for r in rows}) == 1
    assert len({r.ingested_at for r in rows}) == 1
    base_ids = {r.doc_id for r in all_rows(BASE.corpus, stack.ws)}
    assert {r.doc_id for r in rows} <= base_ids
    by_id = {g.qid: g for g in golden}
    assert {by_id[q].topic for q in injection.affected_qids} == {rows[0].topic}
    assert injection.rollback_steps[0].startswith(f"drop batch {bid} from the corpus")


def test_poisoned_documents_follow_the_poisonedrag_recipe(stack: Stack, golden: list[GoldenItem]) -> None:
    targets = [g.qid for g in golden if not g.false_premise and not g.updated][:2]
    fault = PoisonedDocuments(targets=targets, per_question=3)
    injection = assert_breaks_and_rolls_back(fault, stack, golden)
    rows = load_batch(stack.ws, injection.batches[0])
    assert len(rows) == 6
    by_id = {g.qid: g for g in golden}
    for row in rows:
        qid = row.doc_id.split("-")[1]
        item = by_id[qid]
        assert row.text.startswith(item.question.strip())
        assert contains(row.text, wrong_value(item.answer))
        assert not any(contains(row.text, a) for a in (item.answer, *item.aliases))
    assert set(injection.affected_qids) <= set(targets)


def test_poisoned_documents_reject_unknown_targets(stack: Stack, golden: list[GoldenItem], baseline: Deployment) -> None:
    with pytest.raises(ConfigError, match="unknown target"):
        PoisonedDocuments(targets=["q999x"]).inject(baseline, stack=stack, golden=golden)


def test_a_fault_that_changes_nothing_is_an_error_and_leaves_the_state(
    stack: Stack, golden: list[GoldenItem], baseline: Deployment
) -> None:
    with pytest.raises(ConfigError, match="changes nothing"):
        TopKTruncation(top_k=9).inject(baseline, stack=stack, golden=golden)
    assert Deployment.capture(stack, BASE) == baseline


# ---- helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        ("12 users", "18 users"),
        ("$7", "$11"),
        ("KST-502", "KST-753"),
        ("2026-09-01", "2026-09-18"),
        ("45%", "68%"),
        ("ports 80 and 443", "ports 120 and 665"),
    ],
)
def test_wrong_values_perturb_every_figure(answer: str, wrong: str) -> None:
    assert wrong_value(answer) == wrong
    assert not contains(wrong_value(answer), answer)


def test_wrong_value_of_a_name_is_another_name() -> None:
    assert wrong_value("Keystone") != "Keystone"
    assert wrong_value("Keystone") == wrong_value("Keystone")


def test_local_verdict_matches_whole_tokens_and_rejects_the_false_premise(
    stack: Stack, golden: list[GoldenItem], baseline: Deployment
) -> None:
    fp = next(g for g in golden if g.false_premise)
    trace = run_traffic(stack, baseline, [fp])[0]
    assert trace.generation is not None
    good = trace.model_copy(update={"generation": trace.generation.model_copy(update={"output": f"It is {fp.answer}."})})
    bad = good.model_copy(
        update={"generation": trace.generation.model_copy(update={"output": f"It is {fp.answer}, not {fp.false_premise}."})}
    )
    assert answer_matches(good) and not answer_matches(bad)
    assert passes(good)


def test_run_traffic_tags_each_trace_with_its_question(stack: Stack, golden: list[GoldenItem], baseline: Deployment) -> None:
    seen: list[tuple[int, int]] = []
    traces = run_traffic(stack, baseline, golden[:3], tags={"window": "w1"}, progress=lambda d, n: seen.append((d, n)))
    assert [t.tags["qid"] for t in traces] == [g.qid for g in golden[:3]]
    assert all(t.tags["window"] == "w1" and t.golden is not None for t in traces)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    shifted = run_traffic(stack, baseline, golden[:1], seed=3)[0]
    assert shifted.config.sampling.seed == BASE.sampling.seed + 3
