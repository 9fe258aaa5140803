"""The stack: corpus -> chunker -> embedder -> index snapshot -> retriever -> assembler ->
prompt renderer -> generator. Every stage runs live or is held at its recorded value.

`Stack.run` runs one request and returns its trace; `Stack.replay` re-runs a trace with
variables swapped and stages held. Loaded models, corpora and snapshots are kept for the
life of the `Stack`, and embeddings are cached on disk, so a warm replay re-embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.errors import ConfigError, ReplayFailed, ReplaylabError
from replaylab.files import canonical_json
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.stack import assembler
from replaylab.stack.chunker import Chunk, chunk_corpus
from replaylab.stack.corpus import Document, GoldenItem, load_corpus
from replaylab.stack.embedders import get_embedder
from replaylab.stack.embedding_cache import EmbeddingCache
from replaylab.stack.index import Snapshot, build_snapshot, load_snapshot, snapshot_id
from replaylab.stack.prompts import PromptRegistry, PromptVersion
from replaylab.stack.tokenizers import wordpiece
from replaylab.trace import (
    ChatMessage,
    GenerationSpan,
    Golden,
    ModelRuntime,
    PromptSpan,
    RetrievalSpan,
    RetrievedChunk,
    RoutingSpan,
    Trace,
    VersionSnapshot,
)
from replaylab.workspace import Workspace

Stage = Literal["routing", "retrieval", "prompt", "generation"]
STAGES: tuple[Stage, ...] = ("routing", "retrieval", "prompt", "generation")


def corpus_snapshot_id(corpus: CorpusSpec, as_of: date | None) -> str:
    """A readable id of the documents an index was built from."""
    parts = [corpus.source if corpus.source == "bundled" else f"file:{corpus.source}"]
    parts += [f"+{b}" for b in corpus.batches]
    return "".join(parts) + (f"@{as_of.isoformat()}" if as_of else "@latest")


def golden_of(item: GoldenItem) -> Golden:
    return Golden(
        qid=item.qid,
        answer=item.answer,
        aliases=list(item.aliases),
        doc_ids=list(item.doc_ids),
        false_premise=item.false_premise,
        expected_route=item.route,
        unanswerable=item.unanswerable,
    )


def model_runtime(model_id: str, local: Mapping[str, str], generation: GenerationSpan) -> ModelRuntime:
    """The MRV: the facts the backend knows locally, overridden by what a remote server reported."""
    remote = generation.runtime
    backend = local.get("backend", "")
    if remote.get("backend"):
        backend = f"{backend} -> {remote['backend']}" if backend else remote["backend"]
    return ModelRuntime(
        requested=model_id,
        returned=generation.model_returned,
        backend=backend,
        quantization=remote.get("quantization") or local.get("quantization", ""),
        file_sha256=remote.get("file_sha256") or local.get("file_sha256", ""),
        system_fingerprint=remote.get("system_fingerprint", ""),
    )


class Stack:
    """One process's view of the RAG stack over a workspace."""

    def __init__(self, ws: Workspace | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        self.ws = ws or Workspace.default()
        self.ws.root.mkdir(parents=True, exist_ok=True)
        self.prompts = PromptRegistry(self.ws)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.provider_overrides: dict[str, str] = {}
        """Requested model -> model a provider actually serves (the silent-version-change seam)."""
        self._cache: EmbeddingCache | None = None
        self._snapshots: dict[str, Snapshot] = {}
        self._chunks: dict[str, list[Chunk]] = {}
        self._documents: dict[str, list[Document]] = {}
        self.stats = {"snapshot_builds": 0, "snapshot_loads": 0}

    # ---- data -------------------------------------------------------------------------
    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            # embeddings are pure (keyed by embedder id and text), so workspaces may share one cache
            shared = os.environ.get("REPLAYLAB_EMBED_CACHE")
            self._cache = EmbeddingCache(Path(shared) if shared else self.ws.cache / "embeddings.sqlite")
        return self._cache

    def peek_cache(self) -> EmbeddingCache | None:
        """The embedding cache if this process has opened it (for counters), without opening it."""
        return self._cache

    def documents(self, corpus: CorpusSpec, as_of: date | None = None) -> list[Document]:
        """The corpus as of `as_of`; kept per process (batches are content-addressed, never rewritten)."""
        key = canonical_json([corpus.model_dump(mode="json"), str(as_of)])
        if key not in self._documents:
            self._documents[key] = load_corpus(corpus, self.ws, as_of=as_of)
        return list(self._documents[key])

    def chunks(self, corpus: CorpusSpec, index: IndexSpec) -> list[Chunk]:
        """The corpus as of `index.as_of`, chunked; kept per process like the snapshots (chunks are frozen)."""
        key = canonical_json([corpus.model_dump(mode="json"), str(index.as_of), index.chunking.model_dump(mode="json")])
        if key not in self._chunks:
            self._chunks[key] = chunk_corpus(self.documents(corpus, index.as_of), index.chunking)
        return list(self._chunks[key])

    def snapshot(self, corpus: CorpusSpec, index: IndexSpec) -> Snapshot:
        """The index snapshot for this corpus and index spec: from memory, disk, or built."""
        key = canonical_json([corpus.model_dump(mode="json"), index.model_dump(mode="json")])
        if key in self._snapshots:
            return self._snapshots[key]
        chunks = self.chunks(corpus, index)
        sid = snapshot_id(embedder=index.embedder, chunking=index.chunking, kind=index.kind, chunks=chunks)
        if (self.ws.snapshots / sid).exists():
            snap = load_snapshot(self.ws.snapshots, sid)
            self.stats["snapshot_loads"] += 1
        else:
            embedder = get_embedder(index.embedder)
            vectors = self.cache.encode(embedder, [c.embed_text() for c in chunks])
            snap = build_snapshot(
                root=self.ws.snapshots,
                embedder=index.embedder,
                chunking=index.chunking,
                kind=index.kind,
                chunks=chunks,
                vectors=vectors,
                as_of=index.as_of,
            )
            self.stats["snapshot_builds"] += 1
        self._snapshots[key] = snap
        return snap

    # ---- stages -----------------------------------------------------------------------
    def retrieve(self, question: str, config: RunConfig) -> RetrievalSpan:
        snap = self.snapshot(config.corpus, config.index)
        embedder = get_embedder(config.embedder)
        qvec = self.cache.encode(embedder, [question])
        hits = snap.search(qvec, config.top_k)
        chunks = [
            RetrievedChunk(
                chunk_id=c.chunk_id,
                doc_id=c.doc_id,
                title=c.title,
                text=c.text,
                score=round(s, 6),
                source=c.source,
                ingested_at=c.ingested_at,
                rank=i,
            )
            for i, (c, s) in enumerate(hits, 1)
            if config.min_score is None or s >= config.min_score
        ]
        return RetrievalSpan(query=question, top_k=config.top_k, embedder=config.embedder, index_snapshot=snap.id, chunks=chunks)

    def held_context(self, question: str, config: RunConfig, recorded: Trace | None) -> RetrievalSpan:
        """The context held at `config.context` chunk ids, looked up in the recording then the index."""
        assert config.context is not None
        known: dict[str, RetrievedChunk] = {}
        if recorded is not None and recorded.retrieval is not None:
            known = {c.chunk_id: c for c in recorded.retrieval.chunks}
        snap = self.snapshot(config.corpus, config.index)
        # the current corpus first (an oracle context is today's truth), then the served index
        by_id = {c.chunk_id: c for c in snap.manifest.chunks}
        by_id.update({c.chunk_id: c for c in self.chunks(config.corpus, config.index.model_copy(update={"as_of": None}))})
        out = []
        for rank, cid in enumerate(config.context, 1):
            if cid in known:
                out.append(known[cid].model_copy(update={"rank": rank}))
            elif cid in by_id:
                c = by_id[cid]
                out.append(
                    RetrievedChunk(
                        chunk_id=cid,
                        doc_id=c.doc_id,
                        title=c.title,
                        text=c.text,
                        score=0.0,
                        source=c.source,
                        ingested_at=c.ingested_at,
                        rank=rank,
                    )
                )
            else:
                raise ConfigError(f"Held context names chunk {cid!r}, which is neither in the trace nor in index {snap.id}")
        return RetrievalSpan(
            query=question, top_k=len(out), embedder=config.embedder, index_snapshot=snap.id, chunks=out, held=True
        )

    # ---- requests ---------------------------------------------------------------------
    def run_batch(self, questions: Sequence[str], config: RunConfig, *, goldens: Sequence[Golden | None] = ()) -> list[Trace]:
        """Run many requests under one config; their queries are embedded in one batch first.

        One batched embedding call costs a fraction of one call per query (on 2 cores MiniLM
        takes ~10 ms a query in a batch of 120, 30+ ms alone); each request then finds its
        query vector in the cache and runs as `run` would.
        """
        if config.context is None and questions:
            self.cache.encode(get_embedder(config.embedder), list(dict.fromkeys(questions)))
        if questions:  # the sandbox reader counts in WordPiece whatever the assembler's tokenizer
            snap = self.snapshot(config.corpus, config.index)
            counter = wordpiece()
            counter.prime(questions)
            counter.prime((t for c in snap.manifest.chunks for t in (c.title, c.text)), once=snap.id)
        golds = list(goldens) or [None] * len(questions)
        return [self.run(q, config, golden=g) for q, g in zip(questions, golds, strict=True)]

    def run(
        self,
        question: str,
        config: RunConfig,
        *,
        golden: Golden | None = None,
        recorded: Trace | None = None,
        holds: Collection[Stage] = (),
        session_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Trace:
        """Run one request through the stack and return its trace."""
        holds = set(holds)
        if holds and recorded is None:
            raise ConfigError("Holding a stage needs a recorded trace")
        pv = self.prompts.resolve(config.prompt)
        routing, model_id, answer = self._routing(question, config, recorded, holds)
        golden = golden if golden is not None else (recorded.golden if recorded else None)
        if answer is not None:  # a tool answered: no retrieval, no generation
            return self._tool_trace(question, config, pv.id, routing, answer, golden=golden, session_id=session_id, tags=tags)
        retrieval = self._retrieval(question, config, recorded, holds)
        prompt = self._prompt(question, config, pv, retrieval, recorded, holds)
        served = self.provider_overrides.get(model_id, model_id)
        generator = get_generator(served)
        if "generation" in holds and recorded is not None and recorded.generation is not None:
            generation = recorded.generation
        else:
            generation = self._generate(served, config, prompt.messages)
        effective = config.model_copy(update={"model": generation.model_returned}) if served != model_id else config
        created = self.clock()
        tid = hashlib.sha256(f"{question}|{effective.digest()}|{created.isoformat()}".encode()).hexdigest()[:16]
        corpus_id = corpus_snapshot_id(config.corpus, config.index.as_of)
        return Trace(
            trace_id=f"tr-{tid}",
            created_at=created,
            question=question,
            session_id=session_id,
            config=effective,
            versions=VersionSnapshot(
                ppv=pv.id,
                index_snapshot=retrieval.index_snapshot,
                embedder=config.embedder,
                corpus_snapshot=corpus_id,
                mrv=model_runtime(model_id, {"backend": type(generator).__name__, **generator.runtime}, generation),
                tav=config.tools or "none",
            ),
            routing=routing,
            retrieval=retrieval,
            prompt=prompt,
            generation=generation,
            golden=golden,
            tags=dict(tags or {}),
        )

    def _tool_trace(
        self,
        question: str,
        config: RunConfig,
        ppv: str,
        routing: RoutingSpan,
        answer: str,
        *,
        golden: Golden | None,
        session_id: str | None,
        tags: Mapping[str, str] | None,
    ) -> Trace:
        """The trace of a request a tool answered directly (no retrieval, no generation)."""
        from replaylab.stack.router import tool_trace

        return tool_trace(
            question,
            config,
            ppv,
            routing,
            answer,
            created=self.clock(),
            index_snapshot=self.snapshot(config.corpus, config.index).id,
            corpus_snapshot=corpus_snapshot_id(config.corpus, config.index.as_of),
            golden=golden,
            session_id=session_id,
            tags=tags,
        )

    def _routing(
        self, question: str, config: RunConfig, recorded: Trace | None, holds: set[Stage]
    ) -> tuple[RoutingSpan, str, str | None]:
        """(routing span, model id to serve, a tool's direct answer): recorded when held, else routed."""
        if "routing" in holds and recorded is not None:
            return recorded.routing, recorded.generation.model_requested if recorded.generation else config.model, None
        if config.router is None:
            return RoutingSpan(), config.model, None
        from replaylab.stack.router import route  # the routing layer (agents package)

        decision = route(self, question, config)
        return decision.span, decision.model or config.model, decision.answer

    def _retrieval(self, question: str, config: RunConfig, recorded: Trace | None, holds: set[Stage]) -> RetrievalSpan:
        """The recorded retrieval when held, the configured context when pinned, else a live retrieval."""
        if "retrieval" in holds and recorded is not None and recorded.retrieval is not None:
            return recorded.retrieval.model_copy(update={"held": True})
        if config.context is not None:
            return self.held_context(question, config, recorded)
        return self.retrieve(question, config)

    def _prompt(
        self,
        question: str,
        config: RunConfig,
        pv: PromptVersion,
        retrieval: RetrievalSpan,
        recorded: Trace | None,
        holds: set[Stage],
    ) -> PromptSpan:
        """The recorded prompt when held, else the retrieved chunks assembled into the template."""
        if "prompt" in holds and recorded is not None and recorded.prompt is not None:
            return recorded.prompt
        packed = assembler.assemble(
            retrieval.chunks, order=config.context_order, tokenizer=config.tokenizer, budget=config.context_budget
        )
        return PromptSpan(
            template=pv.template,
            version=pv.version,
            messages=assembler.render(pv, question=question, chunks=packed.chunks),
            context_chunk_ids=[c.chunk_id for c in packed.chunks],
            context_tokens=packed.tokens,
            dropped_chunk_ids=[c.chunk_id for c in packed.dropped],
        )

    def _generate(self, model_id: str, config: RunConfig, messages: list[ChatMessage]) -> GenerationSpan:
        generator = get_generator(model_id)
        request = GenerationRequest(model=model_id, messages=messages, sampling=config.sampling)
        start = time.perf_counter()
        try:
            result = generator.generate(request)
        except ReplaylabError:
            raise
        except Exception as exc:  # a model backend's own failure: the replay is unresolved
            raise ReplayFailed(f"Model {model_id} failed: {type(exc).__name__}: {exc}") from exc
        latency = (time.perf_counter() - start) * 1000
        return GenerationSpan(
            model_requested=model_id,
            model_returned=result.model_returned,
            sampling=config.sampling,
            output=result.output,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            latency_ms=round(latency, 2),
            cassette=result.cassette,
            runtime=result.runtime,
        )

    def replay(self, trace: Trace, *, overrides: Mapping[str, Any] | None = None, holds: Collection[Stage] = ()) -> Trace:
        """Re-run `trace` with variables set to new values and stages held at their recordings."""
        from replaylab.variables import apply_values

        config = apply_values(trace.config, dict(overrides or {}))
        return self.run(trace.question, config, recorded=trace, holds=holds, session_id=trace.session_id, tags=trace.tags)
