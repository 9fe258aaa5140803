"""Paired statistics of a backtest: the same traces under production and candidate.

Per evaluator, over the traces where it decided under both configurations:

- `b` traces pass in production and fail in the candidate, `c` the reverse. McNemar's exact
  test is the binomial test of `b` in `b + c` at 1/2 (scipy): the two-sided p-value says
  whether the configurations differ; the one-sided one whether the candidate is worse.
- the paired difference of pass indicators (candidate - production) has a seeded percentile
  bootstrap CI, resampling traces (so pairs stay together); scores in 0..1 get the same CI
  on their mean paired difference.

Pure: data in, data out (no replay, no I/O).

    stat = compare_pairs("correct", [(True, False), (True, True)], alpha=0.05)
    stat.mcnemar_p, stat.diff_ci, stat.direction
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

__all__ = ["EvaluatorStat", "bootstrap_ci", "compare_pairs", "mcnemar_exact", "overall_verdict"]

Direction = Literal["worse", "better", "same"]
Verdict = Literal["regression", "improvement", "no significant difference"]


class EvaluatorStat(BaseModel):
    """Production vs candidate on one evaluator (`verdict` is the gate as a whole)."""

    name: str
    """Evaluator name, or `verdict` for the gating evaluators together."""
    n: int
    """Traces where the evaluator decided (pass or fail) under both configurations, else were scored."""
    production_rate: float | None
    """Pass rate under production (None when the evaluator only scores)."""
    candidate_rate: float | None
    """Pass rate under the candidate."""
    regressions: int
    """b: pass in production, fail in the candidate."""
    improvements: int
    """c: fail in production, pass in the candidate."""
    mcnemar_p: float
    """Two-sided exact McNemar p-value (1.0 with no discordant pair)."""
    p_worse: float
    """One-sided exact McNemar p-value that the candidate is worse."""
    diff: float | None = None
    """Candidate minus production pass rate."""
    diff_ci: tuple[float, float] | None = None
    """Paired bootstrap CI of `diff` (traces resampled with their pairs)."""
    mean_score_diff: float | None = None
    """Mean paired score difference, candidate - production (scores in 0..1 only)."""
    score_ci: tuple[float, float] | None = None
    """Paired bootstrap CI of `mean_score_diff`."""
    significant: bool = False
    """The two-sided McNemar p-value is below alpha."""
    direction: Direction = "same"
    """Which way the discordant pairs lean when significant; `same` otherwise."""


def mcnemar_exact(b: int, c: int) -> tuple[float, float]:
    """(two-sided p, one-sided p that `b` exceeds chance) of McNemar's exact test."""
    from scipy.stats import binomtest

    if b < 0 or c < 0:
        raise ValueError("McNemar counts are never negative")
    if b + c == 0:
        return 1.0, 1.0
    two = float(binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
    one = float(binomtest(b, b + c, 0.5, alternative="greater").pvalue)
    return min(1.0, two), min(1.0, one)


def bootstrap_ci(diffs: Sequence[float], *, resamples: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of paired differences (seeded: the same input, the same CI)."""
    d = np.asarray(diffs, dtype=float)
    if d.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    step = max(1, 4_000_000 // d.size)  # bounded memory at 10^5+ traces
    for start in range(0, resamples, step):
        stop = min(resamples, start + step)
        means[start:stop] = d[rng.integers(0, d.size, size=(stop - start, d.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return round(float(lo), 6), round(float(hi), 6)


def compare_pairs(
    name: str,
    pairs: Sequence[tuple[bool, bool]],
    *,
    scores: Sequence[tuple[float, float]] | None = None,
    alpha: float = 0.05,
    seed: int = 0,
) -> EvaluatorStat:
    """Compare (production passed, candidate passed) pairs, and optional (production, candidate) scores."""
    b = sum(1 for base, cand in pairs if base and not cand)
    c = sum(1 for base, cand in pairs if cand and not base)
    two, one = mcnemar_exact(b, c)
    stat = EvaluatorStat(
        name=name,
        n=len(pairs) or len(scores or ()),
        production_rate=sum(p for p, _ in pairs) / len(pairs) if pairs else None,
        candidate_rate=sum(q for _, q in pairs) / len(pairs) if pairs else None,
        regressions=b,
        improvements=c,
        mcnemar_p=float(f"{two:.6g}"),
        p_worse=float(f"{one:.6g}"),
    )
    if pairs:
        flips = [float(q) - float(p) for p, q in pairs]
        stat.diff = round(float(np.mean(flips)), 6)
        stat.diff_ci = bootstrap_ci(flips, seed=seed)
    if scores:
        sdiffs = [cand - base for base, cand in scores]
        stat.mean_score_diff = round(float(np.mean(sdiffs)), 6)
        stat.score_ci = bootstrap_ci(sdiffs, seed=seed)
    stat.significant = two < alpha
    if stat.significant:
        stat.direction = "worse" if b > c else "better"
    return stat


def overall_verdict(stats: Sequence[EvaluatorStat]) -> tuple[Verdict, str]:
    """Regression when any evaluator is significantly worse; improvement when the gate verdict is
    significantly better and nothing is worse; else no significant difference. With the reason."""
    worse = [s.name for s in stats if s.direction == "worse"]
    if worse:
        return "regression", f"significantly worse on {', '.join(worse)}"
    gate = next((s for s in stats if s.name == "verdict"), None)
    if gate is not None and gate.direction == "better":
        better = [s.name for s in stats if s.direction == "better"]
        return "improvement", f"significantly better on {', '.join(better)}, worse on nothing"
    return "no significant difference", "no evaluator differs significantly"
