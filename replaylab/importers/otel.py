"""OpenTelemetry GenAI spans (`gen_ai.*` semantic conventions) to replaylab traces: `read_genai_span`.

    replaylab import otel spans.json -o traces/   # the importer: span_importers.py

Three generations of the conventions are read:

- attributes `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions`
  (JSON with `parts`), as the current semconv and `opentelemetry-instrumentation-openai` 0.4x+ write;
- the Traceloop attribute style `gen_ai.prompt.N.role|content` / `gen_ai.completion.N.content`
  (with `tool_calls`);
- span events: `gen_ai.content.prompt` / `gen_ai.content.completion`, the per-message
  `gen_ai.{system,user,assistant,tool}.message` / `gen_ai.choice` events, and
  `gen_ai.client.inference.operation.details`.

Model (`gen_ai.request.model` / `gen_ai.response.model`), sampling (`gen_ai.request.temperature|
top_p|max_tokens|seed`), usage (`gen_ai.usage.input_tokens|output_tokens`, or the older
`prompt_tokens|completion_tokens`) and tool spans (`execute_tool`) are mapped. GenAI has no
retrieval attributes, so OpenInference RETRIEVER spans in the same file are read too.
"""

from __future__ import annotations

from typing import Any

from replaylab.importers.base import Attrs, ImportReport
from replaylab.importers.draft import LlmCall, TraceDraft
from replaylab.importers.messages import chat_message, content_text, loads, messages_from_json, tool_call, tool_calls_in_parts
from replaylab.importers.otlp import SpanEvent, SpanRecord
from replaylab.importers.spans import SKIPPED
from replaylab.trace import ChatMessage

_LLM_OPERATIONS = ("chat", "text_completion", "generate_content", "completion")
_SAMPLING = {
    "temperature": ("gen_ai.request.temperature",),
    "top_p": ("gen_ai.request.top_p",),
    "max_tokens": ("gen_ai.request.max_tokens", "gen_ai.request.max_output_tokens"),
    "seed": ("gen_ai.request.seed", "gen_ai.openai.request.seed"),
}
_NOISE = ("gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.request.type", "gen_ai.operation.name", "gen_ai.system")
_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def _operation(attrs: Attrs) -> str | None:
    op = attrs.data.get("gen_ai.operation.name") or attrs.data.get("llm.request.type")
    if op is not None:
        return str(op).lower()
    if any(k.startswith(("gen_ai.request.model", "gen_ai.prompt.", "gen_ai.input.messages")) for k in attrs.data):
        return "chat"
    if "gen_ai.tool.name" in attrs.data:
        return "execute_tool"
    return None


def read_genai_span(span: SpanRecord, attrs: Attrs, draft: TraceDraft, report: ImportReport) -> str | None:
    """Fill `draft` from one GenAI span; None when the span carries no GenAI attributes."""
    op = _operation(attrs)
    if op is None:
        return None
    attrs.touch(*_NOISE)
    if op in _LLM_OPERATIONS:
        draft.llm_calls.append(_llm(span, attrs, report))
        return "llm"
    if op == "execute_tool":
        draft.tool_calls.append(
            tool_call(
                attrs.text("gen_ai.tool.name") or span.name,
                attrs.get("gen_ai.tool.call.arguments"),
                result=attrs.get("gen_ai.tool.call.result"),
            )
        )
        attrs.touch("gen_ai.tool.call.id", "gen_ai.tool.description", "gen_ai.tool.type")
        return "tool"
    if op == "embeddings":
        draft.embedder = draft.embedder or attrs.text("gen_ai.request.model")
        return "embedding"
    if op in ("invoke_agent", "create_agent"):
        name = attrs.text("gen_ai.agent.name")
        if name:
            draft.tags["import.agent"] = name
        attrs.touch("gen_ai.agent.id", "gen_ai.agent.description")
        return "agent"
    report.problem(f"{span.label()}: gen_ai.operation.name {op[:40]!r} is not mapped; skipped")
    return SKIPPED


