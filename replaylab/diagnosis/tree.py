"""The four-layer diagnosis tree, with evidence for and against every layer.

    d = diagnose(stack, trace)          # one failing request
    d.layer, d.confidence               # "retrieval", 0.9
    d.evidence["retrieval"].for_        # sentences with the numbers behind them ("for" in JSON)
    diagnose_many(stack, traces)        # a set: adds the upstream-data cluster test

`diagnose` evaluates the trace, replays its five counterfactual contexts (see
`replaylab.diagnosis.counterfactuals`), reads the corpus history of its golden documents, and walks
the tree in the playbook's order; the first layer whose test holds is named:

1. retrieval - no chunk the model saw holds the answer, and the oracle context (the golden
   documents' chunks from the current corpus) makes the replay pass;
2. generation - the context holds the answer and the held replay still fails, while the
   oracle fails too, or moving the answer chunk first or last fixes it, or a generation signal is
   present (returned model != requested, a conflicting prompt instruction, sycophancy);
   also when the recorded context lacks the answer but the oracle, which holds it, fails;
3. routing - the request reached another handler than the expected one (the golden item's
   `expected_route`, or the handler a known-good configuration reaches); a replay through
   the expected route says whether that alone fixes it;
4. upstream data - the current corpus no longer states the answer (a later ingestion
   changed the golden documents), or the wrong answer came from a recently ingested
   non-golden document that came in a declared batch or on which the context concentrates
   (recency alone is not evidence: `replaylab.diagnosis.ingestion`). Over a set of traces,
   `diagnose_many` also names it when failures cluster on one topic from a date on and
   their chunks concentrate on one recent ingestion.

Two preconditions are read before the walk, because they invalidate the spans the tests
read: a wrong route (the retrieval and generation tests then need the expected route to
fail too), and a wrong answer drawn from a recent non-golden document that answers this
very question (the knowledge base itself now holds a wrong answer: upstream data, even
though retrieval "worked"). Evidence is gathered for all four layers whatever the verdict
(`replaylab.diagnosis.evidence`), so a reader sees why the others were ruled out; the walk
itself is `replaylab.diagnosis.decide`, the cluster test `replaylab.diagnosis.cluster`.
Confidence is the branch's base (how decisive its test is) minus 0.1 per other layer whose
evidence nets at least 0.5 in its favour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.diagnosis.cluster import Cluster, TraceFinding, cluster_evidence, find_cluster, topic_of
from replaylab.diagnosis.counterfactuals import CounterfactualReport, counterfactuals
from replaylab.diagnosis.decide import DiagnosisLayer, decide
from replaylab.diagnosis.evidence import gather
from replaylab.diagnosis.facts import LayerEvidence
from replaylab.errors import TraceError
from replaylab.evals import EvalReport, EvalSettings, evaluate, verdict
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import LAYERS, Layer, all_variables

__all__ = ["Cluster", "Diagnosis", "DiagnosisLayer", "LayerEvidence", "TraceFinding", "diagnose", "diagnose_many"]


class Diagnosis(BaseModel):
    """The layer at fault, how sure, and the evidence for and against every layer."""

    layer: DiagnosisLayer
    """The layer at fault: `retrieval`, `generation`, `routing`, `upstream_data`, or `none`."""
    confidence: float = Field(ge=0.0, le=1.0)
    """How sure the tree is of `layer`, 0 to 1 (rounded to 0.01)."""
    summary: str
    """One sentence: the layer and the decisive test."""
    evidence: dict[str, LayerEvidence]
    """For each of retrieval, generation, routing, upstream_data."""
    signals: dict[str, str | float | int | bool | None] = Field(default_factory=dict)
    """The facts the tree read (answer in context, oracle outcome, positions, ...)."""
    suspects: list[str] = Field(default_factory=list)
    """The layer's variables, the ones the signals point at first: what to bisect."""
    next_step: str = ""
    """One-line advice on what to do next (usually: bisect the layer's `suspects` against a known-good config)."""
    trace_ids: list[str]
    """Ids of the traces diagnosed (one for a single trace, several for a cluster)."""
    eval: EvalReport | None = None
    """The evaluation of the trace (single-trace diagnoses)."""
    counterfactuals: CounterfactualReport | None = None
    """The counterfactual replays run (single-trace diagnoses)."""
    cluster: Cluster | None = None
    """The failure cluster diagnosed together (multi-trace diagnoses)."""
    traces: list[TraceFinding] = Field(default_factory=list)
    """Each trace's own verdict and layer (multi-trace diagnoses)."""


def _suspects(layer: DiagnosisLayer, first: Sequence[str]) -> list[str]:
    if layer == "none":
        return []
    names = [v.name for v in all_variables() if v.layer == layer]
    return [*[n for n in first if n in names], *[n for n in names if n not in first]]


def _next_step(layer: DiagnosisLayer, suspects: list[str], trace_id: str) -> str:
    if layer == "none":
        return "Nothing to fix in this request; if users still report failures, diagnose a set of traces."
    return (
        f"Do not touch the other layers yet: bisect the {layer.replace('_', ' ')} variables "
        f"({', '.join(suspects)}) for {trace_id} against a known-good configuration."
    )


