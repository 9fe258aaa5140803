"""The session service: turns served through the stack under each session's pinned PPV, over
HTTP on loopback (`replaylab sessions serve`), backed by the SQLite `SessionStore`.

    turn, trace = serve_turn(store, stack, config, "s-0001", "How long is the refund window?")

    POST /v1/sessions                  {"session_id": "s-1", "user_id": "u-1"}   -> the session (pinned)
    POST /v1/sessions/{id}/turns       {"question": "..."}                        -> output, ppv, trace id
    GET  /v1/sessions[?active=1]       GET /v1/sessions/{id}
    POST /v1/sessions/{id}/snapshots   {"label": "pre-release"}
    POST /v1/sessions/{id}/revert      {"to": "pre-release"} or {"to": "2026-12-03T10:00:00+00:00"}
    POST /v1/sessions/{id}/end
    POST /v1/drain                     {"from_ppv": "rag-answer@5", "to_ppv": "rag-answer@4", "force": false}
    GET  /v1/drain/{ppv}

Bad input is a 400 with `{"error": "<one line>"}`. Turns run one at a time (the stack is not
shared between threads).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.config import RunConfig
from replaylab.errors import InputError, ReplaylabError
from replaylab.sessions.state import render_with_memory
from replaylab.sessions.store import SessionStore, StoredTurn
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["create_app", "serve_turn"]


def serve_turn(
    store: SessionStore, stack: Stack, config: RunConfig, session_id: str, question: str, *, memory_window: int = 3
) -> tuple[StoredTurn, Trace]:
    """Answer one turn under the session's pinned PPV, its latest memory on the message, and store it."""
    session = store.get(session_id)
    if not session.active:
        raise InputError(f"Session {session_id} has ended")
    memory = list(session.memory.values())[-memory_window:] if memory_window > 0 else []
    trace = stack.run(
        render_with_memory(question, memory), config.model_copy(update={"prompt": session.ppv}), tags={"session": session_id}
    )
    output = trace.generation.output if trace.generation else ""
    return store.record_turn(session_id, question, output, trace_id=trace.trace_id), trace


class _Start(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str
    """The caller's session id."""
    user_id: str = ""
    """Who the session belongs to."""
    template: str | None = None
    """Prompt template (default: the service config's)."""


class _Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    """The customer's message."""


class _Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    """Snapshot name."""


class _Revert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str
    """A snapshot label, or an ISO instant (the memory as it was then)."""


class _Drain(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_ppv: str
    """The PPV to drain."""
    to_ppv: str
    """Where new (and, with force, existing) sessions go."""
    force: bool = False
    """Move active sessions now instead of letting them finish."""
    revert_to: datetime | None = None
    """With force: revert the moved sessions' memory to this instant."""


def parse_instant(text: str) -> datetime | None:
    """An ISO instant, or None when `text` is not one (then it is a snapshot label)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def create_app(store: SessionStore, stack: Stack, config: RunConfig) -> Any:
    """The Starlette app of the session service."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    lock = threading.Lock()

    def locked(fn: Any, *args: Any) -> Any:
        with lock:
            return fn(*args)

    h = _session_handlers(store, stack, config, locked)
    routes = [
        Route("/v1/sessions", _guarded(h["start"]), methods=["POST"]),
        Route("/v1/sessions", _guarded(h["listing"]), methods=["GET"]),
        Route("/v1/sessions/{sid}", _guarded(h["show"]), methods=["GET"]),
        Route("/v1/sessions/{sid}/turns", _guarded(h["turn"]), methods=["POST"]),
        Route("/v1/sessions/{sid}/snapshots", _guarded(h["snapshot"]), methods=["POST"]),
        Route("/v1/sessions/{sid}/revert", _guarded(h["revert"]), methods=["POST"]),
        Route("/v1/sessions/{sid}/end", _guarded(h["end"]), methods=["POST"]),
        Route("/v1/drain", _guarded(h["drain"]), methods=["POST"]),
        Route("/v1/drain/{ppv}", _guarded(h["drain_status"]), methods=["GET"]),
    ]
    return Starlette(routes=routes)


async def _body(request: Request, model: type[BaseModel]) -> Any:
    """The request's JSON body validated as `model`; anything else is one InputError."""
    try:
        return model.model_validate(await request.json())
    except (ValidationError, ValueError) as exc:
        raise InputError(f"bad request body: {str(exc).splitlines()[0]}") from None


def _guarded(fn: Any) -> Any:
    """An endpoint returning `fn`'s result as JSON, a ReplaylabError as a 400 with one error line."""
    from starlette.responses import JSONResponse

    async def endpoint(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await fn(request))
        except ReplaylabError as exc:
            return JSONResponse({"error": " ".join(str(exc).split())}, status_code=400)

    return endpoint


def _session_handlers(store: SessionStore, stack: Stack, config: RunConfig, locked: Any) -> dict[str, Any]:
    """The service's handlers by name; writes that replay a turn run in a thread under `locked`."""
    from starlette.concurrency import run_in_threadpool

    template = config.prompt.split("@")[0].split(":")[0]

    async def start(request: Request) -> Any:
        b = await _body(request, _Start)
        s = await run_in_threadpool(locked, lambda: store.start(b.session_id, template=b.template or template, user_id=b.user_id))
        return s.model_dump(mode="json")

    async def turn(request: Request) -> Any:
        b = await _body(request, _Turn)
        sid = request.path_params["sid"]
        t, trace = await run_in_threadpool(locked, lambda: serve_turn(store, stack, config, sid, b.question))
        return {"turn": t.index, "output": t.output, "ppv": t.ppv, "trace_id": trace.trace_id}

    async def listing(request: Request) -> Any:
        active = request.query_params.get("active") in {"1", "true"}
        return [s.model_dump(mode="json") for s in store.list(active_only=active)]

    async def show(request: Request) -> Any:
        return store.get(request.path_params["sid"]).model_dump(mode="json")

    async def snapshot(request: Request) -> Any:
        b = await _body(request, _Label)
        return store.snapshot(request.path_params["sid"], b.label).model_dump(mode="json")

    async def revert(request: Request) -> Any:
        b = await _body(request, _Revert)
        return store.revert(request.path_params["sid"], to=parse_instant(b.to) or b.to).model_dump(mode="json")

    async def end(request: Request) -> Any:
        store.end(request.path_params["sid"])
        return store.get(request.path_params["sid"]).model_dump(mode="json")

    async def drain(request: Request) -> Any:
        b = await _body(request, _Drain)
        status = store.drain(b.from_ppv, to_ppv=b.to_ppv, force=b.force, revert_to=b.revert_to)
        return {**status.model_dump(mode="json"), "complete": status.complete}

    async def drain_status(request: Request) -> Any:
        status = store.drain_status(request.path_params["ppv"])
        return {**status.model_dump(mode="json"), "complete": status.complete}

    return {
        "start": start,
        "turn": turn,
        "listing": listing,
        "show": show,
        "snapshot": snapshot,
        "revert": revert,
        "end": end,
        "drain": drain,
        "drain_status": drain_status,
    }
