"""The canary gate: replay the golden set (or a sample) and recent traces against a candidate
configuration and the production one, compare them pair by pair, and refuse to move the
`production` label when any evaluator regresses beyond a threshold.

Per evaluator, over the cases where it applies under both configurations:

- pass/fail pairs: `b` cases pass in production and fail in the candidate, `c` the reverse;
  McNemar's exact test is the binomial test of `b` in `b + c` at 1/2 (scipy). The one-sided
  p-value (candidate worse) gives the *confidence* of a regression: `1 - p`.
- scores: the mean paired difference (candidate - production) and a percentile bootstrap
  95% CI (seeded, numpy), for evaluators scored in 0..1.

The replays run on a backtest engine (`replaylab.backtest`: in this process by default, or a
process pool / Ray) and the statistics are the backtest's (`replaylab.backtest.stats`).

The candidate is refused when any evaluator's pass rate drops by more than `threshold`, or
its mean score drops by more than `threshold`. A drop beyond the threshold refuses even when
it is not significant: a gate errs towards production; the confidence says how sure it is.

    report = run_gate(stack, candidate=cand, baseline=prod, cases=cases)
    report.accepted, report.reasons, report.mcnemar_p
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from replaylab.backtest import BacktestJob, Engine, PairOutcome, ReplayItem, get_engine, summarize
from replaylab.backtest.stats import EvaluatorStat, bootstrap_ci, mcnemar_exact, overall_verdict
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
    """The case reference (golden qid or trace id)."""
    baseline_passed: bool
    """The baseline passed the case overall."""
    candidate_passed: bool
    """The candidate passed the case overall."""
    baseline_output: str
    """The baseline's answer text."""
    candidate_output: str
    """The candidate's answer text."""
    failed: list[str] = Field(default_factory=list)
    """Evaluators that pass in production and fail in the candidate."""


class EvaluatorComparison(BaseModel):
    """Production vs candidate on one evaluator (or `verdict`, the gate as a whole)."""

    name: str
    """Evaluator name."""
    n: int
    """Cases where the evaluator applied (a verdict, else a score) under both configurations."""
    baseline_pass_rate: float | None
    """Baseline (production) pass rate, 0 to 1; None when the evaluator has no pass/fail."""
    candidate_pass_rate: float | None
    """Candidate pass rate, 0 to 1; None when the evaluator has no pass/fail."""
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
    """Lower bound of the 95% bootstrap confidence interval of `mean_diff` (None without one)."""
    ci_high: float | None = None
    """Upper bound of the 95% bootstrap confidence interval of `mean_diff` (None without one)."""
    significant: bool = False
    """McNemar's exact test finds the candidate significantly worse (two-sided p below alpha)."""
    regressed: bool = False
    """The candidate regresses on this evaluator beyond the gate's threshold."""
    reason: str = ""
    """Why it regressed ("" when it did not)."""


class GateReport(BaseModel):
    """The gate's decision and the comparison behind it."""

    version: Literal[1] = 1
    """Gate report format version (always 1)."""
    candidate: RunConfig
    """The configuration under test."""
    baseline: RunConfig
    """The production configuration compared against."""
    cases: int
    """Number of cases run."""
    golden_cases: int
    """Cases drawn from the golden set."""
    trace_cases: int
    """Cases drawn from recorded traces."""
    threshold: float
    """Largest allowed drop in pass rate or mean score (a fraction, e.g. 0.02)."""
    accepted: bool
    """The candidate passed the gate."""
    reasons: list[str]
    """Why the candidate was refused (empty when accepted)."""
    evaluators: list[EvaluatorComparison]
    """Per-evaluator comparison of baseline and candidate."""
    regressed_cases: list[PairResult] = Field(default_factory=list)
    """Cases the candidate fails that the baseline passes, overall or on any one evaluator."""
    label_move: LabelMove | None = None
    """The prompt label move made or refused, if one was asked for."""
    note: str = ""
    """One-line outcome of the label move ("" if none was asked for)."""
    mcnemar_p: float = 1.0
    """Two-sided McNemar exact p-value of the gate verdict (production vs candidate)."""
    significance: str = ""
    """The backtest's verdict on significance alone (the threshold rule above decides acceptance)."""
    engine: str = ""
    """Where the pairs replayed (a backtest engine)."""


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


