"""The fault-injecting OpenAI-compatible proxy: forward, inject, record.

    proxy = Proxy(ProxySettings(upstream="http://127.0.0.1:8000/v1", control_token="t"))
    app = proxy.app                # ASGI; run it with replaylab.proxy.runner

`POST /v1/chat/completions` (streamed or not) goes through the fault rules that hit it and is
recorded; `GET /v1/models[/{id}]` and `POST /v1/embeddings` are passed through untouched.
With no fault hitting a non-streamed request the upstream's bytes are returned as they came
(the fast path the bench measures). The control API is under `/_replaylab/`
(`replaylab.proxy.control_api`). An unreachable upstream is a JSON 502, a slow one a 504.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from replaylab.models.asgi import ServerLimits
from replaylab.models.chat_api import ApiError
from replaylab.models.server import json_errors, read_body
from replaylab.proxy.control import FaultBoard, FaultRule
from replaylab.proxy.faults import Exchange, ProxyFault
from replaylab.proxy.keepalive import KeepAliveClient, UpstreamDown, UpstreamReply, UpstreamTimeout
from replaylab.proxy.recorder import ExchangeRecord, Recorder, first_output, utc_now
from replaylab.proxy.upstream import upstream_client
from replaylab.trace import TraceEvent

__all__ = ["Proxy", "ProxySettings"]

_CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
_HOP = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "upgrade"})


class ProxySettings(BaseModel):
    """How one proxy runs."""

    upstream: str
    """The OpenAI-compatible base URL forwarded to, e.g. `http://127.0.0.1:8000/v1`."""
    control_token: str = Field(min_length=8)
    """The token the control API wants (`Authorization: Bearer ...` or `X-Replaylab-Token`)."""
    record_dir: Path | None = None
    """Where traces and cassettes go (None: kept in memory only)."""
    upstream_timeout_s: float = Field(120.0, gt=0)
    """How long an upstream call may take before the client gets a 504."""
    limits: ServerLimits = ServerLimits()
    """The HTTP server's limits."""


def _session(request: Request, data: dict[str, Any]) -> str | None:
    meta = data.get("metadata")
    for value in (
        request.headers.get("x-session-id"),
        meta.get("session_id") if isinstance(meta, dict) else None,
        data.get("user"),
    ):
        if isinstance(value, str) and value:
            return value
    return None


def _overrides(rules: list[FaultRule], method: str) -> list[ProxyFault]:
    return [r.fault for r in rules if getattr(type(r.fault), method) is not getattr(ProxyFault, method)]


