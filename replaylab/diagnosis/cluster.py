"""The cluster test over a set of traces: do the failures concentrate on one topic and one ingestion?"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from replaylab.diagnosis.decide import DiagnosisLayer
from replaylab.diagnosis.facts import LayerEvidence
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

__all__ = ["Cluster", "TraceFinding", "cluster_evidence", "find_cluster", "topic_of"]


class TraceFinding(BaseModel):
    """One trace's verdict and layer, inside a multi-trace diagnosis."""

    trace_id: str
    """The trace's id."""
    created_at: datetime
    """When the traced request ran."""
    topic: str
    """Most common topic of the trace's golden documents (`unknown` without them)."""
    passed: bool
    """The trace's answer passed evaluation."""
    layer: DiagnosisLayer
    """The layer diagnosed for the trace (`none` when it passed)."""
    confidence: float
    """Confidence of that layer, 0 to 1."""


class Cluster(BaseModel):
    """Where the failures of a set of traces concentrate."""

    topic: str
    """The topic most failing requests are on."""
    failures_on_topic: int
    """Number of failing requests on `topic`."""
    failures_total: int
    """Number of failing requests on any topic."""
    onset: date
    """The first day a request on `topic` failed."""
    topic_fail_rate_from_onset: float
    """Fail rate of requests on `topic` from the onset on, 0 to 1 (rounded to 4 places)."""
    other_fail_rate_from_onset: float
    """Fail rate of requests on other topics from the onset on, 0 to 1 (0.0 when there are none)."""
    passed_before_onset: int
    """Requests on `topic` that passed before the onset."""
    recent_chunk_share: float
    """Share of the failing requests' chunks ingested within `recent_days` before the onset."""
    batch_date: date | None
    """The most common ingestion day among the recent chunks (None when no chunk is recent)."""
    batch_source: str | None
    """The most common source of the chunks ingested on `batch_date` (None when no chunk is recent)."""
    batch_share: float
    """Share of the failing requests' chunks from the single most common recent ingestion day."""
    batch_share_in_passing: float
    """Share of the passing requests' chunks ingested on `batch_date`, 0 to 1."""


def topic_of(stack: Stack, trace: Trace, topics: dict[str, dict[str, str]]) -> str:
    """The most common topic of `trace`'s golden documents (`topics` caches each corpus's topics)."""
    if trace.golden is None or not trace.golden.doc_ids:
        return "unknown"
    key = trace.config.corpus.model_dump_json()
    if key not in topics:
        topics[key] = {d.doc_id: d.topic for d in stack.documents(trace.config.corpus)}
    found = Counter(topics[key].get(d, "") for d in trace.golden.doc_ids)
    return found.most_common(1)[0][0] or "unknown"


def find_cluster(traces: list[Trace], findings: list[TraceFinding], recent_days: int) -> Cluster | None:
    """The topic most failures are on, from its first failure on, and the ingestion its chunks share."""
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


def cluster_evidence(up: LayerEvidence, c: Cluster, recent_days: int) -> tuple[bool, bool, float]:
    """Write the cluster test into the upstream-data evidence: (clustered, concentrated, topic share)."""
    share = c.failures_on_topic / c.failures_total
    clustered = share >= 0.6 and c.failures_on_topic >= 2 and c.topic_fail_rate_from_onset >= 0.5
    concentrated = c.batch_share >= 0.3 and c.batch_share > 2 * c.batch_share_in_passing
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
            f"No chunk retrieved for the failing {c.topic!r} requests was ingested in the {recent_days} days before {c.onset}."
        )
    return clustered, concentrated, share
