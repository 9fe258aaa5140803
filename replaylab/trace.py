"""Traces: one recorded request with its full version snapshot and its spans.

JSON on disk with a `version` field; `replaylab schema` writes the JSON Schema. Reading a
trace that is missing, not JSON, or off-schema raises TraceError with one clear line.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replaylab.config import RunConfig, SamplingParams
from replaylab.errors import TraceError, error_where
from replaylab.files import atomic_write_text, parse_json, read_input_text


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str


TRACE_VERSION = 1
MAX_TRACE_BYTES = 32 * 1024 * 1024
"""Largest trace file `load_trace` reads."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelRuntime(_Model):
    """MRV: the model the application asked for and the one that answered."""

    requested: str
    """The model id requested (the pin)."""
    returned: str
    """The model id in the response: differs from `requested` on a silent version change."""
    backend: str = ""
    quantization: str = ""
    file_sha256: str = ""
    system_fingerprint: str = ""
    """The serving side's fingerprint of its configuration (OpenAI-compatible endpoints)."""


class VersionSnapshot(_Model):
    """Every artifact version in force when the request ran (the postmortem's first table)."""

    alv: str = "rag-pipeline@1"
    """Agent logic version."""
    ppv: str
    """Prompt and policy version (`template@version`)."""
    mrv: ModelRuntime
    tav: str = "none"
    """Tool and API schema version."""
    index_snapshot: str
    embedder: str
    """Query embedder id."""
    corpus_snapshot: str
    """Corpus source, batches and as-of date, as one id."""
    eval_set: str = "golden@1"
    guardrails: str = "none"


class ToolCall(_Model):
    tool: str
    arguments: dict[str, Any] = {}
    result: str = ""
    agent: str = ""


class RoutingSpan(_Model):
    router: str | None = None
    intent: str = "kb_question"
    confidence: float = 1.0
    handler: str = "rag"
    tool_calls: list[ToolCall] = []


class RetrievedChunk(_Model):
    chunk_id: str
    doc_id: str
    title: str = ""
    text: str
    score: float
    source: str
    ingested_at: date
    rank: int
    """1-based rank by retrieval score."""


class RetrievalSpan(_Model):
    query: str
    top_k: int
    embedder: str
    index_snapshot: str
    chunks: list[RetrievedChunk]
    held: bool = False
    """True when the context was held (not retrieved live)."""


class PromptSpan(_Model):
    template: str
    version: int
    messages: list[ChatMessage]
    """The fully rendered prompt."""
    context_chunk_ids: list[str]
    """The chunks in the order they were placed in the prompt."""
    context_tokens: int
    dropped_chunk_ids: list[str] = []
    """Chunks the assembler left out to fit its token budget."""


class GenerationSpan(_Model):
    model_requested: str
    model_returned: str
    sampling: SamplingParams
    output: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    cassette: str | None = None
    runtime: dict[str, str] = {}
    """What the serving side reported about itself for this call (see GenerationResult.runtime)."""


class Golden(_Model):
    """What the answer should have been, when known."""

    qid: str | None = None
    answer: str
    aliases: list[str] = []
    doc_ids: list[str] = []
    false_premise: str | None = None
    expected_route: str | None = None
    unanswerable: bool | None = None
    """The golden set says the question has no answer (None: older traces; read from the answer text)."""


class TraceEvent(_Model):
    """Something that happened during the request besides the spans (a guard trip, a fault)."""

    kind: str
    reason: str
    detail: dict[str, Any] = {}


class Trace(_Model):
    """One recorded request."""

    version: Literal[1] = 1
    trace_id: str
    created_at: datetime
    question: str
    session_id: str | None = None
    config: RunConfig
    """The configuration that ran (`model` is the version that actually answered)."""
    versions: VersionSnapshot
    routing: RoutingSpan = Field(default_factory=RoutingSpan)
    retrieval: RetrievalSpan | None = None
    prompt: PromptSpan | None = None
    generation: GenerationSpan | None = None
    golden: Golden | None = None
    events: list[TraceEvent] = []
    tags: dict[str, str] = {}


def load_trace(path: Path) -> Trace:
    """Read a trace file; any problem is one TraceError line."""
    text = read_input_text(path, what="trace", max_bytes=MAX_TRACE_BYTES, error=TraceError)
    data = parse_json(text, what="trace", path=path, error=TraceError)
    if not isinstance(data, dict):
        raise TraceError(f"Trace {path} is not a JSON object")
    if data.get("version") != TRACE_VERSION:
        raise TraceError(
            f"Trace {path} has version {data.get('version')!r}; this replaylab reads version {TRACE_VERSION}{_import_hint(data)}"
        )
    try:
        return Trace.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = error_where(err["loc"])
        raise TraceError(f"Trace {path} does not match the schema: {where}: {err['msg']}") from None


def _import_hint(data: dict[str, Any]) -> str:
    """A pointer to `replaylab import` when `data` is a span or trace export, not a replaylab trace."""
    if "resourceSpans" in data or "context" in data or "traceId" in data:
        return "; it looks like an OpenTelemetry span export: convert it with `replaylab import otel|openinference FILE -o DIR`"
    if "observations" in data:
        return "; it looks like a Langfuse trace export: convert it with `replaylab import langfuse FILE -o DIR`"
    return ""


def save_trace(trace: Trace, path: Path) -> Path:
    """Write a trace atomically."""
    atomic_write_text(Path(path), trace.model_dump_json(indent=2) + "\n")
    return Path(path)
