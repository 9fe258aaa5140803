"""The backtest's boundary types: what workers get, what they return, and the saved report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from replaylab.backtest.stats import EvaluatorStat, Verdict
from replaylab.config import RunConfig
from replaylab.stack.pipeline import Stage
from replaylab.trace import Golden

__all__ = ["BacktestJob", "BacktestReport", "Flip", "PairOutcome", "ReplayItem", "WorkerStat", "apply_patch"]


def apply_patch(base: RunConfig, patch: dict[str, Any] | None) -> RunConfig:
    """`base` with the top-level fields `patch` sets replaced (None: `base` as it is)."""
    if not patch:
        return base
    return RunConfig.model_validate({**base.model_dump(mode="json"), **patch})


class BacktestJob(BaseModel):
    """What every worker needs to replay a pair; JSON-able, so it crosses process and node boundaries."""

    workspace: str
    """Workspace root the workers open (index snapshots, prompt versions, embedding cache)."""
    production: dict[str, Any] | None = None
    """RunConfig fields production sets over each trace's recorded config (None: replay as recorded)."""
    candidate: dict[str, Any]
    """RunConfig fields the candidate sets over each trace's recorded config (a full config sets all)."""
    holds: list[Stage] = Field(default_factory=list)
    """Stages held at their recordings in both replays."""
    evaluators: list[str] | None = None
    """Evaluators to score with (None: every registered one; the gating ones always run)."""
    live: bool = False
    """Let a replay whose cassette misses call its model live (never in CI)."""
    embed_cache: str | None = None
    """Embedding cache the workers share (REPLAYLAB_EMBED_CACHE), when set in the driver."""


class ReplayItem(BaseModel):
    """One unit of work: a recorded trace file, or a question with its golden answer (the canary gate's cases)."""

    ref: str
    """Trace id, golden qid, or `path:line` for a trace in a .jsonl file."""
    source: Literal["trace", "golden"] = "trace"
    path: str | None = None
    """Trace file (.json, or .jsonl with `line`)."""
    line: int | None = None
    """0-based line of the trace in a .jsonl file."""
    question: str | None = None
    """The question to run when there is no recorded trace."""
    golden: Golden | None = None


class PairOutcome(BaseModel):
    """One item replayed under both configurations and scored."""

    ref: str
    source: Literal["trace", "golden"] = "trace"
    production_passed: bool = False
    candidate_passed: bool = False
    passes: dict[str, tuple[bool, bool]] = Field(default_factory=dict)
    """Evaluator -> (production passed, candidate passed), where it decided under both."""
    scores: dict[str, tuple[float, float]] = Field(default_factory=dict)
    """Evaluator -> (production, candidate) score, for scores in 0..1 where higher is better."""
    production_output: str = ""
    candidate_output: str = ""
    error: str | None = None
    """Why the pair could not replay (one line); such pairs are left out of the statistics."""
    worker: str = ""
    """Which worker replayed it (host:pid)."""


class WorkerStat(BaseModel):
    """One worker's share of the run."""

    worker: str
    """host:pid."""
    items: int
    peak_rss_mb: float
    """Peak resident memory of the worker process (ru_maxrss)."""
    setup_s: float
    """Time to open the stack and load the embedder and index snapshots (once per worker)."""
    cpu_s: float = 0.0
    """CPU time the worker process used (user + system): throughput per CPU second survives a shared machine."""
    snapshot_loads: int = 0
    """Index snapshots this worker loaded from disk: once per snapshot per worker, never per trace."""
    snapshot_builds: int = 0
    """Index snapshots this worker had to build (0 when the driver warmed them)."""


class Flip(BaseModel):
    """A trace whose outcome differs between the configurations."""

    ref: str
    direction: Literal["regressed", "fixed"]
    """`regressed`: the gate verdict passes in production and fails in the candidate."""
    evaluators: list[str]
    """Evaluators that flipped the same way."""
    production_output: str
    candidate_output: str


class BacktestReport(BaseModel):
    """A backtest: per-evaluator rates with paired statistics, the flipped traces and the verdict."""

    version: Literal[1] = 1
    created_at: datetime
    engine: str
    """Engine name and its parallelism, e.g. `local x2`, `ray (2 CPUs)`."""
    traces: int
    """Items given."""
    replayed: int
    """Pairs replayed and scored (the others are in `errors`)."""
    production: dict[str, Any] | None
    candidate: dict[str, Any]
    holds: list[Stage]
    alpha: float
    """Significance level of McNemar's test."""
    verdict: Verdict
    reason: str
    evaluators: list[EvaluatorStat]
    """`verdict` (the gate) first, then each evaluator by name."""
    flips: list[Flip] = Field(default_factory=list)
    """Up to `max_flips` flipped traces, regressions first."""
    flipped: int = 0
    """All traces whose gate verdict flipped (either way)."""
    errors: list[str] = Field(default_factory=list)
    """`ref: message` of pairs that could not replay (first 50)."""
    error_count: int = 0
    workers: list[WorkerStat] = Field(default_factory=list)
    wall_s: float = 0.0
    """Wall time of the replays (after the driver's warm-up)."""
    traces_per_s: float = 0.0
    """Pairs per second of wall time (each pair is two replays)."""
    outcomes: list[PairOutcome] = Field(default_factory=list)
    """Per-trace outcomes, in input order (only with `keep_outcomes`)."""
