"""What every importer extracts, in one shape, and how it becomes a replaylab Trace.

An importer fills a `TraceDraft` from its format; `build_trace` turns the draft into a
`Trace`, filling what the source has and giving every other field an honest default that
the report counts under `defaulted`. The source format and ids go into `tags` (`import.*`).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from typing import Any

from pydantic import BaseModel, ValidationError

from replaylab.config import RunConfig, SamplingParams
from replaylab.importers.base import ImportReport, as_number
from replaylab.trace import (
    ChatMessage,
    GenerationSpan,
    ModelRuntime,
    PromptSpan,
    RetrievalSpan,
    RetrievedChunk,
    RoutingSpan,
    ToolCall,
    Trace,
    TraceEvent,
    VersionSnapshot,
)

UNKNOWN = "unknown"
_SAMPLING_RANGES = {"temperature": (0.0, 5.0), "top_p": (1e-6, 1.0), "max_tokens": (1, 4096)}
_VERSION_FIELDS = ("alv", "ppv", "tav", "index_snapshot", "embedder", "corpus_snapshot", "eval_set", "guardrails")


class ImportedDoc(BaseModel):
    """One retrieved document as the source recorded it."""

    id: str | None = None
    """The document (chunk) id, when recorded."""
    score: float | None = None
    """The retrieval score, when recorded."""
    text: str = ""
    """The document content."""
    metadata: dict[str, Any] = {}
    """The document's metadata (source, title, dates, ids)."""


class LlmCall(BaseModel):
    """One model call: its rendered messages, the model asked for and the one that answered."""

    span_id: str
    """The source span (observation) id."""
    messages: list[ChatMessage] = []
    """The rendered prompt."""
    output: str = ""
    """The model's answer text."""
    model_requested: str | None = None
    """The model id the application asked for."""
    model_returned: str | None = None
    """The model id in the response."""
    sampling: dict[str, float] = {}
    """temperature / top_p / seed / max_tokens as recorded."""
    prompt_tokens: int | None = None
    """Input tokens."""
    completion_tokens: int | None = None
    """Output tokens."""
    latency_ms: float | None = None
    """Duration of the call."""
    provider: str = ""
    """The provider (`openai`, ...)."""
    system_fingerprint: str = ""
    """The serving side's fingerprint, when recorded."""
    tool_calls: list[ToolCall] = []
    """Tool calls the model asked for."""
    prompt_template: str | None = None
    """The prompt template name, when the source tracks prompts."""
    prompt_version: str | None = None
    """The prompt template version."""
    response_id: str = ""
    """The provider's response id (`chatcmpl-...`), to find the call in the provider's logs."""


class TraceDraft(BaseModel):
    """Everything an importer found for one source trace."""

    source_format: str
    """The importer name."""
    source_trace_id: str
    """The trace id in the source."""
    created_at: datetime | None = None
    """When the request started."""
    question: str | None = None
    """The user's question, when the source records it apart from the prompt."""
    question_from: str = ""
    """Where the question came from (for the `import.question_from` tag)."""
    llm_calls: list[LlmCall] = []
    """Model calls in start order; the last one is the answer."""
    retrieval_query: str | None = None
    """The query the retriever ran."""
    documents: list[ImportedDoc] = []
    """Retrieved (or reranked) documents in rank order."""
    embedder: str | None = None
    """The query embedder, when recorded."""
    tool_calls: list[ToolCall] = []
    """Tool executions (tool spans)."""
    session_id: str | None = None
    """The source's session id."""
    versions: dict[str, str] = {}
    """Version snapshot fields found in resource/span attributes."""
    tags: dict[str, str] = {}
    """Extra tags (service name, environment, source ids)."""
    events: list[TraceEvent] = []
    """Failed spans and other notes."""
    spans: int = 0
    """How many source spans went into this trace."""


def generator_id(model: str) -> str:
    """The replaylab generator a replay of this trace calls: a registered model as is, anything else
    as an OpenAI-compatible endpoint (`openai:<model>`)."""
    from replaylab.registry import names

    return model if model in names("generator") else f"openai:{model}"


def _sampling(call: LlmCall | None, report: ImportReport, where: str) -> SamplingParams:
    raw = dict(call.sampling) if call else {}
    values: dict[str, Any] = {}
    for name in ("temperature", "top_p", "seed", "max_tokens"):
        number = as_number(raw.get(name))
        if number is None:
            report.default(f"sampling.{name}")
            continue
        lo, hi = _SAMPLING_RANGES.get(name, (float("-inf"), float("inf")))
        if not lo <= number <= hi:
            report.problem(f"{where}: {name}={raw[name]!r} is outside replaylab's range [{lo}, {hi}]; clamped")
            number = min(max(number, lo), hi)
        values[name] = int(number) if name in ("seed", "max_tokens") else number
    return SamplingParams(**values)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value) / (1000 if value > 1e11 else 1), tz=timezone.utc).date()
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except (ValueError, OverflowError, OSError):
        return None


