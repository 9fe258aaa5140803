"""One runner for every drill kind: the same skeleton of typed steps, a journal that round-trips
through JSON, rollbacks that always run, and v1 journals still readable."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.drills.journal import DrillJournal
from replaylab.drills.runner import Drill, DrillOptions, execute, run
from replaylab.drills.steps import (
    SKELETON,
    BisectDetail,
    BisectStep,
    InjectDetail,
    RollbackDetail,
    RollbackStep,
    StepKind,
    VerifyStep,
)
from replaylab.registry import items, names
from replaylab.scenario import Scenario, load_scenario
from replaylab.stack.pipeline import Stack

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index=IndexSpec(embedder="hashing-test"))
TINY = RunConfig(
    corpus=CorpusSpec(source=str(DATA / "tiny_corpus.jsonl")),
    index=IndexSpec(embedder="hashing-test"),
    embedder="hashing-test",
    top_k=3,
)
STALE = (Path(__file__).resolve().parents[1] / "data" / "stale_scenario.yaml").read_text()
"""A stale-index scenario small enough for the tiny corpus (tests/data)."""


def scenario_of(kind: str, tmp_path: Path) -> tuple[Scenario, RunConfig]:
    """A small scenario of each kind, on the hashing stand-in embedder."""
    if kind == "fault":
        (tmp_path / "stale.yaml").write_text(STALE)
        return load_scenario(str(tmp_path / "stale.yaml")), GOOD
    if kind == "agent-loop":
        return load_scenario("agent-loop"), RunConfig()
    name = {"prompt-rollout": "bad-prompt-rollout", "canary": "canary-caught"}[kind]
    sc = load_scenario(name)
    small: dict[str, Any] = {"sessions": 16, "turns": 4, "arrival_ticks": 8}
    small |= {"promote_at": 2, "detect_after": 2} if kind == "prompt-rollout" else {"percent": 25.0, "min_canary_turns": 4}
    return sc.model_copy(update={"method": {**sc.method, **small}}), TINY


def test_the_registered_kinds_are_the_scenario_runners() -> None:
    assert names("drill") == sorted(get_args(Scenario.model_fields["runner"].annotation))
    for name, cls in items("drill"):
        assert cls.kind == name and cls.pieces <= set(SKELETON)


def test_a_plugin_name_is_written_once() -> None:
    for name, cls in items("fault"):
        assert cls.model_fields["kind"].default == name


def _is_skeleton_order(kinds: list[StepKind]) -> bool:
    order = [SKELETON.index(k) for k in kinds]
    return order == sorted(order)


@pytest.mark.parametrize("kind", ["fault", "agent-loop", "prompt-rollout", "canary"])
def test_every_kind_runs_through_the_same_skeleton(kind: str, tiny_stack: Stack, tmp_path: Path) -> None:
    scenario, base = scenario_of(kind, tmp_path)
    journal = run(scenario, stack=tiny_stack, base=base)
    assert journal.status == "completed", journal.error
    kinds = [s.kind for s in journal.steps]
    drill_type: type[Drill] = dict(items("drill"))[kind]
    assert _is_skeleton_order(kinds) and set(kinds) == set(drill_type.pieces) | {"check"} & set(kinds)
    assert kinds.count("traffic") == 2 and kinds[-2:] == ["rollback", "verify"]
    assert all(s.status == "ok" for s in journal.steps)
    assert journal.kind == kind and journal.expectations
    rollback = journal.find(RollbackStep)
    assert rollback is not None and rollback.detail.restored_equals_before
    again = DrillJournal.model_validate_json(journal.model_dump_json())
    assert again.model_dump() == DrillJournal.model_validate(journal.model_dump()).model_dump()
    assert [type(s) for s in again.steps] == [type(s) for s in journal.steps]
    if kind == "fault":
        assert journal.bisect_trace is not None and journal.bisect_trace in journal.failing_trace_ids
        assert journal.power is not None and journal.power.n_used == journal.steps[2].detail.requests  # type: ignore[union-attr]


class Broken(Drill):
    """A stand-in kind whose bisect raises (not registered)."""

    kind = "broken"
    pieces = frozenset({"inject", "bisect", "rollback", "verify"})
    rolled_back = False

    def inject(self) -> InjectDetail:
        return InjectDetail(fault="broken", notes=["nothing, really"])

    def bisect(self) -> BisectDetail:
        raise RuntimeError("the replay crashed")

    def rollback(self) -> RollbackDetail:
        self.rolled_back = True
        return RollbackDetail(steps=["undo nothing"], restored_equals_before=True)


def test_a_step_that_raises_fails_the_drill_and_the_rollback_still_runs(tiny_stack: Stack, tmp_path: Path) -> None:
    scenario, base = scenario_of("fault", tmp_path)
    drill = Broken(scenario, stack=tiny_stack, base=base, options=DrillOptions())
    journal = execute(drill)
    assert journal.status == "failed" and journal.error == "RuntimeError: the replay crashed"
    assert drill.rolled_back and journal.rollback_steps == ["undo nothing"]
    bisect = journal.find(BisectStep)
    assert bisect is not None and bisect.status == "failed"
    assert journal.find(VerifyStep) is None and journal.deviated and not journal.passed


def test_a_version_1_journal_is_read_with_typed_steps() -> None:
    step: dict[str, Any] = {"started_at": "2026-11-01T00:00:00Z", "elapsed_s": 1.0, "status": "ok"}
    data = {
        "version": 1,
        "scenario": "stale",
        "steps": [
            {**step, "name": "steady state before", "detail": {"pass_rate": 1.0, "requests": 8}},
            {**step, "name": "traffic under the fault", "detail": {"pass_rate": 0.5, "affected_failure_rate": 1.0}},
            {**step, "name": "bisect", "detail": {"trace": "tr-1", "causes": ["index"], "replays": 3, "gone": 1}},
            {**step, "name": "guards on", "detail": {"summary": {"x": 1}}},
        ],
    }
    journal = DrillJournal.model_validate(yaml.safe_load(yaml.safe_dump(data)))
    assert journal.version == 2 and [s.kind for s in journal.steps] == ["steady_state", "traffic", "bisect", "check"]
    assert journal.bisect_trace == "tr-1" and journal.steps[1].detail.window == "fault"  # type: ignore[union-attr]
    assert dict(journal.steps[2].detail.items())["causes"] == ["index"]
