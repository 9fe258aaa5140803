"""OpenInference spans (Arize Phoenix, `openinference-instrumentation-*`) to replaylab traces: `read_openinference_span`.

    replaylab import openinference spans.json -o traces/   # the importer: span_importers.py

Reads the OpenInference semantic conventions: `openinference.span.kind` LLM / RETRIEVER /
RERANKER / EMBEDDING / TOOL / CHAIN / AGENT; `llm.input_messages.N.message.role|content`,
`llm.output_messages...` (with `tool_calls`), `llm.model_name`, `llm.invocation_parameters`
(JSON), `llm.token_count.*`, `llm.prompt_template.*`; `retrieval.documents.N.document.id|score|
content|metadata`; `input.value` / `output.value`. Spans that carry only GenAI (`gen_ai.*`)
attributes are read by the OTel reader, so mixed files import whole.
"""

from __future__ import annotations

from typing import Any

from replaylab.importers.base import Attrs, ImportReport, Item, as_number
from replaylab.importers.draft import ImportedDoc, LlmCall, TraceDraft
from replaylab.importers.messages import chat_message, content_text, loads, tool_call
from replaylab.importers.otlp import SpanRecord
from replaylab.importers.spans import SKIPPED, question_from_value

KIND = "openinference.span.kind"
KINDS = ("LLM", "RETRIEVER", "RERANKER", "EMBEDDING", "TOOL", "CHAIN", "AGENT", "GUARDRAIL", "EVALUATOR", "PROMPT", "UNKNOWN")
_SAMPLING_KEYS = {"temperature": "temperature", "top_p": "top_p", "seed": "seed", "max_tokens": "max_tokens"}
_SAMPLING_KEYS |= {"max_completion_tokens": "max_tokens", "max_output_tokens": "max_tokens"}


def read_openinference_span(span: SpanRecord, attrs: Attrs, draft: TraceDraft, report: ImportReport) -> str | None:
    """Fill `draft` from one OpenInference span; None when the span has no OpenInference kind."""
    raw = attrs.get(KIND)
    if raw is None:
        return None
    kind = str(raw).upper()
    if kind not in KINDS:
        report.problem(f"{span.label()}: unknown openinference.span.kind {str(raw)[:40]!r} (known: {', '.join(KINDS)}); skipped")
        return SKIPPED
    if kind == "LLM":
        draft.llm_calls.append(_llm(span, attrs, report))
    elif kind == "RETRIEVER":
        _retriever(attrs, draft, report, span)
    elif kind == "RERANKER":
        _reranker(attrs, draft, report, span)
    elif kind == "EMBEDDING":
        draft.embedder = draft.embedder or attrs.text("embedding.model_name")
        attrs.touch(*[k for k in attrs.data if k.startswith("embedding.embeddings.") and k.endswith(".embedding.text")])
    elif kind == "TOOL":
        draft.tool_calls.append(
            tool_call(
                attrs.text("tool.name") or attrs.text("tool_call.function.name") or span.name,
                attrs.get("tool.parameters") if attrs.get("input.value") is None else attrs.get("input.value"),
                result=attrs.get("output.value"),
            )
        )
        attrs.touch("tool_call.function.arguments", "tool_call.id", "input.mime_type", "output.mime_type", "tool.description")
    elif kind in ("CHAIN", "AGENT"):
        _chain(span, attrs, draft)
    else:
        report.unmapped[f"{KIND}={kind}"] = report.unmapped.get(f"{KIND}={kind}", 0) + 1
    return kind.lower()


def _chain(span: SpanRecord, attrs: Attrs, draft: TraceDraft) -> None:
    question = question_from_value(attrs.get("input.value"))
    attrs.touch("input.mime_type")
    # the outermost chain's input is the user's question (later chains see rewritten inputs)
    if question and (draft.question is None or (span.parent_id is None and draft.question_from != "root span input")):
        draft.question = question
        draft.question_from = "root span input" if span.parent_id is None else "chain input"
    if span.parent_id is None and attrs.get("output.value") is not None:
        attrs.touch("output.mime_type")
        draft.tags["import.app_output"] = content_text(attrs.get("output.value"))[:500]