def diagnose(
    stack: Stack, trace: Trace, *, settings: EvalSettings | None = None, good: RunConfig | None = None, seeds: int = 3
) -> Diagnosis:
    """Diagnose one trace: evaluate it, run its counterfactuals, gather evidence, walk the tree."""
    if trace.generation is None:
        raise TraceError(f"Trace {trace.trace_id} has no generation span: there is no output to diagnose")
    settings = settings or EvalSettings()
    report = evaluate(trace, stack=stack, settings=settings)
    cf = counterfactuals(stack, trace, settings=settings)
    facts, ledger = gather(stack, trace, report, cf, settings=settings, good=good, seeds=seeds)
    layer, base, summary, first = decide(facts, ledger)
    rivals = sum(1 for other in LAYERS if other != layer and ledger.strength(other) >= 0.5)
    confidence = base if layer == "none" else max(0.05, min(0.99, base - 0.1 * rivals))
    suspects = _suspects(layer, first)
    return Diagnosis(
        layer=layer,
        confidence=round(confidence, 2),
        summary=summary,
        evidence=ledger.evidence(),
        signals=facts.signals(),
        suspects=suspects,
        next_step=_next_step(layer, suspects, trace.trace_id),
        trace_ids=[trace.trace_id],
        eval=report,
        counterfactuals=cf,
    )


def diagnose_many(
    stack: Stack, traces: Sequence[Trace], *, settings: EvalSettings | None = None, good: RunConfig | None = None, seeds: int = 3
) -> Diagnosis:
    """Diagnose a set of traces: the failing ones one by one, then the cluster test for upstream
    data. Passing traces only get the (fast) verdict, and the per-trace evaluations inside a
    set stay lexical, so a window of traffic costs five replays per *failure*."""
    if not traces:
        raise TraceError("No traces to diagnose")
    settings = settings or EvalSettings()
    ordered = sorted(traces, key=lambda t: t.created_at)
    answered = [t for t in ordered if t.generation is not None]  # no output: no verdict to count
    findings = _findings(stack, answered, settings=settings, good=good, seeds=seeds)
    ids = [t.trace_id for t in ordered]
    cluster = find_cluster(answered, findings, settings.recent_days)
    if cluster is None:
        return _all_pass(findings, ids)
    evidence = {layer: LayerEvidence() for layer in LAYERS}
    fails = [f for f in findings if not f.passed]
    votes = _vote_evidence(evidence, fails)
    c = cluster
    clustered, concentrated, share = cluster_evidence(evidence["upstream_data"], c, settings.recent_days)
    per_trace_up = votes.get("upstream_data", 0) / len(fails)
    signals: dict[str, str | float | int | bool | None] = {
        "clustered": clustered,
        "concentrated": concentrated,
        "per_trace_upstream": per_trace_up,
    }
    if clustered and (concentrated or per_trace_up >= 0.5):
        confidence = min(0.95, 0.35 + 0.3 * share + 0.3 * max(c.batch_share, per_trace_up))
        return Diagnosis(
            layer="upstream_data",
            confidence=round(confidence, 2),
            cluster=c,
            evidence=evidence,
            trace_ids=ids,
            traces=findings,
            suspects=["corpus"],
            next_step=_next_step("upstream_data", ["corpus"], ids[0]),
            summary=f"Failures cluster on {c.topic!r} from {c.onset} on, and their chunks concentrate on the "
            f"ingestion of {c.batch_date} ({c.batch_source!r}): bad upstream data.",
            signals=signals,
        )
    top, n = votes.most_common(1)[0]
    mean = sum(f.confidence for f in fails if f.layer == top) / n
    suspects = _suspects(top, [])
    return Diagnosis(
        layer=top,
        confidence=round(mean * n / len(fails), 2),
        cluster=c,
        evidence=evidence,
        trace_ids=ids,
        traces=findings,
        suspects=suspects,
        next_step=_next_step(top, suspects, ids[0]),
        summary=f"{n} of {len(fails)} failing requests are diagnosed {top}; the failures do not "
        "cluster on one topic and one recent ingestion.",
        signals=signals,
    )


def _all_pass(findings: list[TraceFinding], ids: list[str]) -> Diagnosis:
    """The diagnosis of a set in which every answered request passes."""
    evidence = {layer: LayerEvidence() for layer in LAYERS}
    for layer in LAYERS:
        evidence[layer].against.append(f"All {len(findings)} answered requests pass their gating checks.")
    return Diagnosis(
        layer="none",
        confidence=0.9,
        summary=f"All {len(findings)} answered requests pass.",
        evidence=evidence,
        trace_ids=ids,
        traces=findings,
        next_step=_next_step("none", [], ids[0]),
    )


def _findings(
    stack: Stack, answered: list[Trace], *, settings: EvalSettings, good: RunConfig | None, seeds: int
) -> list[TraceFinding]:
    """Each answered trace's verdict; the failing ones diagnosed one by one with lexical checks."""
    lexical = settings.model_copy(update={"semantic_embedder": None})
    topics: dict[str, dict[str, str]] = {}
    findings = []
    for t in answered:
        topic = topic_of(stack, t, topics)
        if verdict(t, settings=settings).passed:
            findings.append(
                TraceFinding(trace_id=t.trace_id, created_at=t.created_at, topic=topic, passed=True, layer="none", confidence=0.9)
            )
            continue
        d = diagnose(stack, t, settings=lexical, good=good, seeds=seeds)
        findings.append(
            TraceFinding(
                trace_id=t.trace_id, created_at=t.created_at, topic=topic, passed=False, layer=d.layer, confidence=d.confidence
            )
        )
    return findings


def _vote_evidence(evidence: dict[Layer, LayerEvidence], fails: list[TraceFinding]) -> Counter[DiagnosisLayer]:
    """Count the per-trace layers of the failures, and write each layer's share into `evidence`."""
    votes = Counter(f.layer for f in fails)
    for layer in LAYERS:
        mine = [f for f in fails if f.layer == layer]
        if mine:
            mean = sum(f.confidence for f in mine) / len(mine)
            evidence[layer].for_.append(
                f"{len(mine)} of {len(fails)} failing requests are diagnosed {layer} one by one (mean confidence {mean:.2f})."
            )
        else:
            evidence[layer].against.append(f"None of the {len(fails)} failing requests is diagnosed {layer}.")
    return votes