def _meta(doc: ImportedDoc, *keys: str) -> Any:
    return next((doc.metadata[k] for k in keys if doc.metadata.get(k) not in (None, "")), None)


def _chunks(draft: TraceDraft, created: datetime, report: ImportReport) -> list[RetrievedChunk]:
    out = []
    missing: set[str] = set()
    for rank, doc in enumerate(draft.documents, 1):
        chunk_id = doc.id or _meta(doc, "chunk_id", "id", "document_id", "doc_id")
        if chunk_id is None:
            missing.add("retrieval.chunks.chunk_id")
        doc_id = _meta(doc, "doc_id", "document_id", "source_id", "file_name")
        source = _meta(doc, "source", "url", "file_path", "file_name", "uri")
        ingested = _parse_date(
            _meta(doc, "ingested_at", "last_modified", "last_modified_date", "updated_at", "created_at", "date")
        )
        if doc_id is None:
            missing.add("retrieval.chunks.doc_id")
        if source is None:
            missing.add("retrieval.chunks.source")
        if ingested is None:
            missing.add("retrieval.chunks.ingested_at")
        if doc.score is None:
            missing.add("retrieval.chunks.score")
        cid = str(chunk_id) if chunk_id is not None else f"doc-{rank}"
        out.append(
            RetrievedChunk(
                chunk_id=cid,
                doc_id=str(doc_id) if doc_id is not None else cid,
                title=str(_meta(doc, "title", "name", "file_name") or ""),
                text=doc.text,
                score=doc.score if doc.score is not None else 0.0,
                source=str(source) if source is not None else UNKNOWN,
                ingested_at=ingested or created.date(),
                rank=rank,
            )
        )
    for field in sorted(missing):
        report.default(field)
    return out


def _prompt(call: LlmCall, chunks: list[RetrievedChunk], report: ImportReport) -> PromptSpan:
    rendered = "\n".join(m.content for m in call.messages)
    placed = [c for c in chunks if c.text.strip() and c.text.strip()[:200] in rendered]
    if chunks and not placed:
        placed = list(chunks)
        report.default("prompt.context_chunk_ids")
    version = call.prompt_version or ""
    if call.prompt_template is None:
        report.default("prompt.template")
    return PromptSpan(
        template=call.prompt_template or "imported",
        version=int(version) if version.isdigit() and len(version) < 9 else 0,
        messages=call.messages,
        context_chunk_ids=[c.chunk_id for c in placed],
        context_tokens=sum(len(c.text.split()) for c in placed),
        dropped_chunk_ids=[c.chunk_id for c in chunks if c not in placed],
    )


def _question(draft: TraceDraft, call: LlmCall | None, report: ImportReport) -> tuple[str, str]:
    if draft.question and draft.question.strip():
        return draft.question.strip(), draft.question_from
    if draft.retrieval_query and draft.retrieval_query.strip():
        return draft.retrieval_query.strip(), "retrieval query"
    users = [m.content for m in (call.messages if call else []) if m.role == "user" and m.content.strip()]
    if users:
        report.default("question")
        return users[-1].strip(), "last user message"
    return "", ""


def build_trace(draft: TraceDraft, report: ImportReport) -> Trace | None:
    """The replaylab trace of `draft`, or None (with one problem line) when it holds no model call
    and no question."""
    where = f"trace {draft.source_trace_id[:32]}"
    call = draft.llm_calls[-1] if draft.llm_calls else None
    question, question_from = _question(draft, call, report)
    if call is None and not question:
        report.problem(f"{where}: no model call and no question found; not imported")
        return None
    if not question:
        report.problem(f"{where}: no question and no user message found; imported with an empty question")
    created = draft.created_at or datetime.now(timezone.utc)
    if draft.created_at is None:
        report.default("created_at")
    requested = (call.model_requested or call.model_returned) if call else None
    returned = (call.model_returned or call.model_requested) if call else None
    if call is not None and call.model_returned is None:
        report.default("generation.model_returned")
    if call is not None and call.model_requested is None:
        report.default("generation.model_requested")
    sampling = _sampling(call, report, where)
    chunks = _chunks(draft, created, report)
    model = requested or UNKNOWN
    snapshot = _snapshot(draft, call, model=model, returned=returned or UNKNOWN, report=report)
    embedder = snapshot.embedder
    # the app's index is not here: replays and bisect hold the context at the recorded documents
    # (`--set context=live` retrieves from replaylab's corpus instead)
    config = RunConfig(
        model=generator_id(model) if call else RunConfig().model,
        sampling=sampling,
        top_k=max(1, min(200, len(chunks) or 5)),
        context=tuple(c.chunk_id for c in chunks) or None,
    )
    report.default("config.prompt")
    tool_calls = [*draft.tool_calls, *[t for c in draft.llm_calls for t in c.tool_calls if not _executed(t, draft.tool_calls)]]
    digest = hashlib.sha256(f"{draft.source_format}|{draft.source_trace_id}".encode()).hexdigest()[:16]
    tags = _tags(draft, call, question_from)
    events = _events(draft)
    try:
        return Trace(
            trace_id=f"imp-{digest}",
            created_at=created,
            question=question,
            session_id=draft.session_id,
            config=config,
            versions=snapshot,
            routing=RoutingSpan(tool_calls=tool_calls),
            retrieval=_retrieval(draft, question, embedder, snapshot.index_snapshot, chunks),
            prompt=_prompt(call, chunks, report) if call else None,
            generation=_generation(call, model, returned or UNKNOWN, sampling, report) if call else None,
            events=events,
            tags=tags,
        )
    except ValidationError as exc:  # a value the source allows and the trace schema does not
        err = exc.errors()[0]
        report.problem(f"{where}: {'.'.join(map(str, err['loc']))}: {err['msg']}; not imported")
        return None


