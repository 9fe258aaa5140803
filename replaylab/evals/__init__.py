"""Evaluators: turn one trace into scores and a pass/fail verdict.

    report = evaluate(trace)                      # every evaluator, lexical checks only
    report = evaluate(trace, stack=stack)         # + MiniLM cosine when the trace used MiniLM
    report.passed, report.failed                  # the verdict and which gate failed
    verdict(trace).passed                         # the gate only: what bisect calls per replay

Evaluators by family (each documents its score range):

    answer     correct, token_f1, refusal, grounded
    retrieval  retrieval_hit, recall_at_k, mrr, answer_in_context, context_relevance,
               source_concentration, chunk_age
    behaviour  sycophancy, route, tool_loops
    ops        model_version, token_cost
    formats    format

An evaluator that raises is recorded as a Score with `error` set and `passed=None`; the
others still run. A crashed *gating* evaluator fails the verdict (it cannot vouch for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaylab.evals import answer, behaviour, formats, ops, retrieval  # noqa: F401  (registers them)
from replaylab.evals.base import (
    DEFAULT_GATE,
    DEFAULT_PRICES,
    EvalContext,
    EvalReport,
    EvalSettings,
    Evaluator,
    Price,
    Score,
    evaluator,
)
from replaylab.registry import items, lookup
from replaylab.trace import Trace

if TYPE_CHECKING:
    from replaylab.stack.pipeline import Stack

__all__ = [
    "DEFAULT_GATE",
    "DEFAULT_PRICES",
    "EvalContext",
    "EvalReport",
    "EvalSettings",
    "Evaluator",
    "Price",
    "Score",
    "evaluate",
    "evaluator",
    "evaluator_names",
    "get_evaluator",
    "run_evaluator",
    "verdict",
]


def get_evaluator(name: str) -> Evaluator:
    """A default-configured instance of the evaluator registered as `name`."""
    inst: Evaluator = lookup("evaluator", name)()
    return inst


def evaluator_names() -> list[str]:
    """Every registered evaluator name, sorted."""
    return [name for name, _ in items("evaluator")]


def run_evaluator(ev: Evaluator, ctx: EvalContext) -> Score:
    """Run one evaluator; a crash becomes a Score with `error` and `passed=None`."""
    try:
        return ev.evaluate(ctx)
    except Exception as exc:  # an evaluator's bug must not abort the report
        return Score(
            name=ev.name, value=0.0, passed=None, reason=f"evaluator {ev.name!r} crashed", error=f"{type(exc).__name__}: {exc}"
        )


def _resolve(evaluators: Sequence[str | Evaluator] | None, gate: Sequence[str]) -> list[Evaluator]:
    chosen = (
        [get_evaluator(e) if isinstance(e, str) else e for e in evaluators]
        if evaluators is not None
        else [cls() for _, cls in items("evaluator")]
    )
    have = {e.name for e in chosen}
    # the verdict is always decided: gating evaluators run even when not asked for
    return chosen + [get_evaluator(g) for g in gate if g not in have]


def evaluate(
    trace: Trace,
    *,
    stack: Stack | None = None,
    evaluators: Sequence[str | Evaluator] | None = None,
    settings: EvalSettings | None = None,
) -> EvalReport:
    """Score `trace` with `evaluators` (names or configured instances; default: all) and decide
    the verdict from `settings.gate`. With a stack, semantic checks may use its embedder."""
    settings = settings or EvalSettings()
    ctx = EvalContext(trace=trace, golden=trace.golden, stack=stack, settings=settings)
    scores = [run_evaluator(ev, ctx) for ev in _resolve(evaluators, settings.gate)]
    gating = [s for s in scores if s.name in settings.gate]
    failed = [s.name for s in gating if s.passed is False or s.error is not None]
    gated = [s.name for s in gating if s.passed is not None or s.error is not None]
    return EvalReport(trace_id=trace.trace_id, scores=scores, passed=not failed, failed=failed, gated=gated)


def verdict(trace: Trace, *, settings: EvalSettings | None = None) -> EvalReport:
    """The gating evaluators only: the fast outcome of one replay (no embedder, no stack)."""
    settings = settings or EvalSettings()
    return evaluate(trace, evaluators=list(settings.gate), settings=settings)
