"""The facts the diagnosis tree reads, and the evidence ledger it writes.

`gather` reads one trace, its eval report and its counterfactual replays (plus the corpus
history of its golden documents and, for sampled requests, a few more seeds) into `Facts`,
and writes a sentence with its numbers for or against each layer into a `Ledger`. Weights
(0..1) rank the sentences and decide which other layers count as rivals; they never leave
the diagnosis package. The evidence per layer lives in the sibling modules
`evidence_routing`, `evidence_retrieval`, `evidence_data`, `evidence_generation` and
`evidence_counterfactuals`; `Facts` and `Ledger` in `facts`.
"""

from __future__ import annotations

from replaylab.config import RunConfig
from replaylab.diagnosis.counterfactuals import CounterfactualReport
from replaylab.diagnosis.evidence_counterfactuals import counterfactual_evidence
from replaylab.diagnosis.evidence_data import history_evidence
from replaylab.diagnosis.evidence_generation import generation_evidence
from replaylab.diagnosis.evidence_retrieval import context_evidence
from replaylab.diagnosis.evidence_routing import routing_evidence
from replaylab.diagnosis.facts import Facts, Ledger
from replaylab.evals import EvalReport, EvalSettings
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import LAYERS

__all__ = ["gather"]


def gather(
    stack: Stack,
    trace: Trace,
    report: EvalReport,
    cf: CounterfactualReport,
    *,
    settings: EvalSettings,
    good: RunConfig | None,
    seeds: int,
) -> tuple[Facts, Ledger]:
    """Read every signal of one trace into Facts, and the evidence sentences into a Ledger."""
    ledger = Ledger()
    g = trace.golden
    f = Facts(
        recorded_passed=report.passed,
        failed=report.failed,
        gated=report.gated,
        has_golden=g is not None,
        answer=g.answer if g else "",
        output=trace.generation.output if trace.generation else "",
    )
    routing_evidence(stack, trace, f, good, settings, ledger)
    if g is not None:
        context_evidence(trace, f, report, stack, settings, ledger)
        history_evidence(stack, trace, f, ledger)
        if f.changed_from is None and cf.oracle_holds_answer is True:
            ledger.con("upstream_data", 0.3, f"The golden documents in the current corpus still state {g.answer!r}.")
    counterfactual_evidence(f, cf, ledger)
    generation_evidence(stack, trace, f, report, settings, seeds if not f.recorded_passed else 0, ledger)
    if f.recorded_passed:
        for layer in LAYERS:
            ledger.con(layer, 0.5, f"The request passes its gating checks ({', '.join(report.gated) or 'none'}).")
    return f, ledger
