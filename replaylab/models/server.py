"""An OpenAI-compatible HTTP server over any registered generator, on loopback only (uvicorn + starlette).

    serve("gemma-3-270m", 8000)                                  # blocks; Ctrl-C stops it
    with LocalEndpoint("sandbox-reader-1.0") as base_url:        # a daemon thread, a free port
        OpenAI(base_url=base_url, api_key="unused").chat.completions.create(...)

Routes (with or without the `/v1` prefix): `POST /v1/chat/completions`, `GET /v1/models`,
`GET /v1/models/{id}`, `GET /health`. The response's `model` field is the exact version
that answered. `served_as` maps a public name to the version that answers it
({"sandbox-reader-1.0": "sandbox-reader-1.1"}): the provider-side silent model change.

What OpenAI clients rely on: `stream=true` is answered as server-sent events (the answer is
generated whole, then sent as word deltas, a finish chunk, a usage chunk when
`stream_options.include_usage`, and `[DONE]`); `stop` cuts the output before the first stop
sequence; `n` answers n choices (choice i sampled with seed + i); `response_format` JSON
always answers a JSON object; `tools` reach a model only if it can call tools (none of the
built-in ones can: a 400 says so). The request checks are `replaylab.models.chat_api`'s.

Every error is OpenAI-style JSON: 400 bad body, 404 unknown model or route, 405, 408 a body
not received in time, 413 a body over the limit, 500 the model failed; a malformed HTTP
request is a JSON 400 from the protocol layer (`replaylab.models.asgi`). A prompt over
`MAX_PROMPT_CHARS` is refused before it reaches a model, so no single request can hold a
model's lock for long; generation runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from replaylab.errors import ConfigError, ReplaylabError
from replaylab.models.asgi import ServerLimits, bind_loopback
from replaylab.models.base import GenerationRequest, Generator, get_generator
from replaylab.models.chat_api import ApiError, ChatCompletionBody, cut_at_stop, json_output, parse_chat

__all__ = ["DEFAULT_PORT", "MAX_PROMPT_CHARS", "ApiError", "LocalEndpoint", "ModelServer", "create_app", "serve"]

DEFAULT_PORT = 8000
MAX_PROMPT_CHARS = 256 * 1024
"""Longest prompt (all message text) a model is given; longer is a 400 `context_length_exceeded`."""

RUNTIME_FIELDS = ("backend", "quantization", "file_sha256", "prompt_frame")
"""The served generator's runtime facts sent back with every completion (`replaylab_runtime`)."""


