"""An OpenAI-compatible HTTP server over any registered generator, on loopback only.

    serve("gemma-3-270m", 8000)                                  # blocks; Ctrl-C stops it
    with LocalEndpoint("sandbox-reader-1.0") as base_url:        # a daemon thread, a free port
        OpenAI(base_url=base_url, api_key="unused").chat.completions.create(...)

Routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /v1/models/{id}`, `GET /health`.
The response's `model` field is the exact version that answered. `served_as` maps a public
name to the version that answers it ({"sandbox-reader-1.0": "sandbox-reader-1.1"}): the
provider-side silent model change. Errors are OpenAI-style JSON: 400 for a bad body, 404
for an unknown model or route, 500 when the model itself fails.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.config import SamplingParams
from replaylab.errors import ConfigError, ReplaylabError, error_where
from replaylab.models.base import GenerationRequest, Generator, get_generator
from replaylab.trace import ChatMessage

__all__ = ["DEFAULT_PORT", "LocalEndpoint", "ModelServer", "serve"]

DEFAULT_PORT = 8000
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 8 * 1024 * 1024


class _Part(BaseModel):
    type: str = "text"
    text: str = ""


class _Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[_Part] | None = None

    def chat(self) -> ChatMessage:
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [] if p.type == "text")
        role = {"developer": "system", "function": "tool"}.get(self.role, self.role)
        return ChatMessage(role=role, content=text)


class ChatCompletionBody(BaseModel):
    """The fields of a chat completion request this server reads; others are ignored.
    Omitted sampling fields take replaylab's defaults (greedy, seed 0)."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[_Message]
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stream: bool = False
    n: int = 1

    def sampling(self) -> SamplingParams:
        given = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "max_tokens": self.max_tokens or self.max_completion_tokens,
        }
        return SamplingParams(**{k: v for k, v in given.items() if v is not None})


class ApiError(Exception):
    """An error answered as OpenAI-style JSON."""

    def __init__(
        self, status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": kind, "param": param, "code": code}}


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

    def chat(self, raw: bytes) -> dict[str, Any]:
        """Answer one chat completion request body."""
        try:
            body = ChatCompletionBody.model_validate_json(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = error_where(err["loc"])
            if err["type"] == "json_invalid":
                raise ApiError(400, f"The request body is not valid JSON: {err['msg']}") from None
            raise ApiError(400, f"Invalid request: {where or 'body'}: {err['msg']}", param=where or None) from None
        if body.stream:
            raise ApiError(400, "Streaming is not supported by this server; send stream=false", param="stream")
        if body.n != 1:
            raise ApiError(400, "Only n=1 is supported", param="n")
        self.model_card(body.model)  # a 404 in OpenAI's shape for a model not served
        try:
            sampling = body.sampling()
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ApiError(400, f"Invalid {err['loc'][0]}: {err['msg']}", param=str(err["loc"][0])) from None
        version = self.routes[body.model]
        gen: Generator = get_generator(version)
        request = GenerationRequest(model=version, messages=[m.chat() for m in body.messages], sampling=sampling)
        try:
            with self._locks[version]:
                result = gen.generate(request)
        except ReplaylabError as exc:
            raise ApiError(500, f"Model {version} failed: {exc}", kind="server_error") from None
        except Exception as exc:  # the model backend's own failure, e.g. a prompt past its window
            raise ApiError(500, f"Model {version} failed: {type(exc).__name__}: {exc}", kind="server_error") from None
        digest = hashlib.sha256(raw + result.model_returned.encode()).hexdigest()
        facts = gen.describe()
        return {
            "id": f"chatcmpl-{digest[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": result.model_returned,
            "system_fingerprint": f"fp_{hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:10]}",
            # an extension field (OpenAI clients keep unknown fields): what answered, for the caller's MRV
            "replaylab_runtime": {k: v for k, v in facts.items() if k in RUNTIME_FIELDS},
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.output},
                    "logprobs": None,
                    "finish_reason": result.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": result.prompt_tokens + result.completion_tokens,
            },
        }


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "replaylab"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            super().log_message(format, *args)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _path(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1/") else path

    def do_GET(self) -> None:
        path, app = self._path(), self.server.app
        try:
            if path == "/models":
                self._send(200, app.models())
            elif path.startswith("/models/"):
                self._send(200, app.model_card(path[len("/models/") :]))
            elif path == "/health":
                self._send(200, {"status": "ok"})
            else:
                raise ApiError(404, f"No route GET {self.path}", code="not_found")
        except ApiError as exc:
            self._send(exc.status, exc.body)

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                raise ApiError(413, f"Request body over {MAX_BODY} bytes")
            raw = self.rfile.read(length)
            if self._path() != "/chat/completions":
                raise ApiError(404, f"No route POST {self.path}", code="not_found")
            self._send(200, self.server.app.chat(raw))
        except ValueError:
            self._send(400, ApiError(400, "Bad Content-Length").body)
        except ApiError as exc:
            self._send(exc.status, exc.body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: ModelServer, *, log: bool) -> None:
        self.app = app
        self.log = log
        super().__init__(address, _Handler)


def _bind(app: ModelServer, host: str, port: int, *, log: bool) -> _HTTPServer:
    if host not in LOOPBACK:
        raise ConfigError(f"The model server listens on loopback only; {host!r} is not one of {list(LOOPBACK)}")
    try:
        return _HTTPServer((host, port), app, log=log)
    except OSError as exc:
        raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    model: str | Sequence[str],
    port: int = DEFAULT_PORT,
    *,
    host: str = "127.0.0.1",
    served_as: Mapping[str, str] | None = None,
    log: bool = True,
    ready: Callable[[str, list[str]], None] | None = None,
) -> None:
    """Serve `model` (loaded before the port opens) until interrupted; `ready(base_url, names)`
    is called once the port is open."""
    app = ModelServer(model, served_as=served_as)
    server = _bind(app, host, port, log=log)
    if ready is not None:
        ready(f"http://{host}:{server.server_address[1]}/v1", sorted(app.routes))
    try:
        server.serve_forever()
    finally:
        server.server_close()


class LocalEndpoint:
    """A server in a daemon thread on a free loopback port; the context value is its base URL."""

    def __init__(self, model: str | Sequence[str], *, served_as: Mapping[str, str] | None = None) -> None:
        self.app = ModelServer(model, served_as=served_as)
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalEndpoint is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> str:
        self._server = _bind(self.app, "127.0.0.1", 0, log=False)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="replaylab-endpoint", daemon=True
        )
        self._thread.start()
        return self.base_url

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
