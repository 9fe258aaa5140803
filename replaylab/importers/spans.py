"""From spans to traces: group by trace id, let a format's reader fill one draft per trace.

Both span importers (`otel`, `openinference`) run through `convert_spans`; each gives the
span readers to try in order, so a file that mixes the conventions (a GenAI LLM span under an
OpenInference RETRIEVER span, as a RAG app instrumented with both writes) imports whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from replaylab.importers.base import Attrs, ImportReport
from replaylab.importers.draft import TraceDraft, build_trace
from replaylab.importers.messages import loads
from replaylab.importers.otlp import SpanFile, SpanRecord
from replaylab.trace import Trace, TraceEvent

SKIPPED = "skipped"
"""What a reader returns for a span of its convention that it could not use (it reports why)."""

SpanReader = Callable[[SpanRecord, Attrs, TraceDraft, ImportReport], str | None]
"""Reads one span into the draft; returns what it mapped the span as (`llm`, `retriever`, ...),
or None when the span is not of its convention (the next reader is tried)."""

_VERSION_PREFIX = "replaylab.versions."
_RESOURCE_TAGS = ("service.name", "service.version", "service.namespace", "deployment.environment", "deployment.environment.name")


def convert_spans(
    file: SpanFile, *, fmt: str, readers: Sequence[SpanReader], report: ImportReport, explain: Callable[[SpanRecord], str]
) -> list[Trace]:
    """One trace per source trace id that holds a model call or a question."""
    for line in file.problems:
        report.problem(line)
    report.spans_seen += len(file.spans)
    groups: dict[str, list[SpanRecord]] = {}
    for span in file.spans:
        groups.setdefault(span.trace_id, []).append(span)
    traces = []
    for trace_id, spans in groups.items():
        spans.sort(key=lambda s: (s.start is None, s.start.timestamp() if s.start else 0.0))
        draft = _draft(trace_id, spans, fmt)
        seen_kinds: list[str] = []
        for span in spans:
            attrs = Attrs(span.attributes)
            kind = _read_one(span, attrs, draft, report, readers)
            if kind is None:
                report.problem(f"{span.label()} in trace {trace_id[:32]}: {explain(span)}")
                continue
            if kind == SKIPPED:  # the reader said why in a problem line
                continue
            seen_kinds.append(kind)
            _common(span, attrs, draft)
            report.spans_mapped += 1
            report.count_unmapped(attrs.unused())
        draft.spans = len(seen_kinds)
        draft.tags["import.span_kinds"] = ",".join(sorted(set(seen_kinds)))
        trace = build_trace(draft, report) if seen_kinds else None
        if trace is not None:
            traces.append(trace)
        elif not seen_kinds:
            report.problem(f"trace {trace_id[:32]}: none of its {len(spans)} span(s) could be mapped; not imported")
    return traces


def _read_one(
    span: SpanRecord, attrs: Attrs, draft: TraceDraft, report: ImportReport, readers: Sequence[SpanReader]
) -> str | None:
    for reader in readers:
        try:
            kind = reader(span, attrs, draft, report)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            # a value of a type the conventions do not allow: this span is skipped, the rest imports
            report.problem(f"{span.label()}: could not be mapped ({type(exc).__name__}: {str(exc)[:120]}); skipped")
            return SKIPPED
        if kind is not None:
            return kind
    return None


def _draft(trace_id: str, spans: list[SpanRecord], fmt: str) -> TraceDraft:
    starts = [s.start for s in spans if s.start is not None]
    resource = next((s.resource for s in spans if s.resource), {})
    draft = TraceDraft(source_format=fmt, source_trace_id=trace_id, created_at=min(starts) if starts else None)
    name, version = resource.get("service.name"), resource.get("service.version")
    if name:
        draft.versions["alv"] = f"{name}@{version}" if version else str(name)
    for key in _RESOURCE_TAGS:
        if resource.get(key) not in (None, ""):
            draft.tags[key] = str(resource[key])
    scopes = sorted({s.scope for s in spans if s.scope})
    if scopes:
        draft.tags["import.instrumentation"] = ",".join(scopes)
    for key, value in resource.items():
        if key.startswith(_VERSION_PREFIX) and value not in (None, ""):
            draft.versions[key[len(_VERSION_PREFIX) :]] = str(value)
    return draft


def _common(span: SpanRecord, attrs: Attrs, draft: TraceDraft) -> None:
    """Attributes every convention shares: session, version overrides, failures."""
    session = attrs.text("session.id") or attrs.text("gen_ai.conversation.id")
    if session and draft.session_id is None:
        draft.session_id = session
    for key in [k for k in attrs.data if k.startswith(_VERSION_PREFIX)]:
        value = attrs.text(key)
        if value:
            draft.versions[key[len(_VERSION_PREFIX) :]] = value
    if span.status == "ERROR":
        draft.events.append(
            TraceEvent(
                kind="import.span_error", reason=span.status_message or f"{span.name} failed", detail={"span_id": span.span_id}
            )
        )


def question_from_value(value: object) -> str | None:
    """The user's question in an `input.value`: a plain string, or the usual keys of a JSON input."""
    parsed = loads(value)
    if isinstance(parsed, str):
        return parsed.strip() or None
    if isinstance(parsed, dict):
        for key in ("question", "query", "input", "user_input", "prompt", "text"):
            inner = parsed.get(key)
            if isinstance(inner, str) and inner.strip():
                return inner.strip()
        msgs = parsed.get("messages")
        if isinstance(msgs, list):
            users = [m.get("content") for m in msgs if isinstance(m, dict) and m.get("role") in ("user", "human")]
            if users and isinstance(users[-1], str):
                return users[-1].strip() or None
    return None
