"""The rollback and canary drill simulations on a tiny corpus with the sandbox reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.drills.rollout import CanaryResult, CanarySpec, RolloutResult, RolloutSpec, simulate_canary, simulate_rollout
from replaylab.errors import ConfigError
from replaylab.sessions import default_judge, local_judge
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack
from replaylab.workspace import Workspace

DATA = Path(__file__).resolve().parents[1] / "data"  # the shared tiny corpus (see tests/README.md)
GOLDEN = load_golden(DATA / "tiny_golden.jsonl")
SMALL = RolloutSpec(sessions=16, turns=4, arrival_ticks=8, promote_at=2, detect_after=2)


@pytest.fixture(scope="module")
def stack_and_config(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, RunConfig]:
    config = RunConfig(
        corpus=CorpusSpec(source=str(DATA / "tiny_corpus.jsonl")),
        index=IndexSpec(embedder="hashing-test"),
        embedder="hashing-test",
        top_k=3,
    )
    return Stack(Workspace(Path(tmp_path_factory.mktemp("rollout")) / "ws")), config


@pytest.fixture(scope="module")
def rollout(stack_and_config: tuple[Stack, RunConfig]) -> RolloutResult:
    stack, config = stack_and_config
    return simulate_rollout(stack, config=config, golden=GOLDEN, spec=SMALL, judge=local_judge)


def test_every_expectation_of_the_rollback_drill_is_met(rollout: RolloutResult) -> None:
    assert rollout.expectations_met() == dict.fromkeys(rollout.expectations_met(), True)


def test_pin_and_drain_beats_both_other_rollbacks(rollout: RolloutResult) -> None:
    hard, finish = rollout.outcome("hard_cutover"), rollout.outcome("let_them_finish")
    drain = rollout.outcome("pin_and_drain_with_memory_revert")
    assert drain.bad_turns < finish.bad_turns
    assert drain.inconsistent_turns < hard.inconsistent_turns
    assert hard.corrupted_turns > 0 and drain.corrupted_turns == 0
    assert finish.bad_turns_after_rollback > 0 and finish.inconsistent_turns == 0
    assert drain.sessions_recalled == rollout.sessions_on_bad_at_detection > 0
    assert drain.drain.ticks_to_drain == 0 < finish.drain.ticks_to_drain


def test_the_rollback_moves_production_back_and_restores_the_labels(
    rollout: RolloutResult, stack_and_config: tuple[Stack, RunConfig]
) -> None:
    assert [(m.label, m.version) for m in rollout.label_moves] == [("production", 5), ("production", 4)]
    assert stack_and_config[0].prompts.labels() == {"rag-answer": {"production": 4}}
    assert RolloutResult.model_validate_json(rollout.model_dump_json()) == rollout
    assert "pin_and_drain_with_memory_revert" in rollout.table()


def test_a_bad_version_that_cut_over_every_session_is_rolled_back_too(stack_and_config: tuple[Stack, RunConfig]) -> None:
    stack, config = stack_and_config
    spec = SMALL.model_copy(update={"promotion": "hard_cutover"})
    result = simulate_rollout(stack, config=config, golden=GOLDEN, spec=spec, judge=local_judge)
    assert all(result.expectations_met().values()), result.expectations_met()
    # sessions in flight at the promotion were cut over: their next turn read memory of the good version
    assert result.outcome("let_them_finish").inconsistent_turns > 0


def test_the_evaluator_suite_judges_the_same_incident(stack_and_config: tuple[Stack, RunConfig]) -> None:
    stack, config = stack_and_config
    result = simulate_rollout(stack, config=config, golden=GOLDEN, spec=SMALL, judge=default_judge)
    assert all(result.expectations_met().values()), result.expectations_met()
    assert result.judge == "default_judge"


def test_a_rollback_after_the_last_turn_is_refused(stack_and_config: tuple[Stack, RunConfig]) -> None:
    stack, config = stack_and_config
    with pytest.raises(ConfigError, match="comes after the last turn"):
        simulate_rollout(
            stack,
            config=config,
            golden=GOLDEN,
            judge=local_judge,
            spec=RolloutSpec(sessions=2, turns=1, arrival_ticks=1, promote_at=3),
        )


@pytest.fixture(scope="module")
def canary(stack_and_config: tuple[Stack, RunConfig]) -> CanaryResult:
    stack, config = stack_and_config
    spec = CanarySpec(sessions=120, turns=3, arrival_ticks=10, percent=5.0, min_canary_turns=4, observe_ticks=10)
    return simulate_canary(stack, config=config, golden=GOLDEN, spec=spec, judge=local_judge)


def test_the_canary_is_killed_before_promotion_and_production_is_untouched(
    canary: CanaryResult, stack_and_config: tuple[Stack, RunConfig]
) -> None:
    assert all(canary.expectations_met().values()), canary.expectations_met()
    assert canary.gate.verdict == "kill"
    assert canary.production_turns_on_candidate == 0
    assert 5 not in canary.production_label_by_tick
    assert stack_and_config[0].prompts.labels() == {"rag-answer": {"production": 4}}
    assert CanaryResult.model_validate_json(canary.model_dump_json()) == canary


def test_a_harmless_candidate_is_promoted(stack_and_config: tuple[Stack, RunConfig]) -> None:
    stack, config = stack_and_config
    spec = CanarySpec(
        sessions=60,
        turns=2,
        arrival_ticks=6,
        percent=20.0,
        candidate_version=3,
        min_canary_turns=4,
        observe_ticks=4,
        expected_verdict="promote",
    )
    result = simulate_canary(stack, config=config, golden=GOLDEN, spec=spec, judge=local_judge)
    assert result.gate.verdict == "promote", result.gate.reason
    assert all(result.expectations_met().values())
    assert stack.prompts.labels() == {"rag-answer": {"production": 4}}
