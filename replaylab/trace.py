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
    """Who speaks: `system`, `user`, `assistant` or `tool`."""
    content: str
    """The message text."""


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
    """The serving backend (the generator class name, or what a replaylab server reports; "" if unknown)."""
    quantization: str = ""
    """The weights' quantization, e.g. `Q4_K_M` ("" if not reported)."""
    file_sha256: str = ""
    """SHA-256 hex digest of the weights file ("" if not reported)."""
    system_fingerprint: str = ""
    """The serving side's fingerprint of its configuration (OpenAI-compatible endpoints)."""


class VersionSnapshot(_Model):
    """Every artifact version in force when the request ran (the postmortem's first table)."""

    alv: str = "rag-pipeline@1"
    """Agent logic version."""
    ppv: str
    """Prompt and policy version (`template@version`)."""
    mrv: ModelRuntime
    """Model runtime version: the model requested and the one that answered."""
    tav: str = "none"
    """Tool and API schema version."""
    index_snapshot: str
    """Id of the FAISS index snapshot that served retrieval (`none` when nothing was retrieved)."""
    embedder: str
    """Query embedder id."""
    corpus_snapshot: str
    """Corpus source, batches and as-of date, as one id."""
    eval_set: str = "golden@1"
    """Golden set version used to judge the answer."""
    guardrails: str = "none"
    """Guardrail configuration in force (`none` when no guards ran)."""


class ToolCall(_Model):
    tool: str
    """Name of the tool called."""
    arguments: dict[str, Any] = {}
    """The arguments passed to the tool, by name."""
    result: str = ""
    """The tool's output text ("" if none was recorded)."""
    agent: str = ""
    """Which agent made the call (`router` for router-dispatched tools; "" if unknown)."""


class RoutingSpan(_Model):
    router: str | None = None
    """Router version that decided (e.g. `intent-v1`); None when no router ran."""
    intent: str = "kb_question"
    """The intent the router picked (default `kb_question`)."""
    confidence: float = 1.0
    """Router's softmax probability of `intent`, 0 to 1."""
    handler: str = "rag"
    """The handler that served the request (default `rag`)."""
    tool_calls: list[ToolCall] = []
    """Tool calls made while serving the request, in order."""


class RetrievedChunk(_Model):
    chunk_id: str
    """Id of the retrieved chunk."""
    doc_id: str
    """Id of the document the chunk came from."""
    title: str = ""
    """Title of that document ("" if none)."""
    text: str
    """The chunk's text."""
    score: float
    """Inner-product similarity of the query and chunk embeddings, rounded to 6 places (0.0 for held chunks)."""
    source: str
    """Where the document came from (the corpus source it was ingested from)."""
    ingested_at: date
    """Date the document was ingested into the corpus."""
    rank: int
    """1-based rank by retrieval score."""


class RetrievalSpan(_Model):
    query: str
    """The query text embedded for retrieval."""
    top_k: int
    """Number of chunks asked for (for held context: the number held)."""
    embedder: str
    """Query embedder id."""
    index_snapshot: str
    """Id of the index snapshot searched."""
    chunks: list[RetrievedChunk]
    """The chunks returned, best first (after any `min_score` cut)."""
    held: bool = False
    """True when the context was held (not retrieved live)."""


class PromptSpan(_Model):
    template: str
    """Name of the prompt template."""
    version: int
    """Version number of the prompt template."""
    messages: list[ChatMessage]
    """The fully rendered prompt."""
    context_chunk_ids: list[str]
    """The chunks in the order they were placed in the prompt."""
    context_tokens: int
    """Tokens the placed context chunks take, counted by the assembler's tokenizer."""
    dropped_chunk_ids: list[str] = []
    """Chunks the assembler left out to fit its token budget."""


class GenerationSpan(_Model):
    model_requested: str
    """The model id the request asked for."""
    model_returned: str
    """The model id the response reported."""
    sampling: SamplingParams
    """The sampling parameters sent with the request."""
    output: str
    """The generated answer text."""
    prompt_tokens: int
    """Prompt tokens the generator reported."""
    completion_tokens: int
    """Completion tokens the generator reported."""
    latency_ms: float
    """Wall-clock time of the generation call, in milliseconds (rounded to 0.01)."""
    cassette: str | None = None
    """Path of the cassette the call was recorded to or replayed from; None when no cassette was active."""
    runtime: dict[str, str] = {}
    """What the serving side reported about itself for this call (see GenerationResult.runtime)."""


class Golden(_Model):
    """What the answer should have been, when known."""

    qid: str | None = None
    """Id of the golden question, if the trace came from the golden set."""
    answer: str
    """The expected answer text."""
    aliases: list[str] = []
    """Other accepted spellings of the answer."""
    doc_ids: list[str] = []
    """Ids of the documents that hold the answer."""
    false_premise: str | None = None
    """The false premise in the question, if it has one."""
    expected_route: str | None = None
    """The handler that should serve the question, if known."""
    unanswerable: bool | None = None
    """The golden set says the question has no answer (None: older traces; read from the answer text)."""


class TraceEvent(_Model):
    """Something that happened during the request besides the spans (a guard trip, a fault)."""

    kind: str
    """What happened, e.g. `guard_trip`, `proxy_fault`, `import.span_error`."""
    reason: str
    """One-line reason for the event."""
    detail: dict[str, Any] = {}
    """Structured details of the event, by name."""


class Trace(_Model):
    """One recorded request."""

    version: Literal[1] = 1
    """Trace file format version (always 1)."""
    trace_id: str
    """Unique trace id (`tr-...`)."""
    created_at: datetime
    """When the request ran."""
    question: str
    """The user's question."""
    session_id: str | None = None
    """Id of the conversation session the request belongs to, if any."""
    config: RunConfig
    """The configuration that ran (`model` is the version that actually answered)."""
    versions: VersionSnapshot
    """Every artifact version in force when the request ran."""
    routing: RoutingSpan = Field(default_factory=RoutingSpan)
    """The routing decision."""
    retrieval: RetrievalSpan | None = None
    """The retrieval step; None when nothing was retrieved."""
    prompt: PromptSpan | None = None
    """The rendered prompt; None when no prompt was built."""
    generation: GenerationSpan | None = None
    """The generation call; None when no model was called."""
    golden: Golden | None = None
    """The expected answer, when known."""
    events: list[TraceEvent] = []
    """Other things that happened during the request, in order."""
    tags: dict[str, str] = {}
    """Free-form string labels (e.g. `golden`, `session`)."""


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