def _snapshot(draft: TraceDraft, call: LlmCall | None, *, model: str, returned: str, report: ImportReport) -> VersionSnapshot:
    """The version snapshot: what resource/span attributes named, `unknown` for the rest."""
    versions = {k: v for k, v in draft.versions.items() if k in _VERSION_FIELDS and v}
    if call and call.prompt_template and "ppv" not in versions:
        versions["ppv"] = f"{call.prompt_template}@{call.prompt_version or UNKNOWN}"
    if draft.embedder and "embedder" not in versions:
        versions["embedder"] = draft.embedder
    for field in ("ppv", "index_snapshot", "embedder", "corpus_snapshot"):
        if field not in versions:
            report.default(f"versions.{field}")
    mrv = ModelRuntime(
        requested=model,
        returned=returned,
        backend=call.provider if call else "",
        system_fingerprint=call.system_fingerprint if call else "",
    )
    return VersionSnapshot(
        alv=versions.get("alv", UNKNOWN),
        ppv=versions.get("ppv", UNKNOWN),
        mrv=mrv,
        tav=versions.get("tav", "none"),
        index_snapshot=versions.get("index_snapshot", UNKNOWN),
        embedder=versions.get("embedder", UNKNOWN),
        corpus_snapshot=versions.get("corpus_snapshot", UNKNOWN),
        eval_set=versions.get("eval_set", "none"),
        guardrails=versions.get("guardrails", "none"),
    )


def _tags(draft: TraceDraft, call: LlmCall | None, question_from: str) -> dict[str, str]:
    tags = {
        **draft.tags,
        "import.format": draft.source_format,
        "import.source_trace_id": draft.source_trace_id,
        "import.spans": str(draft.spans),
        "import.question_from": question_from,
    }
    if call is not None:
        tags["import.llm_span_id"] = call.span_id
        if call.response_id:
            tags["import.response_id"] = call.response_id
    return {k: str(v)[:500] for k, v in tags.items()}


def _events(draft: TraceDraft) -> list[TraceEvent]:
    """The draft's events, and one per model call before the answering one (an agent's steps)."""
    events = list(draft.events)
    for earlier in draft.llm_calls[:-1]:
        events.append(
            TraceEvent(
                kind="import.earlier_model_call",
                reason=f"model call {earlier.span_id} before the answering one",
                detail={"model": earlier.model_returned or earlier.model_requested or "", "output": earlier.output[:500]},
            )
        )
    return events


def _executed(call: ToolCall, executed: list[ToolCall]) -> bool:
    return any(t.tool == call.tool and t.arguments == call.arguments for t in executed)


def _retrieval(draft: TraceDraft, question: str, embedder: str, index: str, chunks: list[RetrievedChunk]) -> RetrievalSpan | None:
    if not chunks and draft.retrieval_query is None:
        return None
    return RetrievalSpan(
        query=draft.retrieval_query or question,
        top_k=max(1, len(chunks)),
        embedder=embedder,
        index_snapshot=index,
        chunks=chunks,
    )


def _generation(call: LlmCall, requested: str, returned: str, sampling: SamplingParams, report: ImportReport) -> GenerationSpan:
    for name in ("prompt_tokens", "completion_tokens", "latency_ms"):
        if getattr(call, name) is None:
            report.default(f"generation.{name}")
    runtime = {k: v for k, v in {"provider": call.provider, "system_fingerprint": call.system_fingerprint}.items() if v}
    return GenerationSpan(
        model_requested=requested,
        model_returned=returned,
        sampling=sampling,
        output=call.output,
        prompt_tokens=max(0, call.prompt_tokens or 0),
        completion_tokens=max(0, call.completion_tokens or 0),
        latency_ms=round(call.latency_ms or 0.0, 2),
        runtime=runtime,
    )
