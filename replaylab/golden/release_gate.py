"""The canary gate: replay the golden set (or a sample) and recent traces against a candidate
configuration and the production one, compare them pair by pair, and refuse to move the
`production` label when any evaluator regresses beyond a threshold.

Per evaluator, over the cases where it applies under both configurations:

- pass/fail pairs: `b` cases pass in production and fail in the candidate, `c` the reverse;
  McNemar's exact test is the binomial test of `b` in `b + c` at 1/2 (scipy). The one-sided
  p-value (candidate worse) gives the *confidence* of a regression: `1 - p`.
- scores: the mean paired difference (candidate - production) and a percentile bootstrap
  95% CI (seeded, numpy), for evaluators scored in 0..1.

The candidate is refused when any evaluator's pass rate drops by more than `threshold`, or
its mean score drops by more than `threshold`. A drop beyond the threshold refuses even when
it is not significant: a gate errs towards production; the confidence says how sure it is.

    report = run_gate(stack, candidate=cand, baseline=prod, cases=cases)
    report.accepted, report.reasons
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.errors import ConfigError, InputError, ReplaylabError, TraceError
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import LabelMove, parse_prompt_id
from replaylab.trace import Golden, Trace, load_trace

__all__ = [
    "Case",
    "EvaluatorComparison",
    "GateReport",
    "bootstrap_ci",
    "gate_cases",
    "mcnemar_exact",
    "production_config",
    "run_gate",
]

Progress = Callable[[int, int], None]


class Case(BaseModel):
    """One request both configurations answer."""

    ref: str
    """The golden qid, or the trace id of a recent request."""
    source: Literal["golden", "trace"]
    question: str
    golden: Golden | None = None


class PairResult(BaseModel):
    ref: str
    baseline_passed: bool
    candidate_passed: bool
    baseline_output: str
    candidate_output: str
    failed: list[str] = Field(default_factory=list)
    """Evaluators that pass in production and fail in the candidate."""


class EvaluatorComparison(BaseModel):
    """Production vs candidate on one evaluator (or `verdict`, the gate as a whole)."""

    name: str
    n: int
    """Cases where the evaluator applied (a verdict, else a score) under both configurations."""
    baseline_pass_rate: float | None
    candidate_pass_rate: float | None
    regressions: int
    """b: pass in production, fail in the candidate."""
    improvements: int
    """c: fail in production, pass in the candidate."""
    mcnemar_p: float
    """Two-sided exact McNemar p-value."""
    regression_confidence: float
    """1 - one-sided p (candidate worse)."""
    mean_diff: float | None = None
    """Mean of candidate - production scores (None for unbounded scores)."""
    ci_low: float | None = None
    ci_high: float | None = None
    regressed: bool = False
    reason: str = ""


class GateReport(BaseModel):
    """The gate's decision and the comparison behind it."""

    version: Literal[1] = 1
    candidate: RunConfig
    baseline: RunConfig
    cases: int
    golden_cases: int
    trace_cases: int
    threshold: float
    accepted: bool
    reasons: list[str]
    evaluators: list[EvaluatorComparison]
    regressed_cases: list[PairResult] = Field(default_factory=list)
    label_move: LabelMove | None = None
    note: str = ""


