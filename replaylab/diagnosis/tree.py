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
(`replaylab.diagnosis.evidence`), so a reader sees why the others were ruled out.
Confidence is the branch's base (how decisive its test is) minus 0.1 per other layer whose
evidence nets at least 0.5 in its favour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.diagnosis.counterfactuals import CounterfactualReport, counterfactuals
from replaylab.diagnosis.evidence import Facts, LayerEvidence, Ledger, gather
from replaylab.errors import TraceError
from replaylab.evals import EvalReport, EvalSettings, evaluate, verdict
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import LAYERS, all_variables

__all__ = ["Cluster", "Diagnosis", "DiagnosisLayer", "LayerEvidence", "TraceFinding", "diagnose", "diagnose_many"]

DiagnosisLayer = Literal["retrieval", "generation", "routing", "upstream_data", "none"]


class TraceFinding(BaseModel):
    """One trace's verdict and layer, inside a multi-trace diagnosis."""

    trace_id: str
    created_at: datetime
    topic: str
    passed: bool
    layer: DiagnosisLayer
    confidence: float


class Cluster(BaseModel):
    """Where the failures of a set of traces concentrate."""

    topic: str
    failures_on_topic: int
    failures_total: int
    onset: date
    """The first day a request on `topic` failed."""
    topic_fail_rate_from_onset: float
    other_fail_rate_from_onset: float
    passed_before_onset: int
    recent_chunk_share: float
    """Share of the failing requests' chunks ingested within `recent_days` before the onset."""
    batch_date: date | None
    batch_source: str | None
    batch_share: float
    """Share of the failing requests' chunks from the single most common recent ingestion day."""
    batch_share_in_passing: float


class Diagnosis(BaseModel):
    """The layer at fault, how sure, and the evidence for and against every layer."""

    layer: DiagnosisLayer
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str
    """One sentence: the layer and the decisive test."""
    evidence: dict[str, LayerEvidence]
    """For each of retrieval, generation, routing, upstream_data."""
    signals: dict[str, str | float | int | bool | None] = Field(default_factory=dict)
    """The facts the tree read (answer in context, oracle outcome, positions, ...)."""
    suspects: list[str] = Field(default_factory=list)
    """The layer's variables, the ones the signals point at first: what to bisect."""
    next_step: str = ""
    trace_ids: list[str]
    eval: EvalReport | None = None
    counterfactuals: CounterfactualReport | None = None
    cluster: Cluster | None = None
    traces: list[TraceFinding] = Field(default_factory=list)


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


