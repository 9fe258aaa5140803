"""The OpenAI chat-completions request as replaylab's servers read it, validated like OpenAI does.

    body = parse_chat(raw)          # ApiError(400) for what OpenAI refuses with 400

Checked, in this order: the body is a JSON object of the right shape; `temperature` in
[0, 2], `top_p` in [0, 1], `n` in [1, MAX_N], `max_tokens` in [1, 4096]; `messages` is not
empty; `stop` is a string or at most 4 strings; `response_format` is `text`, `json_object`
(whose messages must mention JSON, as OpenAI requires) or `json_schema`. Unknown fields are
ignored, as OpenAI-compatible servers do.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.config import SamplingParams
from replaylab.errors import error_where
from replaylab.trace import ChatMessage

__all__ = ["MAX_N", "ApiError", "ChatCompletionBody", "cut_at_stop", "json_output", "parse_chat"]

MAX_N = 16
"""Most choices one request may ask for (OpenAI allows 128; a sandbox needs far fewer)."""


class ApiError(Exception):
    """An error answered as OpenAI-style JSON."""

    def __init__(
        self, status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": kind, "param": param, "code": code}}


class _Part(BaseModel):
    type: str = "text"
    text: str = ""


class ChatMessageIn(BaseModel):
    """One message as a client sends it (content may be a list of parts)."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    """The speaker; `developer` reads as `system`, `function` as `tool`."""
    content: str | list[_Part] | None = None
    """Text, or content parts of which the text parts are read."""

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content or [] if p.type == "text")

    def chat(self) -> ChatMessage:
        role = {"developer": "system", "function": "tool"}.get(self.role, self.role)
        return ChatMessage(role=role, content=self.text())


class ResponseFormat(BaseModel):
    """`response_format`: plain text, or a JSON object."""

    model_config = ConfigDict(extra="ignore")
    type: str = "text"
    """`text`, `json_object` or `json_schema`."""


class StreamOptions(BaseModel):
    """`stream_options`."""

    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False
    """Send one last chunk holding the usage."""


class ChatCompletionBody(BaseModel):
    """The fields of a chat completion request replaylab reads; others are ignored.
    Omitted sampling fields take replaylab's defaults (greedy, seed 0)."""

    model_config = ConfigDict(extra="ignore")
    model: str
    """The public model name asked for."""
    messages: list[ChatMessageIn]
    """The conversation; at least one message."""
    temperature: float | None = None
    """0..2, as OpenAI accepts."""
    top_p: float | None = None
    """0..1."""
    seed: int | None = None
    """Sampler seed; choice i of n is sampled with seed + i."""
    max_tokens: int | None = None
    """Most completion tokens."""
    max_completion_tokens: int | None = None
    """The newer name of `max_tokens`."""
    stream: bool = False
    """Answer as server-sent events."""
    stream_options: StreamOptions | None = None
    """Streaming options."""
    n: int = 1
    """How many choices."""
    stop: str | list[str] | None = None
    """Up to 4 sequences; the output is cut before the first one found."""
    response_format: ResponseFormat | None = None
    """Plain text or a JSON object."""
    tools: list[dict[str, Any]] | None = None
    """Tool definitions (refused with 400 for a model that cannot call tools)."""
    tool_choice: str | dict[str, Any] | None = None
    """`none` lets a request with tools reach a model without tool support."""

    def sampling(self, choice: int = 0) -> SamplingParams:
        given = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": None if self.seed is None and choice == 0 else (self.seed or 0) + choice,
            "max_tokens": self.max_tokens or self.max_completion_tokens,
        }
        return SamplingParams(**{k: v for k, v in given.items() if v is not None})

    def stops(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def wants_json(self) -> bool:
        return self.response_format is not None and self.response_format.type in ("json_object", "json_schema")

    def wants_tools(self) -> bool:
        return bool(self.tools) and self.tool_choice != "none"


def _range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise ApiError(
            400, f"Invalid {name}: expected a value between {low:g} and {high:g}, got {value:g}", param=name, code="invalid_value"
        )


def _check(body: ChatCompletionBody) -> None:
    _range("temperature", body.temperature, 0, 2)
    _range("top_p", body.top_p, 0, 1)
    _range("n", body.n, 1, MAX_N)
    _range("max_tokens", body.max_tokens or body.max_completion_tokens, 1, 4096)
    if not body.messages:
        raise ApiError(
            400,
            "Invalid messages: empty array. Expected an array with at least one message",
            param="messages",
            code="empty_array",
        )
    stops = body.stops()
    if len(stops) > 4 or any(not s for s in stops):
        raise ApiError(400, "Invalid stop: at most 4 non-empty sequences", param="stop", code="invalid_value")
    fmt = body.response_format
    if fmt is not None and fmt.type not in ("text", "json_object", "json_schema"):
        raise ApiError(
            400,
            f"Invalid response_format.type {fmt.type!r}: expected 'text', 'json_object' or 'json_schema'",
            param="response_format",
        )
    if fmt is not None and fmt.type == "json_object" and not any("json" in m.text().lower() for m in body.messages):
        raise ApiError(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'",
            param="messages",
        )


def parse_chat(raw: bytes) -> ChatCompletionBody:
    """A validated chat completion body, or ApiError(400) naming what is wrong."""
    try:
        body = ChatCompletionBody.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = error_where(err["loc"])
        if err["type"] == "json_invalid":
            raise ApiError(400, f"The request body is not valid JSON: {err['msg']}") from None
        raise ApiError(400, f"Invalid request: {where or 'body'}: {err['msg']}", param=where or None) from None
    _check(body)
    return body


def json_output(text: str) -> str:
    """`text` if it is a JSON object, else `{"answer": text}`: JSON mode always answers an object."""
    try:
        if isinstance(json.loads(text), dict):
            return text
    except ValueError:
        pass
    return json.dumps({"answer": text})


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """`text` cut before the first stop sequence, and whether one was found."""
    hits = [i for i in (text.find(s) for s in stops) if i >= 0]
    return (text[: min(hits)], True) if hits else (text, False)