def mcnemar_exact(b: int, c: int) -> tuple[float, float]:
    """(two-sided p, one-sided p that `b` exceeds chance) of McNemar's exact test."""
    from scipy.stats import binomtest

    if b + c == 0:
        return 1.0, 1.0
    two = float(binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
    one = float(binomtest(b, b + c, 0.5, alternative="greater").pvalue)
    return min(1.0, two), min(1.0, one)


def bootstrap_ci(diffs: Sequence[float], *, resamples: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of paired differences."""
    d = np.asarray(diffs, dtype=float)
    if d.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return round(float(lo), 6), round(float(hi), 6)


def production_config(stack: Stack, base: RunConfig, *, label: str = "production") -> RunConfig:
    """`base` with its prompt resolved through the label (what production serves now)."""
    template, _ = parse_prompt_id(base.prompt)
    version = stack.prompts.labels().get(template, {}).get(label)
    if version is None:
        raise ConfigError(f"Prompt label {template}:{label} does not exist; give --baseline CONFIG")
    return base.model_copy(update={"prompt": f"{template}@{version}"})


def gate_cases(
    stack: Stack, *, sample: int | None = None, seed: int = 0, traces_dir: Path | None = None, max_traces: int = 50
) -> list[Case]:
    """The workspace golden set (or a seeded sample of it) and the recent traces in `traces_dir`."""
    from replaylab.golden.store import GoldenStore
    from replaylab.stack.pipeline import golden_of

    cases = [
        Case(ref=g.qid, source="golden", question=g.question, golden=golden_of(g)) for g in GoldenStore(stack.ws).load().cases
    ]
    if sample is not None and sample < len(cases):
        added = [c for c in cases if c.ref.startswith("reg-")]  # regression cases always run
        rest = [c for c in cases if not c.ref.startswith("reg-")]
        cases = random.Random(seed).sample(rest, max(0, sample - len(added))) + added
    if traces_dir is not None:
        if not traces_dir.is_dir():
            raise InputError(f"--sample-traces {traces_dir} is not a folder")
        recent: list[Trace] = []
        for p in sorted(traces_dir.rglob("*.json")):
            try:
                recent.append(load_trace(p))
            except TraceError:
                continue
        recent.sort(key=lambda t: t.created_at, reverse=True)
        seen = {c.question for c in cases}
        for t in recent[:max_traces]:
            if t.question not in seen:
                seen.add(t.question)
                cases.append(Case(ref=t.trace_id, source="trace", question=t.question, golden=t.golden))
    if not cases:
        raise InputError("The canary gate has no case to replay: the golden set is empty and no trace was given")
    return cases


def _compare(
    name: str, pairs: list[tuple[bool, bool]], scores: list[tuple[float, float]] | None, threshold: float
) -> EvaluatorComparison:
    n = len(pairs) or len(scores or [])
    b = sum(1 for base, cand in pairs if base and not cand)
    c = sum(1 for base, cand in pairs if cand and not base)
    two, one = mcnemar_exact(b, c)
    base_rate = sum(p for p, _ in pairs) / len(pairs) if pairs else None
    cand_rate = sum(q for _, q in pairs) / len(pairs) if pairs else None
    cmp = EvaluatorComparison(
        name=name,
        n=n,
        baseline_pass_rate=base_rate,
        candidate_pass_rate=cand_rate,
        regressions=b,
        improvements=c,
        mcnemar_p=round(two, 6),
        regression_confidence=round(1 - one, 6),
    )
    reasons = []
    if base_rate is not None and cand_rate is not None and base_rate - cand_rate > threshold:
        reasons.append(
            f"pass rate {base_rate:.1%} → {cand_rate:.1%} ({b} regressed, {c} improved; McNemar exact "
            f"p={two:.3g}, confidence of a regression {1 - one:.1%})"
        )
    if scores:
        diffs = [cand - base for base, cand in scores]
        cmp.mean_diff = round(float(np.mean(diffs)), 6)
        cmp.ci_low, cmp.ci_high = bootstrap_ci(diffs)
        if cmp.mean_diff < -threshold:
            reasons.append(f"mean score {cmp.mean_diff:+.3f} (95% bootstrap CI [{cmp.ci_low:+.3f}, {cmp.ci_high:+.3f}])")
    cmp.regressed = bool(reasons)
    cmp.reason = "; ".join(reasons)
    return cmp


def run_gate(
    stack: Stack,
    *,
    candidate: RunConfig,
    baseline: RunConfig,
    cases: Sequence[Case],
    threshold: float = 0.02,
    progress: Progress | None = None,
) -> GateReport:
    """Replay every case under both configurations and decide (no label is moved here)."""
    from replaylab.evals import evaluate, get_evaluator

    verdicts: list[tuple[bool, bool]] = []
    per_eval: dict[str, list[tuple[bool, bool]]] = {}
    per_score: dict[str, list[tuple[float, float]]] = {}
    regressed: list[PairResult] = []
    for i, case in enumerate(cases, 1):
        try:
            base_t = stack.run(case.question, baseline, golden=case.golden)
            cand_t = stack.run(case.question, candidate, golden=case.golden)
        except ReplaylabError as exc:
            raise ReplaylabError(f"Canary gate: case {case.ref} could not replay: {str(exc).splitlines()[0]}") from None
        base_r, cand_r = evaluate(base_t), evaluate(cand_t)
        verdicts.append((base_r.passed, cand_r.passed))
        cand_scores = {s.name: s for s in cand_r.scores}
        worse = []
        for s in base_r.scores:
            o = cand_scores.get(s.name)
            if o is None or s.error or o.error:
                continue
            if s.passed is not None and o.passed is not None:
                per_eval.setdefault(s.name, []).append((s.passed, o.passed))
                if s.passed and not o.passed:
                    worse.append(s.name)
            ev = get_evaluator(s.name)
            if ev.value_range == (0.0, 1.0) and ev.higher_is_better:
                per_score.setdefault(s.name, []).append((s.value, o.value))
        if (base_r.passed and not cand_r.passed) or worse:
            regressed.append(
                PairResult(
                    ref=case.ref,
                    baseline_passed=base_r.passed,
                    candidate_passed=cand_r.passed,
                    baseline_output=_out(base_t),
                    candidate_output=_out(cand_t),
                    failed=worse,
                )
            )
        if progress is not None:
            progress(i, len(cases))
    comparisons = [_compare("verdict", verdicts, None, threshold)]
    comparisons += [_compare(name, pairs, per_score.get(name), threshold) for name, pairs in sorted(per_eval.items())]
    comparisons += [_compare(name, [], per_score[name], threshold) for name in sorted(per_score) if name not in per_eval]
    comparisons = [c for c in comparisons if c.n]
    reasons = [f"{c.name}: {c.reason}" for c in comparisons if c.regressed]
    return GateReport(
        candidate=candidate,
        baseline=baseline,
        cases=len(cases),
        golden_cases=sum(c.source == "golden" for c in cases),
        trace_cases=sum(c.source == "trace" for c in cases),
        threshold=threshold,
        accepted=not reasons,
        reasons=reasons,
        evaluators=comparisons,
        regressed_cases=regressed,
    )


def promote(stack: Stack, report: GateReport, *, label: str = "production") -> GateReport:
    """Move `label` to the candidate's prompt version when the gate accepted it."""
    if not report.accepted:
        report.note = f"{label} label NOT moved: the candidate regresses"
        return report
    template, version = parse_prompt_id(report.candidate.prompt)
    if not version.isdigit():
        raise ConfigError(f"The candidate's prompt {report.candidate.prompt!r} is not template@N")
    current = stack.prompts.labels().get(template, {}).get(label)
    if current == int(version):
        report.note = (
            f"{template}:{label} already serves {template}@{version}; the candidate differs elsewhere "
            "(promote its configuration through the deploy tool)"
        )
        return report
    report.label_move = stack.prompts.move_label(template=template, label=label, version=int(version))
    report.note = f"{template}:{label} moved {current} → {version}"
    return report


def _out(t: Trace) -> str:
    return t.generation.output if t.generation else ""
