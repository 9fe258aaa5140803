"""Every chat completion through the proxy, kept as a replaylab trace plus its cassette.

    recorder = Recorder(root)                 # root/<trace_id>/trace.json + cassette.yaml
    recorder.submit(exchange_record, client_body, completion)
    recorder.recent(50)                       # the latest records, for probes

Files are written by one background thread (never on the request path), atomically. The
trace's model is `openai:<the name the client asked for>` and its cassette holds the call
in the shape `OpenAIChat` sends it (model, messages, sampling) with the answer the client
got, secrets scrubbed by `replaylab.cassettes.redaction`: `replaylab replay`/`bisect` load it
and replay it offline. A proxy sees the rendered prompt, not the retriever, so the trace's
retrieval span holds the prompt's own passages (`held`); faults applied are trace events.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import threading
from collections import deque
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from replaylab.cassettes.redaction import scrub_body, scrub_request, scrub_response, scrub_text
from replaylab.config import RunConfig
from replaylab.models.chat_api import ChatCompletionBody
from replaylab.proxy.faults import passages_of
from replaylab.proxy.writer import ProcessWriter
from replaylab.trace import (
    ChatMessage,
    GenerationSpan,
    ModelRuntime,
    PromptSpan,
    RetrievalSpan,
    RetrievedChunk,
    Trace,
    TraceEvent,
    VersionSnapshot,
)

__all__ = ["CASSETTE_NAME", "ExchangeRecord", "Recorder", "exchange_trace", "first_output", "parse_body", "write_recording"]

CASSETTE_NAME = "cassette.yaml"
MAX_QUEUED = 10_000
"""Recordings waiting for the writer thread before new ones are dropped (and counted as failures)."""
UNRECORDED = "unknown (seen through the replaylab proxy)"
_SOURCE = re.compile(r"^\((?P<source>[^,()]+), ingested (?P<at>\d{4}-\d{2}-\d{2})\)\s*(?P<text>.*)$")


class ExchangeRecord(BaseModel):
    """What the proxy saw of one request (kept in memory for the quality probes)."""

    seq: int
    """Request number since the proxy started."""
    at: datetime
    """When it arrived (UTC)."""
    session: str | None = None
    """The caller's session id."""
    path: str
    """The route, e.g. `/v1/chat/completions`."""
    requested_model: str = ""
    """The model the client asked for."""
    forwarded_model: str = ""
    """The model the proxy asked the upstream for (differs under a silent model change)."""
    returned_model: str = ""
    """The `model` field the client got."""
    status: int = 200
    """The HTTP status the client got."""
    stream: bool = False
    """Whether the answer was streamed."""
    faults: list[str] = []
    """Ids of the fault rules that hit the request."""
    messages: list[ChatMessage] = []
    """The messages the client sent."""
    output: str = ""
    """The answer the client got (the first choice)."""
    error: str = ""
    """The error message the client got, if any."""
    latency_ms: float = 0.0
    """Time in the proxy, from request to last byte."""
    upstream_ms: float = 0.0
    """Time waiting for the upstream (0 when a fault answered)."""
    trace: str | None = None
    """The recorded trace file, once written."""


def _chunks(messages: list[ChatMessage]) -> list[RetrievedChunk]:
    user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    out = []
    for rank, text in enumerate(passages_of(user)[0], 1):
        m = _SOURCE.match(text)
        body = m.group("text") if m else text
        cid = "ctx-" + hashlib.sha256(body.encode()).hexdigest()[:10]
        out.append(
            RetrievedChunk(
                chunk_id=cid,
                doc_id=cid,
                text=body,
                score=0.0,
                source=m.group("source") if m else "prompt",
                ingested_at=date.fromisoformat(m.group("at")) if m else date(1970, 1, 1),
                rank=rank,
            )
        )
    return out


def _question(messages: list[ChatMessage]) -> str:
    user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    asked = [ln.removeprefix("Question:").strip() for ln in user.split("\n") if ln.startswith("Question:")]
    return asked[-1] if asked else user.strip()[-500:] or "(no user turn)"