def _llm(span: SpanRecord, attrs: Attrs, report: ImportReport) -> LlmCall:
    where = span.label()
    call = LlmCall(
        span_id=span.span_id,
        latency_ms=span.duration_ms(),
        model_requested=attrs.text("gen_ai.request.model"),
        model_returned=attrs.text("gen_ai.response.model"),
        provider=attrs.text("gen_ai.provider.name") or str(attrs.data.get("gen_ai.system") or ""),
        system_fingerprint=attrs.text("gen_ai.openai.response.system_fingerprint")
        or attrs.text("gen_ai.openai.system_fingerprint")
        or "",
        response_id=attrs.text("gen_ai.response.id") or "",
    )
    for name, keys in _SAMPLING.items():
        for key in keys:
            number = attrs.number(key)
            if number is not None:
                call.sampling[name] = number
                break
    call.prompt_tokens = _count(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
    call.completion_tokens = _count(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    inputs, outputs, tools = _attribute_messages(attrs, report, where)
    if not inputs and not outputs:
        inputs, outputs, tools = _event_messages(span.events, report, where)
    call.messages, call.tool_calls = inputs, tools
    call.output = "\n".join(m.content for m in outputs if m.role == "assistant")
    if not call.messages:
        report.problem(f"{where}: GenAI span without input messages (content capture off? partial span); its prompt is empty")
    return call


def _count(attrs: Attrs, *keys: str) -> int | None:
    for key in keys:
        number = attrs.number(key)
        if number is not None:
            return int(number)
    return None


def _attribute_messages(attrs: Attrs, report: ImportReport, where: str) -> tuple[list[ChatMessage], list[ChatMessage], list[Any]]:
    system = (
        messages_from_json(attrs.get("gen_ai.system_instructions"), report=report, where=where)
        if "gen_ai.system_instructions" in attrs.data
        else []
    )
    system = [m.model_copy(update={"role": "system"}) for m in system]
    if "gen_ai.input.messages" in attrs.data or "gen_ai.output.messages" in attrs.data:
        outputs_raw = attrs.get("gen_ai.output.messages")
        inputs = messages_from_json(attrs.get("gen_ai.input.messages"), report=report, where=where)
        outputs = messages_from_json(outputs_raw, report=report, where=where)
        return system + inputs, outputs, tool_calls_in_parts(outputs_raw)
    inputs = [
        m
        for item in attrs.indexed("gen_ai.prompt")
        if (m := chat_message(item.get("role") or "user", item.get("content"), report=report, where=where))
    ]
    outputs, tools = [], []
    for item in attrs.indexed("gen_ai.completion"):
        item.get("finish_reason")
        msg = chat_message(item.get("role") or "assistant", item.get("content"), report=report, where=where)
        if msg is not None:
            outputs.append(msg)
        for tc in item.sub("tool_calls"):
            tc.get("id")
            tools.append(tool_call(tc.get("name"), tc.get("arguments")))
    return system + inputs, outputs, tools


def _event_messages(
    events: list[SpanEvent], report: ImportReport, where: str
) -> tuple[list[ChatMessage], list[ChatMessage], list[Any]]:
    inputs: list[ChatMessage] = []
    outputs: list[ChatMessage] = []
    tools: list[Any] = []
    for event in events:
        a = event.attributes
        if event.name == "gen_ai.content.prompt":
            inputs += messages_from_json(a.get("gen_ai.prompt"), report=report, where=where)
        elif event.name == "gen_ai.content.completion":
            outputs += [
                m.model_copy(update={"role": "assistant"})
                for m in messages_from_json(a.get("gen_ai.completion"), report=report, where=where)
            ]
            tools += tool_calls_in_parts(a.get("gen_ai.completion"))
        elif event.name in _MESSAGE_EVENTS:
            body = loads(a.get("gen_ai.event.content", a.get("content")))
            content = body.get("content") if isinstance(body, dict) else body
            inputs.append(ChatMessage(role=_MESSAGE_EVENTS[event.name], content=content_text(content)))
        elif event.name == "gen_ai.choice":
            message = loads(a.get("message", a.get("gen_ai.event.content")))
            if isinstance(message, dict) and "message" in message:
                message = message["message"]
            text = content_text(message.get("content") if isinstance(message, dict) else a.get("message.content"))
            outputs.append(ChatMessage(role="assistant", content=text))
            tools += tool_calls_in_parts(message)
        elif event.name == "gen_ai.client.inference.operation.details":
            inputs += messages_from_json(a.get("gen_ai.input.messages"), report=report, where=where)
            outputs += messages_from_json(a.get("gen_ai.output.messages"), report=report, where=where)
            tools += tool_calls_in_parts(a.get("gen_ai.output.messages"))
    return inputs, outputs, tools
