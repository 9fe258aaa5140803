"""Run a whole golden set through one configuration: `replaylab golden run`.

    report = run_golden(stack, config, load_golden(path), on_case=bar.advance)
    report.passed, report.by_topic, report.by_evaluator

Each case is one live request through the stack, scored by the gating evaluators (which decide
pass/fail) plus `retrieval_hit` (reported, not gating). A case whose replay fails is recorded
with its error, never raised: the batch always finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field

from replaylab.config import RunConfig
from replaylab.errors import ReplaylabError
from replaylab.evals import evaluate
from replaylab.evals.base import DEFAULT_GATE
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack, golden_of

REPORTED: tuple[str, ...] = ("retrieval_hit",)
"""Evaluators scored on every case beyond the gate, for the summary only."""


class CaseResult(BaseModel):
    """One golden question's outcome."""

    model_config = ConfigDict(extra="forbid")

    qid: str
    """The golden question's id."""
    topic: str
    """The question's topic (`-` when it has none)."""
    question: str
    """The question text, as sent to the stack."""
    expected: str
    """The golden answer."""
    output: str
    """What the model answered ('' when the request failed)."""
    passed: bool
    """Every gating evaluator that applies passed."""
    failed: list[str] = []
    """Gating evaluators that failed (or `error` when the request itself failed)."""
    scores: dict[str, bool | None] = {}
    """Evaluator -> passed (None: did not apply)."""
    reason: str = ""
    """Why it failed, in one line (the first failing evaluator's reason or the error)."""
    trace_id: str | None = None
    """Id of the request's trace (None when the request failed before one was recorded)."""


class Tally(BaseModel):
    """Pass counts of one group (a topic or an evaluator)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """The topic or the evaluator's registered name."""
    cases: int = 0
    """Cases the group applies to."""
    passed: int = 0
    """Of those, the cases that passed (for an evaluator: that it passed)."""

    @property
    def rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0


class GoldenRunReport(BaseModel):
    """`replaylab golden run --json`: every case, and the summary per topic and per evaluator."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    """Version of this report's format; always 1 for now."""
    golden: str
    """The golden set file ('bundled' for the bundled one)."""
    config_digest: str
    """`RunConfig.digest()` of the configuration the set ran on."""
    config: RunConfig
    """The configuration every case ran on."""
    started_at: datetime
    """When the run started (UTC)."""
    cases: list[CaseResult] = Field(default_factory=list)
    """One result per golden question, in the golden set's order."""
    by_topic: list[Tally] = Field(default_factory=list)
    """Pass counts per topic, sorted by topic."""
    by_evaluator: list[Tally] = Field(default_factory=list)
    """Pass counts per evaluator over the cases it applied to, sorted by name; `retrieval_hit` is reported, not gating."""

    @property
    def passed(self) -> bool:
        """Every case passed."""
        return all(c.passed for c in self.cases)

    @property
    def failures(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]


def run_case(stack: Stack, config: RunConfig, item: GoldenItem) -> CaseResult:
    """One golden question through the stack, scored."""
    base = {"qid": item.qid, "topic": item.topic or "-", "question": item.question, "expected": item.answer}
    try:
        trace = stack.run(item.question, config, golden=golden_of(item))
    except ReplaylabError as exc:
        msg = " ".join(str(exc).split())
        return CaseResult(**base, output="", passed=False, failed=["error"], reason=f"{type(exc).__name__}: {msg}")
    report = evaluate(trace, evaluators=[*DEFAULT_GATE, *REPORTED])
    failing = [s for s in report.scores if s.name in report.failed]
    return CaseResult(
        **base,
        output=trace.generation.output if trace.generation else "",
        passed=report.passed,
        failed=list(report.failed),
        scores={s.name: s.passed for s in report.scores},
        reason="; ".join(f"{s.name}: {s.reason}" for s in failing[:2]),
        trace_id=trace.trace_id,
    )


def _tallies(cases: Sequence[CaseResult]) -> tuple[list[Tally], list[Tally]]:
    topics: dict[str, Tally] = {}
    evals: dict[str, Tally] = {}
    for c in cases:
        t = topics.setdefault(c.topic, Tally(name=c.topic))
        t.cases += 1
        t.passed += int(c.passed)
        for name, ok in c.scores.items():
            if ok is None:
                continue
            e = evals.setdefault(name, Tally(name=name))
            e.cases += 1
            e.passed += int(ok)
    return sorted(topics.values(), key=lambda t: t.name), sorted(evals.values(), key=lambda t: t.name)


def run_golden(
    stack: Stack,
    config: RunConfig,
    items: Sequence[GoldenItem],
    *,
    golden: str,
    on_case: Callable[[CaseResult], None] | None = None,
) -> GoldenRunReport:
    """Every item of a golden set through `config`; `on_case` is called after each (a progress bar)."""
    report = GoldenRunReport(golden=golden, config_digest=config.digest(), config=config, started_at=datetime.now(timezone.utc))
    for item in items:
        case = run_case(stack, config, item)
        report.cases.append(case)
        if on_case is not None:
            on_case(case)
    report.by_topic, report.by_evaluator = _tallies(report.cases)
    return report