def exchange_trace(
    rec: ExchangeRecord, body: ChatCompletionBody, completion: dict[str, Any], *, fault_events: list[TraceEvent]
) -> Trace:
    """The replaylab trace of one proxied chat completion."""
    messages = [m.chat() for m in body.messages]
    sampling = body.sampling()
    model = f"openai:{rec.requested_model}"
    usage = completion.get("usage") or {}
    chunks = _chunks(messages)
    question = _question(messages)
    runtime = {"system_fingerprint": str(completion["system_fingerprint"])} if completion.get("system_fingerprint") else {}
    digest = hashlib.sha256(f"{rec.seq}|{rec.at.isoformat()}|{json.dumps(body.model_dump(), sort_keys=True)}".encode())
    return Trace(
        trace_id=f"px-{digest.hexdigest()[:16]}",
        created_at=rec.at,
        question=question,
        session_id=rec.session,
        config=RunConfig(model=model, sampling=sampling, top_k=max(1, len(chunks))),
        versions=VersionSnapshot(
            ppv=UNRECORDED,
            index_snapshot=UNRECORDED,
            embedder=UNRECORDED,
            corpus_snapshot=UNRECORDED,
            mrv=ModelRuntime(
                requested=model,
                returned=rec.returned_model,
                backend="openai-compatible HTTP through the replaylab proxy",
                system_fingerprint=runtime.get("system_fingerprint", ""),
            ),
        ),
        retrieval=RetrievalSpan(
            query=question, top_k=len(chunks), embedder=UNRECORDED, index_snapshot=UNRECORDED, chunks=chunks, held=True
        )
        if chunks
        else None,
        prompt=PromptSpan(
            template="unrecorded",
            version=0,
            messages=messages,
            context_chunk_ids=[c.chunk_id for c in chunks],
            context_tokens=int(usage.get("prompt_tokens") or 0),
        ),
        generation=GenerationSpan(
            model_requested=model,
            model_returned=rec.returned_model,
            sampling=sampling,
            output=rec.output,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_ms=round(rec.latency_ms, 2),
            cassette=CASSETTE_NAME,
            runtime=runtime,
        ),
        events=fault_events,
        tags={"source": "replaylab-proxy", "proxy.seq": str(rec.seq), "proxy.faults": ",".join(rec.faults)},
    )


def cassette_text(upstream: str, body: ChatCompletionBody, requested_model: str, completion: dict[str, Any]) -> str:
    """A one-interaction vcrpy cassette: the call as `OpenAIChat` would send it, the answer the client got."""
    s = body.sampling()
    payload = {
        "model": requested_model,
        "messages": [m.chat().model_dump() for m in body.messages],
        "temperature": s.temperature,
        "top_p": s.top_p,
        "seed": s.seed,
        "max_tokens": s.max_tokens,
    }
    raw = json.dumps(payload).encode()
    request = VcrRequest("POST", f"{upstream.rstrip('/')}/chat/completions", raw, {"content-type": "application/json"})
    answer = json.dumps(completion).encode()
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"], "content-length": [str(len(answer))]},
        "body": {"string": answer},
    }
    return str(serialize({"requests": [scrub_request(request)], "responses": [scrub_response(response)]}, yamlserializer))


def parse_body(data: dict[str, Any]) -> ChatCompletionBody | None:
    """The chat request `data` as replaylab reads it (None when it is not a valid one)."""
    try:
        return ChatCompletionBody.model_validate(data)
    except ValidationError:
        return None


