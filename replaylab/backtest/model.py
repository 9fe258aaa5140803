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
    """The item's reference (trace id, golden qid, or `path:line`)."""
    source: Literal["trace", "golden"] = "trace"
    """Where the item came from: a recorded `trace` or a `golden` case."""
    production_passed: bool = False
    """Production's overall evaluation verdict on the item was a pass."""
    candidate_passed: bool = False
    """The candidate's overall evaluation verdict on the item was a pass."""
    passes: dict[str, tuple[bool, bool]] = Field(default_factory=dict)
    """Evaluator -> (production passed, candidate passed), where it decided under both."""
    scores: dict[str, tuple[float, float]] = Field(default_factory=dict)
    """Evaluator -> (production, candidate) score, for scores in 0..1 where higher is better."""
    production_output: str = ""
    """Production's answer text (its first 240 characters, OUTPUT_CHARS)."""
    candidate_output: str = ""
    """The candidate's answer text (its first 240 characters, OUTPUT_CHARS)."""
    error: str | None = None
    """Why the pair could not replay (one line); such pairs are left out of the statistics."""
    worker: str = ""
    """Which worker replayed it (host:pid)."""


class WorkerStat(BaseModel):
    """One worker's share of the run."""

    worker: str
    """host:pid."""
    items: int
    """Number of items this worker replayed."""
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
    """The item's reference (trace id, golden qid, or `path:line`)."""
    direction: Literal["regressed", "fixed"]
    """`regressed`: the gate verdict passes in production and fails in the candidate."""
    evaluators: list[str]
    """Evaluators that flipped the same way."""
    production_output: str
    """Production's answer text."""
    candidate_output: str
    """The candidate's answer text."""


class BacktestReport(BaseModel):
    """A backtest: per-evaluator rates with paired statistics, the flipped traces and the verdict."""

    version: Literal[1] = 1
    """Backtest report format version (always 1)."""
    created_at: datetime
    """When the backtest ran."""
    engine: str
    """Engine name and its parallelism, e.g. `local x2`, `ray (2 CPUs)`."""
    traces: int
    """Items given."""
    replayed: int
    """Pairs replayed and scored (the others are in `errors`)."""
    production: dict[str, Any] | None
    """RunConfig fields production set over each recorded config (None: replayed as recorded)."""
    candidate: dict[str, Any]
    """RunConfig fields the candidate set over each recorded config."""
    holds: list[Stage]
    """Stages held at their recordings in both replays."""
    alpha: float
    """Significance level of McNemar's test."""
    verdict: Verdict
    """`regression`, `improvement` or `no significant difference`."""
    reason: str
    """One-line reason for the verdict."""
    evaluators: list[EvaluatorStat]
    """`verdict` (the gate) first, then each evaluator by name."""
    flips: list[Flip] = Field(default_factory=list)
    """Up to `max_flips` flipped traces, regressions first."""
    flipped: int = 0
    """All traces whose gate verdict flipped (either way)."""
    errors: list[str] = Field(default_factory=list)
    """`ref: message` of pairs that could not replay (first 50)."""
    error_count: int = 0
    """Number of pairs that could not replay (all of them, not only those listed in `errors`)."""
    workers: list[WorkerStat] = Field(default_factory=list)
    """Per-worker statistics."""
    wall_s: float = 0.0
    """Wall time of the replays (after the driver's warm-up)."""
    traces_per_s: float = 0.0
    """Pairs per second of wall time (each pair is two replays)."""
    outcomes: list[PairOutcome] = Field(default_factory=list)
    """Per-trace outcomes, in input order (only with `keep_outcomes`)."""