def _llm(span: SpanRecord, attrs: Attrs, report: ImportReport) -> LlmCall:
    where = span.label()
    call = LlmCall(span_id=span.span_id, latency_ms=span.duration_ms())
    call.messages = [m for item in attrs.indexed("llm.input_messages") if (m := _message(item, report, where))]
    outputs = attrs.indexed("llm.output_messages")
    call.output = "\n".join(m.content for item in outputs if (m := _message(item, report, where)) and m.role == "assistant")
    call.tool_calls = [_tool_call(tc) for item in outputs for tc in item.sub("message.tool_calls")]
    params = loads(attrs.get("llm.invocation_parameters"))
    if isinstance(params, dict):
        for key, value in params.items():
            if key in _SAMPLING_KEYS and as_number(value) is not None:
                call.sampling[_SAMPLING_KEYS[key]] = float(value)
            elif key == "model":
                call.model_requested = str(value)
            else:
                report.unmapped[f"llm.invocation_parameters.{key}"[:120]] = (
                    report.unmapped.get(f"llm.invocation_parameters.{key}"[:120], 0) + 1
                )
    request, response = loads(attrs.get("input.value")), loads(attrs.get("output.value"))
    attrs.touch("input.mime_type", "output.mime_type", "llm.token_count.total", "llm.system")
    if isinstance(request, dict) and request.get("model") and call.model_requested is None:
        call.model_requested = str(request["model"])
    if isinstance(response, dict):
        call.model_returned = str(response["model"]) if response.get("model") else None
        call.system_fingerprint = str(response.get("system_fingerprint") or "")
        call.response_id = str(response.get("id") or "")
    elif isinstance(response, str) and not call.output:
        call.output = response
    if not call.messages and isinstance(request, dict | str):
        from replaylab.importers.messages import messages_from_json

        call.messages = messages_from_json(request, report=report, where=where)
    model_name = attrs.text("llm.model_name")  # the response model in openinference-instrumentation-openai
    call.model_returned = call.model_returned or model_name
    call.provider = attrs.text("llm.provider") or str(attrs.data.get("llm.system") or "")
    prompt = as_number(attrs.get("llm.token_count.prompt"))
    completion = as_number(attrs.get("llm.token_count.completion"))
    call.prompt_tokens = int(prompt) if prompt is not None else None
    call.completion_tokens = int(completion) if completion is not None else None
    # the conventions carry the template text and version, not a name; the text has no trace field
    if attrs.data.get("llm.prompt_template.template") or attrs.data.get("llm.prompt_template.version"):
        call.prompt_template = "app-template"
    call.prompt_version = attrs.text("llm.prompt_template.version")
    if not call.messages:
        report.problem(f"{where}: LLM span without input messages (partial span); its prompt is empty")
    return call


def _message(item: Item, report: ImportReport, where: str) -> Any:
    content = item.get("message.content")
    if content is None:
        parts = [
            p.get("message_content.text") for p in item.sub("message.contents") if p.get("message_content.type") in ("text", None)
        ]
        content = "\n".join(str(p) for p in parts if p)
    role = item.get("message.role")
    item.get("message.name")
    item.get("message.tool_call_id")
    return chat_message(role or "user", content, report=report, where=where)


def _tool_call(tc: Item) -> Any:
    tc.get("tool_call.id")
    return tool_call(tc.get("tool_call.function.name"), tc.get("tool_call.function.arguments"))


def _documents(attrs: Attrs, prefix: str, report: ImportReport, where: str) -> list[ImportedDoc]:
    docs = []
    for item in attrs.indexed(prefix):
        meta: Any = loads(item.get("document.metadata"))
        meta = {**(meta if isinstance(meta, dict) else {}), **item.under("document.metadata")}
        score = as_number(item.get("document.score"))
        doc_id = item.get("document.id")
        content = item.get("document.content")
        if content is None:
            report.problem(f"{where}: {item.prefix} has no document.content (partial span); kept with empty text")
        docs.append(
            ImportedDoc(id=None if doc_id is None else str(doc_id), score=score, text=content_text(content), metadata=meta)
        )
    return docs


def _retriever(attrs: Attrs, draft: TraceDraft, report: ImportReport, span: SpanRecord) -> None:
    query = question_from_value(attrs.get("input.value"))
    attrs.touch("input.mime_type")
    draft.retrieval_query = draft.retrieval_query or query
    docs = _documents(attrs, "retrieval.documents", report, span.label())
    if not docs:
        report.problem(f"{span.label()}: RETRIEVER span without retrieval.documents (partial span)")
    if not draft.documents or draft.tags.get("import.documents_from") != "reranker":
        draft.documents = docs
        draft.tags["import.documents_from"] = "retriever"
    draft.embedder = draft.embedder or attrs.text("embedding.model_name")


def _reranker(attrs: Attrs, draft: TraceDraft, report: ImportReport, span: SpanRecord) -> None:
    docs = _documents(attrs, "reranker.output_documents", report, span.label())
    attrs.touch(*[k for k in attrs.data if k.startswith("reranker.input_documents.")])  # the retriever's output, read there
    draft.retrieval_query = draft.retrieval_query or attrs.text("reranker.query")
    attrs.touch("reranker.top_k")
    if docs:  # what the model saw: the reranked list
        draft.documents = docs
        draft.tags["import.documents_from"] = "reranker"
        model = attrs.text("reranker.model_name")
        if model:
            draft.tags["import.reranker"] = model