def _comparison(stat: EvaluatorStat, threshold: float) -> EvaluatorComparison:
    """The backtest's paired statistics of one evaluator, judged against the gate's threshold."""
    cmp = EvaluatorComparison(
        name=stat.name,
        n=stat.n,
        baseline_pass_rate=stat.production_rate,
        candidate_pass_rate=stat.candidate_rate,
        regressions=stat.regressions,
        improvements=stat.improvements,
        mcnemar_p=stat.mcnemar_p,
        regression_confidence=round(1 - stat.p_worse, 6),
        significant=stat.direction == "worse",
        mean_diff=stat.mean_score_diff,
        ci_low=stat.score_ci[0] if stat.score_ci else None,
        ci_high=stat.score_ci[1] if stat.score_ci else None,
    )
    reasons = []
    base_rate, cand_rate = stat.production_rate, stat.candidate_rate
    if base_rate is not None and cand_rate is not None and base_rate - cand_rate > threshold:
        reasons.append(
            f"pass rate {base_rate:.1%} → {cand_rate:.1%} ({stat.regressions} regressed, {stat.improvements} improved; "
            f"McNemar exact p={stat.mcnemar_p:.3g}, confidence of a regression {1 - stat.p_worse:.1%})"
        )
    if cmp.mean_diff is not None and cmp.mean_diff < -threshold:
        reasons.append(f"mean score {cmp.mean_diff:+.3f} (95% bootstrap CI [{cmp.ci_low:+.3f}, {cmp.ci_high:+.3f}])")
    cmp.regressed = bool(reasons)
    cmp.reason = "; ".join(reasons)
    return cmp


def _regressed_case(o: PairOutcome) -> PairResult | None:
    worse = [name for name, (base, cand) in sorted(o.passes.items()) if base and not cand]
    if not (o.production_passed and not o.candidate_passed) and not worse:
        return None
    return PairResult(
        ref=o.ref,
        baseline_passed=o.production_passed,
        candidate_passed=o.candidate_passed,
        baseline_output=o.production_output,
        candidate_output=o.candidate_output,
        failed=worse,
    )


def run_gate(
    stack: Stack,
    *,
    candidate: RunConfig,
    baseline: RunConfig,
    cases: Sequence[Case],
    threshold: float = 0.02,
    progress: Progress | None = None,
    engine: Engine | None = None,
    alpha: float = 0.05,
) -> GateReport:
    """Replay every case under both configurations on a backtest engine (default: in this process) and
    decide through the backtest's paired statistics (no label is moved here)."""
    engine = engine or get_engine("local", workers=0, stack=stack)
    job = BacktestJob(
        workspace=str(stack.ws.root), production=baseline.model_dump(mode="json"), candidate=candidate.model_dump(mode="json")
    )
    items = [ReplayItem(ref=c.ref, source="golden", question=c.question, golden=c.golden) for c in cases]
    outcomes = engine.run(job, items, progress=progress).outcomes
    for o in outcomes:
        if o.error is not None:
            raise ReplaylabError(f"Canary gate: case {o.ref} could not replay: {o.error}")
    stats = summarize(outcomes, alpha=alpha)
    comparisons = [_comparison(s, threshold) for s in stats]
    reasons = [f"{c.name}: {c.reason}" for c in comparisons if c.regressed]
    verdict, why = overall_verdict(stats)
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
        regressed_cases=[r for o in outcomes if (r := _regressed_case(o)) is not None],
        mcnemar_p=stats[0].mcnemar_p if stats and stats[0].name == "verdict" else 1.0,
        significance=f"{verdict}: {why} (McNemar exact, alpha {alpha})",
        engine=engine.describe(),
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