class ModelServer:
    """Public model names -> generator ids, and the OpenAI-shaped answers (no sockets here)."""

    def __init__(self, models: str | Sequence[str], *, served_as: Mapping[str, str] | None = None) -> None:
        ids = [models] if isinstance(models, str) else list(models)
        if not ids:
            raise ConfigError("Serve at least one model")
        self.routes: dict[str, str] = {}
        for mid in ids:
            gen = get_generator(mid)
            self.routes.setdefault(mid, mid)
            if gen.alias and ":" not in mid and "<" not in gen.alias:
                self.routes.setdefault(gen.alias, mid)
        swaps = dict(served_as or {})
        for version in swaps.values():
            get_generator(version)
        # a public name is answered by its swap, and so is every alias that named the swapped version
        self.routes = {name: swaps.get(name, swaps.get(mid, mid)) for name, mid in self.routes.items()}
        self.routes.update(swaps)
        self._locks = {mid: threading.Lock() for mid in set(self.routes.values())}

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [self.model_card(name) for name in sorted(self.routes)]}

    def model_card(self, name: str) -> dict[str, Any]:
        if name not in self.routes:
            raise ApiError(
                404, f"The model {name!r} does not exist. Served: {sorted(self.routes)}", param="model", code="model_not_found"
            )
        return {"id": name, "object": "model", "created": 0, "owned_by": "replaylab"}

    def prepare(self, raw: bytes) -> ChatCompletionBody:
        """The validated request, or ApiError: everything checked before a model is touched."""
        body = parse_chat(raw)
        self.model_card(body.model)  # a 404 in OpenAI's shape for a model not served
        version = self.routes[body.model]
        if body.wants_tools() and not getattr(get_generator(version), "supports_tools", False):
            raise ApiError(
                400,
                f"Model {body.model!r} ({version}) does not support tools; send the request without `tools` "
                "(or with tool_choice='none')",
                param="tools",
                code="tools_not_supported",
            )
        size = sum(len(m.text()) for m in body.messages)
        if size > MAX_PROMPT_CHARS:
            raise ApiError(
                400,
                f"The prompt is {size} characters; this server accepts at most {MAX_PROMPT_CHARS}",
                param="messages",
                code="context_length_exceeded",
            )
        return body

    def _choice(self, gen: Generator, version: str, body: ChatCompletionBody, index: int) -> tuple[dict[str, Any], Any]:
        request = GenerationRequest(model=version, messages=[m.chat() for m in body.messages], sampling=body.sampling(index))
        try:
            with self._locks[version]:
                result = gen.generate(request)
        except ReplaylabError as exc:
            raise ApiError(500, f"Model {version} failed: {exc}", kind="server_error") from None
        except Exception as exc:  # the model backend's own failure, e.g. a prompt past its window
            raise ApiError(500, f"Model {version} failed: {type(exc).__name__}: {exc}", kind="server_error") from None
        text, stopped = cut_at_stop(result.output, body.stops())
        tokens = result.completion_tokens
        if stopped:
            tokens = max(int(text != ""), round(tokens * len(text) / max(1, len(result.output))))
        if body.wants_json():
            text = json_output(text)
        finish = "stop" if stopped else result.finish_reason
        choice = {"index": index, "message": {"role": "assistant", "content": text}, "logprobs": None, "finish_reason": finish}
        return choice, result.model_copy(update={"completion_tokens": tokens})

    def complete(self, body: ChatCompletionBody, raw: bytes = b"") -> dict[str, Any]:
        """Run a validated request (blocking: the server calls it from a worker thread)."""
        version = self.routes[body.model]
        gen = get_generator(version)
        pairs = [self._choice(gen, version, body, i) for i in range(body.n)]
        first = pairs[0][1]
        completion_tokens = sum(r.completion_tokens for _, r in pairs)
        digest = hashlib.sha256(raw + first.model_returned.encode()).hexdigest()
        facts = gen.describe()
        return {
            "id": f"chatcmpl-{digest[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": first.model_returned,
            "system_fingerprint": f"fp_{hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:10]}",
            # an extension field (OpenAI clients keep unknown fields): what answered, for the caller's MRV
            "replaylab_runtime": {k: v for k, v in facts.items() if k in RUNTIME_FIELDS},
            "choices": [c for c, _ in pairs],
            "usage": {
                "prompt_tokens": first.prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": first.prompt_tokens + completion_tokens,
            },
        }

    def chat(self, raw: bytes) -> dict[str, Any]:
        """Answer one chat completion request body (the non-streaming shape)."""
        return self.complete(self.prepare(raw), raw)