def first_output(data: dict[str, Any]) -> str:
    """The text of a chat completion's first choice ("" when it has none)."""
    try:
        return str(data["choices"][0]["message"].get("content") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


Completion = dict[str, Any] | bytes
"""An answer as the proxy got it: parsed (a fault edited it) or the upstream's bytes."""
_Item = tuple[ExchangeRecord, dict[str, Any] | None, Completion | None, list[TraceEvent]]


class Recorder:
    """Keeps the latest records in memory and has every chat completion written, both off the
    request path.

    `submit` only queues. The recorder's thread hands each exchange to the writer (a child
    process where the proxy may spawn one), which parses, scrubs and writes it. The in-memory
    record is parsed and scrubbed only when `recent` asks for it, so recording costs the proxy's
    own process next to nothing between quality probes. `recent` and `flush` wait for that thread,
    so a request answered before either call is in what they return or write."""

    def __init__(self, root: Path | None, *, upstream: str, keep: int = 1000) -> None:
        self.root = root
        self.upstream = upstream
        self._recent: deque[ExchangeRecord] = deque(maxlen=keep)
        self._unread: deque[_Item] = deque(maxlen=keep)  # taken from the queue, not parsed or scrubbed yet
        self._published = threading.Condition()
        self._submitted = 0
        self._done = 0  # items taken from the queue into `_unread`, in submission order
        self._queue: queue.Queue[_Item | threading.Event] = queue.Queue(maxsize=MAX_QUEUED)
        self.failures: list[str] = []
        """Recordings that could not be written (the proxy keeps serving)."""
        self._writer = ProcessWriter() if root is not None else None
        self._thread = threading.Thread(target=self._run, name="replaylab-proxy-recorder", daemon=True)
        self._thread.start()

    def submit(
        self,
        rec: ExchangeRecord,
        body: dict[str, Any] | None = None,
        completion: Completion | None = None,
        events: list[TraceEvent] | None = None,
    ) -> None:
        """Keep `rec` (with the messages of `body`, the request as forwarded under the requested
        model name); a successful chat completion is also written as trace + cassette."""
        try:
            self._queue.put_nowait((rec, body, completion, events or []))
            with self._published:
                self._submitted += 1
        except queue.Full:  # the disk cannot keep up: say so rather than grow without bound
            self.failures.append(f"request {rec.seq}: not recorded, {MAX_QUEUED} recordings already waiting")

    def recent(self, n: int | None = None, *, timeout: float = 10.0) -> list[ExchangeRecord]:
        """The latest records (oldest first, parsed and scrubbed), once everything submitted so far is taken."""
        with self._published:
            want = self._submitted
            self._published.wait_for(lambda: self._done >= want, timeout)
            while self._unread:
                item = self._unread.popleft()
                try:
                    prepare(*item[:3])
                except Exception as exc:  # a bug here must not lose the record: it is kept unparsed
                    self.failures.append(f"request {item[0].seq}: {type(exc).__name__}: {exc}")
                self._recent.append(item[0])
            out = list(self._recent)
        return out if n is None else out[-n:]

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted is on disk."""
        done = threading.Event()
        self._queue.put(done)  # set by the recorder's thread once everything queued before it is on disk
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, threading.Event):  # a flush: everything before it handed over and written
                if self._writer is not None:
                    self._writer.wait()
                item.set()
                continue
            with self._published:  # `recent` never waits for another request's files
                self._unread.append(item)
                self._done += 1
                self._published.notify_all()
            if self._writer is not None and item[1] is not None and item[2] is not None:
                self._write_safely(item)

    def _write_safely(self, item: _Item) -> None:
        rec = item[0]

        def done(path: str | None, error: BaseException | None) -> None:
            if error is not None:
                self.failures.append(f"request {rec.seq}: {type(error).__name__}: {error}")
            elif path is not None:
                rec.trace = path

        assert self.root is not None and self._writer is not None
        self._writer.submit(write_exchange, (self.root, self.upstream, *item), done=done)

    def close(self) -> None:
        """Write everything submitted, then stop the writer process."""
        self.flush(timeout=60.0)
        if self._writer is not None:
            self._writer.close()


def prepare(
    rec: ExchangeRecord, raw_body: dict[str, Any] | None, completion: Completion | None
) -> tuple[ChatCompletionBody | None, dict[str, Any] | None]:
    """Parse one exchange into `rec` (its messages, model and output, scrubbed); the parsed request and answer."""
    body = parse_body(raw_body) if raw_body is not None else None
    answer = _completion(rec, completion)
    said = [m.chat() for m in body.messages] if body else []
    rec.messages = [m.model_copy(update={"content": scrub_text(m.content)}) for m in said]
    rec.output, rec.error = scrub_text(rec.output), scrub_text(rec.error)
    return body, answer


def write_exchange(
    root: Path,
    upstream: str,
    rec: ExchangeRecord,
    raw_body: dict[str, Any] | None,
    completion: Completion | None,
    events: list[TraceEvent],
) -> str | None:
    """Parse, scrub and write one exchange (in the writer process); the trace's path, None if it is not a chat completion."""
    rec = rec.model_copy()  # in a writer thread the caller's record stays its own
    body, answer = prepare(rec, raw_body, completion)
    if body is None or answer is None:
        return None
    return write_recording(root, upstream, rec, body, answer, events)


def write_recording(
    root: Path, upstream: str, rec: ExchangeRecord, body: ChatCompletionBody, completion: dict[str, Any], events: list[TraceEvent]
) -> str:
    """Write one exchange's trace + cassette under `root`; the trace's path."""
    trace = exchange_trace(rec, body, completion, fault_events=events)
    folder = root / trace.trace_id
    folder.mkdir(parents=True, exist_ok=True)
    _replace(folder / CASSETTE_NAME, cassette_text(upstream, body, rec.requested_model, completion))
    # what the client typed may hold a secret: the trace is scrubbed like the cassette
    _replace(folder / "trace.json", str(scrub_body(trace.model_dump_json(indent=2))) + "\n")
    return str(folder / "trace.json")


def _completion(rec: ExchangeRecord, completion: Completion | None) -> dict[str, Any] | None:
    """The answer as a dict, its model and output copied into `rec` (the upstream's bytes parsed
    here; bytes that are not a JSON object become `rec.error`, as the client got them)."""
    if isinstance(completion, bytes):
        try:
            parsed = json.loads(completion)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            rec.error = completion[:300].decode(errors="replace")
            return None
        rec.returned_model, rec.output = str(parsed.get("model", "")), first_output(parsed)
        return parsed
    if isinstance(completion, dict) and not rec.stream:
        rec.returned_model, rec.output = str(completion.get("model", "")), first_output(completion)
    return completion if isinstance(completion, dict) else None


def _replace(path: Path, text: str) -> None:
    """Write via a temporary file and a rename: a reader never sees half a file. No fsync (unlike
    `replaylab.files.atomic_write_text`): at proxy rates the sync, not the write, is the cost, and a
    recording lost to a power cut is one request of a drill, never a file anyone edited."""
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