def _decide(f: Facts, ledger: Ledger) -> tuple[DiagnosisLayer, float, str, list[str]]:
    """Walk the tree: (layer, base confidence, summary, suspects to try first)."""
    if f.recorded_passed:
        if f.replay_passed is False:
            return "none", 0.5, "The recording passes its checks but the held replay fails: flaky, not broken.", []
        return "none", 0.9, "The request passes every gating check (" + ", ".join(f.gated or ["none"]) + ").", []
    if not f.has_golden:
        if f.route_wrong:
            return "routing", 0.6, f"Routed to {f.route!r}, expected {f.route_expected!r}; no golden answer.", []
        return (
            "generation",
            0.4,
            f"The output fails {', '.join(f.failed)} with no golden answer to test the "
            "context against; only generation-side checks could run.",
            ["prompt", "model"],
        )
    route_ok = not f.route_wrong
    if route_ok and f.attribution_recent and f.attribution_ingestion and f.attribution_on_topic and not f.attribution_golden:
        # read before retrieval: the knowledge base itself now holds a wrong answer to this question
        return (
            "upstream_data",
            0.7,
            f"The wrong answer comes from {f.attribution_id}, a recently ingested "
            "document that is not a golden one and answers this very question.",
            ["corpus"],
        )
    if route_ok and not f.in_ctx and f.oracle_passed is True:
        first = ["index", "embedder"] if f.stale or f.embedder_mismatch else []
        if f.answer_dropped:
            first = ["tokenizer", "context_budget"]
        elif f.golden_retrieved_rank is not None and not f.stale:
            first = ["top_k", "min_score"]
        return "retrieval", 0.9, "No chunk the model saw holds the answer, and the oracle context fixes the replay.", first
    if route_ok and f.context_overflow and f.replay_passed is False:
        return (
            "retrieval",
            0.75,
            "The assembled context overflows the model's window: it was budgeted with "
            "a tokenizer other than the model's own, so the tail passages are cut.",
            ["tokenizer", "context_budget"],
        )
    stochastic = f.temperature > 0 and f.seed_fail_rate is not None and f.seed_fail_rate < 1.0
    gen_signal = f.model_changed or f.prompt_conflict is not None or f.sycophantic or stochastic
    # a wrong route explains a failing generation unless the expected route fails as well
    gen_ok_route = route_ok or f.route_fix_passed is False
    reproduced = gen_ok_route and f.in_ctx and f.replay_passed is False
    moved = f.first_passed is True or f.last_passed is True
    if reproduced and (f.oracle_passed is not True or moved or gen_signal):
        if moved and f.oracle_passed is True:
            edge = "first" if f.first_passed is True else "last"
            return (
                "generation",
                0.8,
                f"The answer is in the context (position {f.answer_pos} of {f.n_placed}) "
                f"and the model misses it until it is moved {edge}: a position effect.",
                ["context_order", "model", "sampling"],
            )
        first = (
            (["prompt"] if f.prompt_conflict else [])
            + (["model"] if f.model_changed or f.sycophantic else [])
            + (["sampling"] if stochastic else [])
        )
        return (
            "generation",
            0.85,
            "The context holds the answer and the output is still wrong"
            + (", with the oracle context too." if f.oracle_passed is False else "."),
            list(dict.fromkeys([*first, "sampling"])),
        )
    if gen_ok_route and not f.in_ctx and f.oracle_has_answer and f.oracle_passed is False:
        first = ["prompt"] if f.prompt_conflict else ["model"]
        return (
            "generation",
            0.75,
            "The oracle context holds the answer and the replay still fails: the model "
            "cannot use it (the recorded context lacked it too).",
            first,
        )
    if f.route_wrong:
        base = (0.85 if f.route_source == "golden" else 0.65) + (0.1 if f.route_fix_passed else 0.0)
        fixed = ", and the expected handler answers it" if f.route_fix_passed else ""
        return "routing", base, f"The request reached {f.route!r} instead of {f.route_expected!r}{fixed}.", ["router", "tools"]
    if f.oracle_has_answer is False:
        base = 0.85 if f.changed_from is not None else 0.6
        return (
            "upstream_data",
            base,
            "The current corpus no longer states the answer in the golden documents"
            + (f" (changed on {f.changed_on})." if f.changed_on else "."),
            ["corpus"],
        )
    if f.attribution_recent and f.attribution_ingestion and not f.attribution_golden:
        return (
            "upstream_data",
            0.5,
            f"The answer came from {f.attribution_id}, a recently ingested document that is not a golden one.",
            ["corpus"],
        )
    if f.in_ctx and f.replay_passed is False:
        return (
            "retrieval",
            0.5,
            f"A distractor in the context ({f.attribution_id or 'unattributed'}) outranks "
            "the answer chunk: the oracle context passes, moving the answer first does not.",
            ["top_k", "index"],
        )
    if f.replay_passed is True and f.temperature > 0:
        return "generation", 0.5, f"The failure does not reproduce at temperature {f.temperature:g}: sampling.", ["sampling"]
    if not f.in_ctx:
        return "retrieval", 0.45, "No chunk the model saw holds the answer (the oracle could not confirm it).", []
    # what remains: the recording failed, the answer was in the context, the replay passes
    best: DiagnosisLayer = max(LAYERS, key=ledger.strength)
    return best, 0.3, "The failure does not reproduce in the sandbox; the layer with most evidence is named.", []


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
    layer, base, summary, first = _decide(facts, ledger)
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


def _topic(stack: Stack, trace: Trace, topics: dict[str, dict[str, str]]) -> str:
    if trace.golden is None or not trace.golden.doc_ids:
        return "unknown"
    key = trace.config.corpus.model_dump_json()
    if key not in topics:
        topics[key] = {d.doc_id: d.topic for d in stack.documents(trace.config.corpus)}
    found = Counter(topics[key].get(d, "") for d in trace.golden.doc_ids)
    return found.most_common(1)[0][0] or "unknown"


