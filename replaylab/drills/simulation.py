"""What the session simulations (prompt rollout, canary) share: label bookkeeping, and their drill kind.

A simulation drill runs the skeleton's inject (the simulation: promotion, traffic, detection and
label moves on the stack's real prompt registry), reads its traffic windows and verdicts from the
result, and verifies in its rollback step that every label is back where it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from replaylab.config import RunConfig
from replaylab.drills.journal import Expectation
from replaylab.drills.runner import Drill, DrillOptions, detector_expectations
from replaylab.drills.steps import InjectDetail, RollbackDetail, VerifyDetail
from replaylab.scenario import Scenario
from replaylab.sessions import PlannedSession, SessionManager, StackResponder, Turn
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import LabelMove


class SimulationSpec(BaseModel):
    """Base of a simulation's parameters (the scenario's `method` without `kind`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def restore_labels(stack: Stack, original: dict[str, dict[str, int]]) -> None:
    """Move every label back and drop the labels the simulation created."""
    current = stack.prompts.labels()
    for template, labels in original.items():
        for label, version in labels.items():
            if current.get(template, {}).get(label) != version:
                stack.prompts.move_label(template=template, label=label, version=version)
    for template, labels in current.items():
        for label in labels:
            if label not in original.get(template, {}):
                stack.prompts.delete_label(template=template, label=label)


def prewarm(manager: SessionManager, plan: Sequence[PlannedSession]) -> None:
    """Answer every planned question once up front (a stack responder batches them)."""
    if isinstance(manager.responder, StackResponder):
        manager.responder.prewarm(item.question for p in plan for item in p.items)


def turn_rate(turns: Iterable[Turn]) -> float | None:
    """Judge pass rate of `turns` (None for none)."""
    seen = [t.passed for t in turns]
    return round(sum(seen) / len(seen), 4) if seen else None


def move_words(move: LabelMove) -> str:
    """A label move in words, as a rollback step."""
    return f"move {move.template}:{move.label} {move.previous} -> {move.version}"


class SimulationDrill(Drill):
    """The skeleton around a session simulation: `simulate` is the method, the rest reads its result."""

    pieces: ClassVar[frozenset[Any]] = frozenset({"inject", "traffic", "rollback", "verify"})

    def __init__(self, scenario: Scenario, *, stack: Stack, base: RunConfig, options: DrillOptions | None = None) -> None:
        super().__init__(scenario, stack=stack, base=base, options=options)
        self.config = scenario.baseline_config(base)
        self.params = {k: v for k, v in scenario.method.items() if k != "kind"}
        self.labels_before = stack.prompts.labels()
        self.met: dict[str, bool] = {}
        self.result_moves: list[LabelMove] = []

    def method_name(self) -> str:
        return f"method: simulate {self.kind}"

    def simulate(self) -> tuple[BaseModel, dict[str, bool], list[LabelMove]]:
        """Run the simulation: its result, its expectations by key, and its label moves."""
        raise NotImplementedError

    def inject(self) -> InjectDetail:
        result, self.met, moves = self.simulate()
        self.result_moves = moves
        self.journal.simulation = result.model_dump(mode="json")
        return InjectDetail(fault=self.kind, notes=[move_words(m) for m in moves])

    def rollback(self) -> RollbackDetail:
        """The simulation restores every label itself; this step checks that it did."""
        return RollbackDetail(
            steps=[move_words(m) for m in self.result_moves[1:]],
            restored_equals_before=self.stack.prompts.labels() == self.labels_before,
        )

    def verify(self) -> VerifyDetail:
        return VerifyDetail(recovered=self.recovered())

    def recovered(self) -> bool:
        raise NotImplementedError

    def expectations(self) -> list[Expectation]:
        own = [Expectation(name=k.replace("_", " "), expected=True, actual=ok, met=ok) for k, ok in self.met.items()]
        return own + detector_expectations(self.journal, self.scenario)