def _assemble(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """A chat completion from its streamed chunks."""
    texts: dict[int, list[str]] = {}
    finish: dict[int, str | None] = {}
    usage = None
    for c in chunks:
        usage = c.get("usage") or usage
        for ch in c.get("choices") or []:
            i = int(ch.get("index", 0))
            texts.setdefault(i, []).append((ch.get("delta") or {}).get("content") or "")
            finish[i] = ch.get("finish_reason") or finish.get(i)
    head = chunks[0] if chunks else {}
    return {
        "id": head.get("id", ""),
        "object": "chat.completion",
        "created": head.get("created", 0),
        "model": head.get("model", ""),
        "system_fingerprint": head.get("system_fingerprint"),
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": "".join(t)}, "logprobs": None, "finish_reason": finish[i]}
            for i, t in sorted(texts.items())
        ],
        "usage": usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


class Proxy:
    """The proxy's state (fault board, recorder, upstream client) and its ASGI app."""

    def __init__(self, settings: ProxySettings, *, board: FaultBoard | None = None) -> None:
        self.settings = settings
        self.upstream = settings.upstream.rstrip("/")
        self.board = board or FaultBoard()
        self.recorder = Recorder(settings.record_dir, upstream=self.upstream)
        self._seq = itertools.count()
        self._client: httpx.AsyncClient | None = None
        self._fast: KeepAliveClient | None = None
        self._base_path = urlsplit(self.upstream).path
        self.routed = self._build()
        self._chat = json_errors(self.chat)
        self.app: ASGIApp = _Front(self)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # created in the server's event loop, on first use
            self._client = upstream_client(timeout=self.settings.upstream_timeout_s)
        return self._client

    @property
    def fast(self) -> KeepAliveClient:
        """The hot path's client (non-streamed chat completions); also made on first use."""
        if self._fast is None:
            self._fast = KeepAliveClient(self.upstream, timeout=self.settings.upstream_timeout_s)
        return self._fast

    async def _forward(self, request: Request, body: bytes) -> UpstreamReply:
        """POST `body` to the upstream over the keep-alive client."""
        path = request.url.path
        target = self._base_path + (path[3:] if path.startswith("/v1/") else path)
        if request.url.query:
            target += "?" + request.url.query
        headers = [(k, v) for k, v in request.headers.items() if k not in _HOP]
        try:
            return await self.fast.request("POST", target, body, headers)
        except UpstreamTimeout:
            raise ApiError(
                504, f"The upstream {self.upstream} did not answer in time", kind="server_error", code="timeout"
            ) from None
        except UpstreamDown as exc:
            raise ApiError(
                502, f"The upstream {self.upstream} is unreachable: {exc}", kind="server_error", code="bad_gateway"
            ) from None

    def _url(self, path: str) -> str:
        return self.upstream + (path[3:] if path.startswith("/v1/") else path)

    @staticmethod
    def _headers(request: Request) -> dict[str, str]:
        return {k: v for k, v in request.headers.items() if k.lower() not in _HOP}

    async def _send(self, request: Request, method: str, body: bytes | None, *, stream: bool = False) -> httpx.Response:
        url = self._url(request.url.path)
        req = self.client.build_request(method, url, content=body, headers=self._headers(request), params=request.query_params)
        try:
            return await self.client.send(req, stream=stream)
        except httpx.TimeoutException:
            raise ApiError(
                504, f"The upstream {self.upstream} did not answer in time", kind="server_error", code="timeout"
            ) from None
        except httpx.HTTPError as exc:
            raise ApiError(
                502, f"The upstream {self.upstream} is unreachable: {type(exc).__name__}", kind="server_error", code="bad_gateway"
            ) from None

    async def passthrough(self, request: Request) -> Response:
        """Forward a request untouched (models, embeddings)."""
        body = await read_body(request, self.settings.limits) if request.method == "POST" else None
        resp = await self._send(request, request.method, body)
        return Response(resp.content, status_code=resp.status_code, media_type=resp.headers.get("content-type"))

    def _events(self, rules: list[FaultRule], ex: Exchange) -> list[TraceEvent]:
        return [
            TraceEvent(
                kind="proxy_fault",
                reason=r.spec.fault,
                detail={"rule": r.id, "params": r.fault.model_dump(), "forwarded_model": ex.body.get("model")},
            )
            for r in rules
        ]

    async def chat(self, request: Request) -> Response:
        """One chat completion: select faults, edit the request, forward or answer, edit the answer, record."""
        t0 = time.perf_counter()
        raw = await read_body(request, self.settings.limits)
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):  # not ours to judge: the upstream answers it
            return await self.passthrough_raw(request, raw)
        ex = Exchange(seq=next(self._seq), session=_session(request, data), requested_model=str(data.get("model", "")), body=data)
        rules = self.board.picks(ex)
        if rules:
            ex.body = copy.deepcopy(data)
        for fault in _overrides(rules, "on_request"):
            fault.on_request(ex)
        # the trace holds the request as it reached the model, under the name the client asked for;
        # the recorder's thread parses and scrubs it (never the request path)
        sent = {**ex.body, "model": ex.requested_model}
        rec = ExchangeRecord(
            seq=ex.seq, at=utc_now(), session=ex.session, path=request.url.path, requested_model=ex.requested_model,
            forwarded_model=str(ex.body.get("model", "")), stream=bool(data.get("stream")), faults=[r.id for r in rules],
        )  # fmt: skip
        for fault in _overrides(rules, "intercept"):
            err = await fault.intercept(ex)
            if err is not None:
                return self._refused(rec, sent, err, t0)
        forwarded = raw if not rules else json.dumps(ex.body).encode()
        if rec.stream:
            return await self._stream(request, forwarded, ex, rules, rec, sent, t0)
        t1 = time.perf_counter()
        reply = await self._forward(request, forwarded)
        rec.upstream_ms = (time.perf_counter() - t1) * 1000
        content, rec.status = reply.body, reply.status
        editors = _overrides(rules, "on_response")
        answer: dict[str, Any] | bytes | None = content if reply.status == 200 else None
        if answer is not None and editors:  # a fault edits the answer: parsed here, else in the recorder
            try:
                answer = json.loads(content)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                for fault in editors:
                    answer = fault.on_response(ex, answer)
                content = json.dumps(answer).encode()
        if answer is None:
            rec.error = content[:300].decode(errors="replace")
        rec.latency_ms = (time.perf_counter() - t0) * 1000
        self.recorder.submit(rec, sent, answer, self._events(rules, ex) if rules else [])
        return Response(content, status_code=reply.status, media_type=reply.content_type or "application/json")

    async def passthrough_raw(self, request: Request, raw: bytes) -> Response:
        resp = await self._send(request, "POST", raw)
        return Response(resp.content, status_code=resp.status_code, media_type=resp.headers.get("content-type"))

    def _refused(self, rec: ExchangeRecord, sent: dict[str, Any], err: ApiError, t0: float) -> Response:
        rec.status = err.status
        rec.error = str(err)
        rec.latency_ms = (time.perf_counter() - t0) * 1000
        self.recorder.submit(rec, sent)
        return JSONResponse(err.body, status_code=err.status)

    async def _stream(
        self,
        request: Request,
        forwarded: bytes,
        ex: Exchange,
        rules: list[FaultRule],
        rec: ExchangeRecord,
        sent: dict[str, Any],
        t0: float,
    ) -> Response:
        t1 = time.perf_counter()
        resp = await self._send(request, "POST", forwarded, stream=True)
        if resp.status_code != 200:
            content = await resp.aread()
            await resp.aclose()
            rec.status, rec.error = resp.status_code, content[:300].decode(errors="replace")
            rec.latency_ms = (time.perf_counter() - t0) * 1000
            self.recorder.submit(rec, sent)
            return Response(content, status_code=resp.status_code, media_type=resp.headers.get("content-type"))
        editors = _overrides(rules, "on_chunk")

        async def relay() -> AsyncIterator[bytes]:
            chunks: list[dict[str, Any]] = []
            try:
                async for line in resp.aiter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        chunk = json.loads(line[6:])
                        for fault in editors:
                            chunk = fault.on_chunk(ex, chunk)
                        chunks.append(chunk)
                        if editors:
                            line = "data: " + json.dumps(chunk)
                    yield (line + "\n").encode()
            finally:
                await resp.aclose()
                rec.upstream_ms = (time.perf_counter() - t1) * 1000
                answer = _assemble(chunks)
                rec.returned_model, rec.output = str(answer["model"]), first_output(answer)
                rec.latency_ms = (time.perf_counter() - t0) * 1000
                self.recorder.submit(rec, sent, answer if chunks else None, self._events(rules, ex))

        return StreamingResponse(relay(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    def _build(self) -> Starlette:
        from replaylab.proxy.control_api import control_routes

        async def health(request: Request) -> Response:
            return JSONResponse({"status": "ok", "upstream": self.upstream, "faults": len(self.board.rules())})

        routes = [Route("/health", json_errors(health)), *control_routes(self)]
        for prefix in ("/v1", ""):
            routes += [
                Route(f"{prefix}/chat/completions", json_errors(self.chat), methods=["POST"]),
                Route(f"{prefix}/models", json_errors(self.passthrough)),
                Route(f"{prefix}/models/{{name:path}}", json_errors(self.passthrough)),
                Route(f"{prefix}/embeddings", json_errors(self.passthrough), methods=["POST"]),
            ]
        return Starlette(routes=routes, exception_handlers={HTTPException: _not_found})

    async def aclose(self) -> None:
        if self._fast is not None:
            await self._fast.aclose()
            self._fast = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class _Front:
    """The proxy's ASGI app: a chat completion goes straight to `Proxy.chat`, past starlette's
    middleware and router (a third of the proxy's own time per request); the rest is routed.
    (A class, not a bound method: uvicorn takes a bound method for an ASGI2 app.)"""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in _CHAT_PATHS:
            response = await self.proxy._chat(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await self.proxy.routed(scope, receive, send)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    err = ApiError(status, f"No route {request.method} {request.url.path}", code="not_found" if status == 404 else "http_error")
    return JSONResponse(err.body, status_code=status)
