"""Chat messages and tool calls as the tracing conventions write them, read into replaylab's shape."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from replaylab.importers.base import ImportReport
from replaylab.trace import ChatMessage, ToolCall

_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
}


def loads(value: Any) -> Any:
    """`value` parsed when it is a JSON string (attributes often carry JSON as text), else as is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def content_text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a parts list (OpenAI content
    arrays, GenAI `parts`, Langfuse/LangChain content lists)."""
    content = loads(content)
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        for key in ("text", "content", "value"):
            if isinstance(content.get(key), str):
                return str(content[key])
        return ""
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") in ("text", "input_text", "output_text"):
                texts.append(content_text(part))
        return "\n".join(t for t in texts if t)
    return str(content)


def chat_message(role: Any, content: Any, *, report: ImportReport, where: str) -> ChatMessage | None:
    """One ChatMessage, or None (one problem line) for a role replaylab has no place for."""
    name = str(role or "").strip().lower()
    mapped = _ROLES.get(name)
    if mapped is None:
        report.problem(f"{where}: message role {str(role)[:40]!r} is not one of {sorted(set(_ROLES.values()))}; message dropped")
        return None
    return ChatMessage(role=mapped, content=content_text(content))


def messages_from_json(value: Any, *, report: ImportReport, where: str) -> list[ChatMessage]:
    """Messages from a JSON list of `{role, content}` or GenAI `{role, parts}` objects; a lone
    object is one message; a plain string is one user message."""
    value = loads(value)
    if isinstance(value, str):
        return [ChatMessage(role="user", content=value)]
    if isinstance(value, dict):
        value = value["messages"] if isinstance(value.get("messages"), list) else [value]  # a request body, or one message
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if not isinstance(item, dict):
            continue
        content = item.get("parts") if "parts" in item else item.get("content")
        msg = chat_message(item.get("role", "user"), content, report=report, where=where)
        if msg is not None:
            out.append(msg)
    return out


def tool_call(name: Any, arguments: Any, *, result: Any = "", agent: str = "") -> ToolCall:
    """A ToolCall; arguments given as JSON text are parsed, anything else is kept under `input`."""
    args = loads(arguments)
    if not isinstance(args, dict):
        args = {} if args in (None, "") else {"input": args}
    res = loads(result)
    return ToolCall(tool=str(name or "unknown"), arguments=args, result=content_text(res) if res is not None else "", agent=agent)


def tool_calls_in_parts(messages: Any) -> list[ToolCall]:
    """Tool calls inside GenAI output messages (`parts` of type `tool_call`) or OpenAI-style
    `tool_calls` lists."""
    value = loads(messages)
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    calls = []
    for msg in items:
        if not isinstance(msg, dict):
            continue
        for part in msg.get("parts") or []:
            if isinstance(part, dict) and part.get("type") == "tool_call":
                calls.append(tool_call(part.get("name"), part.get("arguments")))
        for tc in msg.get("tool_calls") or []:
            if isinstance(tc, dict):
                fn: dict[str, Any] = tc["function"] if isinstance(tc.get("function"), dict) else tc
                calls.append(tool_call(fn.get("name"), fn.get("arguments")))
    return calls
