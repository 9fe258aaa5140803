"""Langfuse trace exports to replaylab traces.

    replaylab import langfuse trace.json -o traces/

Reads the public API's shapes: a trace with full details (`GET /api/public/traces/{id}`:
`id`, `timestamp`, `input`, `output`, `sessionId`, `release`, `version`, `metadata`, `tags`,
`observations`, `scores`), a list of them, JSON lines of them, or `{"data": [...]}`; and bare
observation lists (`GET /api/public/observations`), grouped by `traceId`. Observations of type
GENERATION give the model call (`input` messages, `output`, `model`, `modelParameters`,
`usageDetails` / `usage`, `promptName` / `promptVersion`); RETRIEVER observations (or a SPAN
whose output is a list of documents) give the retrieved documents; TOOL observations give tool
calls; `scores` become trace events. Langfuse keeps one `model` per generation, so the
returned model is taken to be the requested one (reported under `defaulted`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from replaylab.importers.base import Attrs, Importer, ImportReport, as_number
from replaylab.importers.draft import ImportedDoc, LlmCall, TraceDraft, build_trace
from replaylab.importers.messages import content_text, loads, messages_from_json, tool_call, tool_calls_in_parts
from replaylab.importers.otlp import read_documents
from replaylab.importers.spans import question_from_value
from replaylab.registry import register
from replaylab.trace import Trace, TraceEvent

_SAMPLING = {"temperature": "temperature", "top_p": "top_p", "seed": "seed", "max_tokens": "max_tokens"}
_SAMPLING |= {
    "max_completion_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "topP": "top_p",
    "maxTokens": "max_tokens",
}
_BOOKKEEPING: tuple[str, ...] = (
    "id",
    "traceId",
    "type",
    "name",
    "startTime",
    "endTime",
    "parentObservationId",
    "projectId",
    "createdAt",
    "updatedAt",
)
_BOOKKEEPING += ("environment", "level", "statusMessage", "latency", "htmlPath", "public", "bookmarked", "timestamp")
_DOC_TEXT = ("page_content", "pageContent", "content", "text", "document")
_DOC_ID = ("id", "doc_id", "document_id", "chunk_id", "node_id", "id_")
_KNOWN_TYPES = ("GENERATION", "SPAN", "EVENT", "AGENT", "TOOL", "CHAIN", "RETRIEVER", "EVALUATOR", "EMBEDDING", "GUARDRAIL")


def _present(obj: dict[str, Any]) -> Attrs:
    """The fields that hold something (the API writes null for what was never set)."""
    return Attrs({str(k): v for k, v in obj.items() if v not in (None, "", [], {})})


def _when(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _count_unused(attrs: Attrs, prefix: str, report: ImportReport) -> None:
    attrs.touch(*_BOOKKEEPING)
    report.count_unmapped(Counter({f"{prefix}.{k}": n for k, n in attrs.unused().items()}))


def _generation(obs: Attrs, report: ImportReport, where: str) -> LlmCall:
    start, end = _when(obs.get("startTime")), _when(obs.get("endTime"))
    call = LlmCall(
        span_id=str(obs.get("id") or ""),
        model_requested=obs.text("model"),
        latency_ms=(end - start).total_seconds() * 1000 if start and end else None,
        prompt_template=obs.text("promptName"),
        prompt_version=obs.text("promptVersion"),
    )
    obs.touch("promptId", "modelId", "completionStartTime", "timeToFirstToken", "unit")
    params = obs.get("modelParameters")
    for key, value in params.items() if isinstance(params, dict) else []:
        if key in _SAMPLING and as_number(value) is not None:
            call.sampling[_SAMPLING[key]] = float(as_number(value) or 0.0)
        else:
            report.unmapped[f"observation.modelParameters.{key}"[:120]] = (
                report.unmapped.get(f"observation.modelParameters.{key}"[:120], 0) + 1
            )
    usage = obs.get("usageDetails") or obs.get("usage")
    obs.touch("usage", "usageDetails")
    if isinstance(usage, dict):
        call.prompt_tokens = _first_int(usage, "input", "promptTokens", "prompt_tokens", "input_tokens")
        call.completion_tokens = _first_int(usage, "output", "completionTokens", "completion_tokens", "output_tokens")
    raw_input = obs.get("input")
    call.messages = messages_from_json(raw_input, report=report, where=where) if raw_input is not None else []
    output = loads(obs.get("output"))
    if isinstance(output, dict) and isinstance(output.get("choices"), list) and output["choices"]:
        output = output["choices"][0].get("message", output["choices"][0]) if isinstance(output["choices"][0], dict) else output
    call.output = content_text(output.get("content") if isinstance(output, dict) else output)
    call.tool_calls = tool_calls_in_parts(output)
    for name in ("input", "output"):
        if obs.data.get(name) is None:
            report.problem(f"{where}: GENERATION without {name} (partial observation)")
    return call


def _first_int(obj: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        number = as_number(obj.get(key))
        if number is not None:
            return int(number)
    return None


def documents_in(value: Any) -> list[ImportedDoc] | None:
    """Retrieved documents in an observation's output: a list of LangChain Documents, LlamaIndex
    nodes, or `{id, content, score, metadata}` objects (bare or under `documents` / `nodes`)."""
    value = loads(value)
    if isinstance(value, dict):
        value = next(
            (value[k] for k in ("documents", "nodes", "results", "source_nodes") if isinstance(value.get(k), list)), None
        )
    if not isinstance(value, list) or not value or not all(isinstance(d, dict) for d in value):
        return None
    docs = []
    for d in value:
        node = d.get("node") if isinstance(d.get("node"), dict) else d
        text = next((node[k] for k in _DOC_TEXT if isinstance(node.get(k), str)), None)
        if text is None:
            return None
        meta = node.get("metadata") if isinstance(node.get("metadata"), dict) else {}
        doc_id = next((node[k] for k in _DOC_ID if node.get(k) not in (None, "")), None) or meta.get("id")
        score = as_number(d.get("score", d.get("relevance_score", meta.get("score"))))
        docs.append(ImportedDoc(id=None if doc_id is None else str(doc_id), score=score, text=text, metadata=meta))
    return docs


def _observation(raw: Any, draft: TraceDraft, report: ImportReport) -> bool:
    if not isinstance(raw, dict):
        report.problem(f"trace {draft.source_trace_id[:32]}: an observation is a {type(raw).__name__}, not an object; skipped")
        return False
    obs = _present(raw)
    kind = str(obs.get("type") or "").upper()
    where = f"observation {str(obs.get('id') or '?')[:36]} {str(obs.get('name') or '')[:60]!r}"
    if kind not in _KNOWN_TYPES:
        report.problem(
            f"{where}: unknown observation type {str(raw.get('type'))[:40]!r} (known: {', '.join(_KNOWN_TYPES)}); skipped"
        )
        return False
    if kind == "GENERATION":
        draft.llm_calls.append(_generation(obs, report, where))
    elif kind == "TOOL":
        draft.tool_calls.append(tool_call(obs.get("name"), obs.get("input"), result=obs.get("output")))
    elif kind == "EMBEDDING":
        draft.embedder = draft.embedder or obs.text("model")
    elif kind in ("RETRIEVER", "SPAN") and (docs := documents_in(obs.data.get("output"))) is not None:
        obs.touch("output")
        draft.documents = docs
        draft.retrieval_query = draft.retrieval_query or question_from_value(obs.get("input"))
    elif kind == "RETRIEVER":
        report.problem(f"{where}: RETRIEVER output is not a list of documents with text; no documents mapped")
    elif kind in ("SPAN", "CHAIN", "AGENT") and not obs.data.get("parentObservationId"):
        # the outermost span's input is the request (the trace input, when set, says the same)
        question = question_from_value(obs.get("input"))
        if question and draft.question is None:
            draft.question, draft.question_from = question, "root span input"
        if obs.get("output") is not None:
            draft.tags.setdefault("import.app_output", content_text(loads(obs.data["output"]))[:500])
    if obs.data.get("level") == "ERROR":
        draft.events.append(
            TraceEvent(kind="import.span_error", reason=str(obs.data.get("statusMessage") or "observation failed"))
        )
    _count_unused(obs, "observation", report)
    return True


def _safe_observation(raw: Any, draft: TraceDraft, report: ImportReport) -> bool:
    try:
        return _observation(raw, draft, report)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        # a value of a type the API never writes: this observation is skipped, the rest imports
        oid = str(raw.get("id"))[:36] if isinstance(raw, dict) else "?"
        report.problem(f"observation {oid}: could not be mapped ({type(exc).__name__}: {str(exc)[:120]}); skipped")
        return False


def _trace(raw: dict[str, Any], report: ImportReport, *, position: int) -> Trace | None:
    t = _present(raw)
    tid = str(t.get("id") or t.get("traceId") or f"no-id-{position}")
    draft = TraceDraft(source_format="langfuse", source_trace_id=tid, created_at=_when(t.get("timestamp")))
    question = question_from_value(t.get("input"))
    if question:
        draft.question, draft.question_from = question, "trace input"
    draft.session_id = t.text("sessionId")
    release, name = t.text("release"), t.text("name")
    if release:
        draft.versions["alv"] = f"{name}@{release}" if name else release
    for key in ("name", "version", "environment", "userId"):
        if t.data.get(key) not in (None, "") and key != "userId":
            draft.tags[f"langfuse.{key}"] = str(t.data[key])
    t.touch("userId", "name", "version")  # userId is a person's id: deliberately not copied into the trace
    tags = t.get("tags")
    if isinstance(tags, list):
        draft.tags["langfuse.tags"] = ",".join(map(str, tags))[:500]
    meta = t.get("metadata")
    for key, value in meta.items() if isinstance(meta, dict) else []:
        if str(key).startswith("replaylab.versions.") and value not in (None, ""):
            draft.versions[str(key).removeprefix("replaylab.versions.")] = str(value)
    if t.data.get("output") is not None:
        draft.tags["import.app_output"] = content_text(loads(t.get("output")))[:500]
    observations = t.get("observations") or []
    if not isinstance(observations, list):
        report.problem(f"trace {tid[:32]}: `observations` is a {type(observations).__name__}, not a list; none mapped")
        observations = []
    if any(isinstance(o, str) for o in observations):
        report.problem(
            f"trace {tid[:32]}: observations are ids only (a list export); export each trace with GET /api/public/traces/{{id}}"
        )
        observations = [o for o in observations if not isinstance(o, str)]
    ordered = sorted((o for o in observations if isinstance(o, dict)), key=lambda o: str(o.get("startTime") or ""))
    ordered += [o for o in observations if not isinstance(o, dict)]
    report.spans_seen += len(ordered)
    mapped = sum(_safe_observation(o, draft, report) for o in ordered)
    report.spans_mapped += mapped
    draft.spans = mapped
    scores = t.get("scores")
    for score in scores if isinstance(scores, list) else []:
        if isinstance(score, dict):
            value = score.get("value", score.get("stringValue"))
            draft.events.append(
                TraceEvent(
                    kind="import.langfuse_score",
                    reason=f"{score.get('name')}={value}",
                    detail={"comment": str(score.get("comment") or "")},
                )
            )
    t.touch("totalCost")
    _count_unused(t, "trace", report)
    return build_trace(draft, report)


def _traces_in(doc: Any, report: ImportReport) -> list[dict[str, Any]]:
    items = doc.get("data") if isinstance(doc, dict) and isinstance(doc.get("data"), list) else doc
    items = items if isinstance(items, list) else [items]
    traces: list[dict[str, Any]] = []
    loose: dict[str, list[Any]] = {}
    for item in items:
        if not isinstance(item, dict):
            report.problem(f"a {type(item).__name__} where a Langfuse trace was expected; skipped")
        elif "observations" in item or ("timestamp" in item and "type" not in item):
            traces.append(item)
        elif "type" in item and item.get("traceId"):  # an observations export
            loose.setdefault(str(item["traceId"]), []).append(item)
        else:
            keys = ", ".join(sorted(map(str, item))[:5])
            report.problem(f"an object with keys [{keys}] is neither a Langfuse trace nor an observation; skipped")
    traces += [{"id": tid, "observations": obs} for tid, obs in loose.items()]
    return traces


@register("importer", "langfuse")
class LangfuseImporter(Importer):
    """Langfuse public-API trace exports (a trace with its observations and scores)."""

    name = "langfuse"
    description = "Langfuse traces with observations (GENERATION / SPAN / RETRIEVER / TOOL / EVENT), JSON"

    def convert(self, data: bytes, *, source: Path, report: ImportReport) -> list[Trace]:
        traces = []
        raws = [raw for doc in read_documents(data, path=source, what="Langfuse export") for raw in _traces_in(doc, report)]
        for position, raw in enumerate(raws):
            trace = _trace(raw, report, position=position)
            if trace is not None:
                traces.append(trace)
        return traces