def stream_events(completion: Mapping[str, Any], *, include_usage: bool = False) -> Iterator[bytes]:
    """A finished completion as OpenAI's server-sent events: role, word deltas, finish, [DONE]."""
    head = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {**head, "object": "chat.completion.chunk", "choices": choices, **extra}
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    usage: dict[str, Any] = {"usage": None} if include_usage else {}
    for choice in completion["choices"]:
        i = choice["index"]
        yield event(
            [{"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}], **usage
        )
        for piece in re.findall(r"\s*\S+|\s+$", choice["message"]["content"] or ""):
            yield event([{"index": i, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}], **usage)
        yield event([{"index": i, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}], **usage)
    if include_usage:
        yield event([], usage=completion["usage"])
    yield b"data: [DONE]\n\n"


async def read_body(request: Request, limits: ServerLimits) -> bytes:
    """The request body, refused with 413 past the size limit and 408 past the time limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limits.max_body_bytes):
        if not declared.isdigit():
            raise ApiError(400, f"Bad Content-Length {declared[:20]!r}")
        raise ApiError(413, f"Request body over {limits.max_body_bytes} bytes", code="request_too_large")
    parts: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(limits.body_timeout_s):
            async for part in request.stream():
                size += len(part)
                if size > limits.max_body_bytes:
                    raise ApiError(413, f"Request body over {limits.max_body_bytes} bytes", code="request_too_large")
                parts.append(part)
    except TimeoutError:
        raise ApiError(408, f"The request body was not received within {limits.body_timeout_s:g} s", code="timeout") from None
    return b"".join(parts)


Handler = Callable[[Request], Awaitable[Response]]


def json_errors(handler: Handler) -> Handler:
    """Every failure of `handler` answered as OpenAI-style JSON (never a traceback on stderr)."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            # the body was not read to its end: the connection cannot carry another request
            unread = exc.status in (408, 413)
            return JSONResponse(exc.body, status_code=exc.status, headers={"connection": "close"} if unread else None)
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening; nothing to log
        except Exception as exc:  # a bug: still a JSON 500 for the client
            err = ApiError(500, f"Internal error: {type(exc).__name__}: {exc}", kind="server_error")
            return JSONResponse(err.body, status_code=500)

    return wrapped


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    return JSONResponse(ApiError(status, f"No route {request.method} {request.url.path}", code=code).body, status_code=status)


def create_app(server: ModelServer, *, limits: ServerLimits | None = None) -> Starlette:
    """The ASGI app answering for `server`."""
    lim = limits or ServerLimits()

    async def chat(request: Request) -> Response:
        raw = await read_body(request, lim)
        body = server.prepare(raw)
        completion = await anyio.to_thread.run_sync(server.complete, body, raw)
        if body.stream:
            usage = body.stream_options is not None and body.stream_options.include_usage
            return StreamingResponse(
                stream_events(completion, include_usage=usage),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache"},
            )
        return JSONResponse(completion)

    async def models(request: Request) -> Response:
        return JSONResponse(server.models())

    async def model(request: Request) -> Response:
        return JSONResponse(server.model_card(request.path_params["name"]))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [Route("/health", json_errors(health))]
    for prefix in ("/v1", ""):
        routes += [
            Route(f"{prefix}/chat/completions", json_errors(chat), methods=["POST"]),
            Route(f"{prefix}/models", json_errors(models)),
            Route(f"{prefix}/models/{{name:path}}", json_errors(model)),
        ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


def serve(
    model: str | Sequence[str],
    port: int = DEFAULT_PORT,
    *,
    host: str = "127.0.0.1",
    served_as: Mapping[str, str] | None = None,
    log: bool = True,
    ready: Callable[[str, list[str]], None] | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Serve `model` (loaded before the port opens) until interrupted; `ready(base_url, names)`
    is called once the port is open."""
    app = ModelServer(model, served_as=served_as)
    lim = limits or ServerLimits()
    server = bind_loopback(create_app(app, limits=lim), host, port, limits=lim, log=log)
    if ready is not None:
        ready(f"http://{host}:{server.port}/v1", sorted(app.routes))
    server.serve_forever()


class LocalEndpoint:
    """A server in a daemon thread on a free loopback port; the context value is its base URL."""

    def __init__(
        self, model: str | Sequence[str], *, served_as: Mapping[str, str] | None = None, limits: ServerLimits | None = None
    ) -> None:
        self.app = ModelServer(model, served_as=served_as)
        self.limits = limits or ServerLimits()
        self._server: Any = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalEndpoint is not running")
        return f"http://127.0.0.1:{self._server.port}/v1"

    def __enter__(self) -> str:
        self._server = bind_loopback(create_app(self.app, limits=self.limits), "127.0.0.1", 0, limits=self.limits, log=False)
        self._server.start(name="replaylab-endpoint")
        return self.base_url

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None