def _cluster(traces: list[Trace], findings: list[TraceFinding], recent_days: int) -> Cluster | None:
    fails = [(t, f) for t, f in zip(traces, findings, strict=True) if not f.passed]
    if not fails:
        return None
    topic, n = Counter(f.topic for _, f in fails).most_common(1)[0]
    onset = min(f.created_at.date() for _, f in fails if f.topic == topic)
    after = [f for f in findings if f.created_at.date() >= onset]
    on = [f for f in after if f.topic == topic]
    off = [f for f in after if f.topic != topic]
    window = onset - timedelta(days=recent_days)
    chunks = [c for t, f in fails if f.topic == topic and t.retrieval for c in t.retrieval.chunks]
    recent = [c for c in chunks if window <= c.ingested_at <= onset]
    batch_date, batch_source, batch_share = None, None, 0.0
    if recent:
        batch_date, count = Counter(c.ingested_at for c in recent).most_common(1)[0]
        batch_source = Counter(c.source for c in recent if c.ingested_at == batch_date).most_common(1)[0][0]
        batch_share = count / len(chunks)
    ok_chunks = [c for t, f in zip(traces, findings, strict=True) if f.passed and t.retrieval for c in t.retrieval.chunks]
    in_passing = sum(c.ingested_at == batch_date for c in ok_chunks) / len(ok_chunks) if ok_chunks else 0.0
    return Cluster(
        topic=topic,
        failures_on_topic=n,
        failures_total=len(fails),
        onset=onset,
        topic_fail_rate_from_onset=round(sum(not f.passed for f in on) / len(on), 4),
        other_fail_rate_from_onset=round(sum(not f.passed for f in off) / len(off), 4) if off else 0.0,
        passed_before_onset=sum(1 for f in findings if f.topic == topic and f.created_at.date() < onset and f.passed),
        recent_chunk_share=round(len(recent) / len(chunks), 4) if chunks else 0.0,
        batch_date=batch_date,
        batch_source=batch_source,
        batch_share=round(batch_share, 4),
        batch_share_in_passing=round(in_passing, 4),
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
    lexical = settings.model_copy(update={"semantic_embedder": None})
    ordered = sorted(traces, key=lambda t: t.created_at)
    answered = [t for t in ordered if t.generation is not None]  # no output: no verdict to count
    topics: dict[str, dict[str, str]] = {}
    findings = []
    for t in answered:
        topic = _topic(stack, t, topics)
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
    ids = [t.trace_id for t in ordered]
    cluster = _cluster(answered, findings, settings.recent_days)
    evidence = {layer: LayerEvidence() for layer in LAYERS}
    if cluster is None:
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
    fails = [f for f in findings if not f.passed]
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
    c = cluster
    share = c.failures_on_topic / c.failures_total
    clustered = share >= 0.6 and c.failures_on_topic >= 2 and c.topic_fail_rate_from_onset >= 0.5
    concentrated = c.batch_share >= 0.3 and c.batch_share > 2 * c.batch_share_in_passing
    up = evidence["upstream_data"]
    (up.for_ if clustered else up.against).append(
        f"{c.failures_on_topic} of {c.failures_total} failures ({share:.0%}) are on topic {c.topic!r}; from "
        f"{c.onset} on, {c.topic_fail_rate_from_onset:.0%} of {c.topic!r} requests fail against "
        f"{c.other_fail_rate_from_onset:.0%} of the others ({c.passed_before_onset} passed before)."
    )
    if c.batch_date is not None:
        (up.for_ if concentrated else up.against).append(
            f"{c.batch_share:.0%} of the chunks retrieved for the failing {c.topic!r} requests were ingested on "
            f"{c.batch_date} (mostly {c.batch_source!r}), against {c.batch_share_in_passing:.0%} of the chunks "
            f"of passing requests."
        )
    else:
        up.against.append(
            f"No chunk retrieved for the failing {c.topic!r} requests was ingested in the "
            f"{settings.recent_days} days before {c.onset}."
        )
    per_trace_up = votes.get("upstream_data", 0) / len(fails)
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
            signals={"clustered": clustered, "concentrated": concentrated, "per_trace_upstream": per_trace_up},
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
        signals={"clustered": clustered, "concentrated": concentrated, "per_trace_upstream": per_trace_up},
    )
