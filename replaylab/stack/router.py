"""The intent router: which handler serves a request, by router version.

    decision = route(stack, question, config)    # config.router names the version
    decision.span      # RoutingSpan: router, intent, confidence, handler, tool calls
    decision.model     # a model override (the cheap model), or None
    decision.answer    # a tool's or the escalation's direct answer, or None (RAG answers)

The classifier is nearest-centroid over sentence embeddings of labelled example queries
(`data/corpus/router_examples.jsonl`: kb_question, doc_lookup, date_calc, escalate),
embedded through the stack's cache with the router version's *own* embedder. Confidence
is the softmax of the cosine similarities to the intent centroids at `temperature`; below
`threshold` the request goes to `fallback` (the RAG answerer on the capable model, the safe
choice). Handlers:

| handler | what serves the request |
|---|---|
| rag | retrieval + generation on `config.model` (the capable model) |
| rag-cheap | the same on `cheap_model` (`sandbox-reader-mini`: 384-token window, primacy bias) |
| doc_lookup, date_calc | the tool, with arguments read from the question; its result is the answer |
| escalate | a human: the answer is a hand-off message |

A tool handler needs `config.tools` to offer the tool and the question to carry its
arguments (a document id; an ISO date and a number of days); otherwise the request falls
back to `rag`. Versions differ only in their fields:

- `intent-v1`: threshold 0.5, no cheap routing. The steady state.
- `intent-v2`: the "cost saving" release: knowledge questions of at most 12 words go to the
  cheap model. Short is not easy: the misrouting fault.
- `intent-v3`: threshold lowered to 0.3 and knowledge questions that mention a person to
  contact ("who", "contact", "support") are handed to `escalate`: the wrong-handler variant.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.files import parse_json, read_input_text
from replaylab.registry import lookup, register
from replaylab.stack.embedders import get_embedder
from replaylab.stack.tools import ARGUMENT_EXTRACTORS, ToolContext, ToolSet
from replaylab.trace import GenerationSpan, Golden, ModelRuntime, RoutingSpan, ToolCall, Trace, VersionSnapshot
from replaylab.workspace import PACKAGE_DATA

if TYPE_CHECKING:
    from replaylab.stack.pipeline import Stack

Handler = Literal["rag", "rag-cheap", "doc_lookup", "date_calc", "escalate"]
INTENT_HANDLERS: dict[str, Handler] = {
    "kb_question": "rag",
    "doc_lookup": "doc_lookup",
    "date_calc": "date_calc",
    "escalate": "escalate",
}
ROUTER_EXAMPLES = PACKAGE_DATA / "corpus" / "router_examples.jsonl"
ESCALATION_ANSWER = "I have passed your request to a support specialist, who will reply by email."


class RouterExample(BaseModel):
    """One labelled query."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str
    intent: str


class IntentScores(BaseModel):
    """The classifier's view of one question."""

    intent: str
    confidence: float
    """Softmax probability of `intent`."""
    probabilities: dict[str, float]
    similarities: dict[str, float]
    """Cosine similarity to each intent centroid."""


class RoutingDecision(BaseModel):
    """What the router decided for one request (what `Stack.run` reads)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: RoutingSpan
    model: str | None = None
    """Model override for the RAG answerer (the cheap model), or None for `config.model`."""
    answer: str | None = None
    """A direct answer (tool result, escalation hand-off) that skips retrieval and generation."""


def load_examples(source: str = "bundled") -> tuple[RouterExample, ...]:
    """The labelled queries of `source` (`bundled` or a .jsonl path); one ConfigError line when unreadable."""
    return _load_examples(str(ROUTER_EXAMPLES if source == "bundled" else Path(source)))


@lru_cache(maxsize=8)
def _load_examples(path: str) -> tuple[RouterExample, ...]:
    lines = read_input_text(path, what="router examples", max_bytes=64 * 1024 * 1024, error=ConfigError).splitlines()
    rows = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                data = parse_json(line, what="", path="the row", error=ValueError)  # limits, then the message below
                rows.append(RouterExample.model_validate(data))
            except ValueError as exc:
                raise ConfigError(f"{path}:{n}: not a router example ({str(exc).splitlines()[0]})") from None
    if not rows:
        raise ConfigError(f"Router examples {path} hold no rows")
    return tuple(rows)


Vectors = npt.NDArray[np.float32]
_CENTROIDS: dict[str, tuple[list[str], Vectors]] = {}


class Router(BaseModel):
    """A router version: its fields are its configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: ClassVar[str] = ""
    embedder: str = "minilm-l6-v2"
    """The embedder the router embeds examples and questions with (its own, not the query embedder)."""
    examples: str = "bundled"
    """Labelled queries: `bundled` or a .jsonl path of {text, intent} rows."""
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    """Below this confidence the request goes to `fallback`."""
    temperature: float = Field(0.05, gt=0.0)
    """Softmax temperature over centroid cosine similarities."""
    fallback: Handler = "rag"
    cheap_model: str = "sandbox-reader-mini"
    cheap_max_words: int | None = None
    """Knowledge questions of at most this many words go to `rag-cheap` (None: never)."""
    escalate_words: tuple[str, ...] = ()
    """Knowledge questions containing any of these words are escalated to a human."""

    # ---- the classifier -----------------------------------------------------------------
    def _centroids(self, stack: Stack) -> tuple[list[str], Vectors]:
        rows = load_examples(self.examples)
        key = hashlib.sha256(json.dumps([self.embedder, [(r.text, r.intent) for r in rows]]).encode()).hexdigest()
        if key not in _CENTROIDS:
            vecs = stack.cache.encode(get_embedder(self.embedder), [r.text for r in rows])
            intents = sorted({r.intent for r in rows})
            labels = np.array([r.intent for r in rows])
            cents = np.stack([vecs[labels == i].mean(axis=0) for i in intents]).astype(np.float32)
            cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
            _CENTROIDS[key] = (intents, cents)
        return _CENTROIDS[key]

    def warm(self, stack: Stack, questions: Sequence[str]) -> None:
        """Embed many questions in one batch, so routing them later reads the cache."""
        self._centroids(stack)
        stack.cache.encode(get_embedder(self.embedder), list(questions))

    def classify(self, stack: Stack, question: str) -> IntentScores:
        """Nearest centroid, with softmax confidence."""
        intents, cents = self._centroids(stack)
        q = stack.cache.encode(get_embedder(self.embedder), [question])[0]
        sims = cents @ q
        z = np.exp((sims - sims.max()) / self.temperature)
        probs = z / z.sum()
        best = int(np.argmax(probs))
        return IntentScores(
            intent=intents[best],
            confidence=round(float(probs[best]), 6),
            probabilities={i: round(float(p), 6) for i, p in zip(intents, probs, strict=True)},
            similarities={i: round(float(s), 6) for i, s in zip(intents, sims, strict=True)},
        )

    # ---- the decision -------------------------------------------------------------------
    def handler_for(self, question: str, scores: IntentScores) -> Handler:
        """The handler before tool arguments are checked."""
        if scores.confidence < self.threshold:
            return self.fallback
        handler = INTENT_HANDLERS.get(scores.intent, self.fallback)
        if handler == "rag":
            words = question.split()
            lowered = {w.strip("?,.!:;\"'").lower() for w in words}
            if self.escalate_words and lowered & set(self.escalate_words):
                return "escalate"
            if self.cheap_max_words is not None and len(words) <= self.cheap_max_words:
                return "rag-cheap"
        return handler

    def decide(self, stack: Stack, question: str, config: RunConfig) -> RoutingDecision:
        scores = self.classify(stack, question)
        handler = self.handler_for(question, scores)
        span = RoutingSpan(
            router=config.router or self.version, intent=scores.intent, confidence=scores.confidence, handler=handler
        )
        if handler in ARGUMENT_EXTRACTORS:
            return self._tool(stack, question, config, span, handler)
        if handler == "escalate":
            return RoutingDecision(span=span, answer=ESCALATION_ANSWER)
        if handler == "rag-cheap":
            return RoutingDecision(span=span, model=self.cheap_model)
        return RoutingDecision(span=span)

    def _tool(self, stack: Stack, question: str, config: RunConfig, span: RoutingSpan, tool: str) -> RoutingDecision:
        arguments = ARGUMENT_EXTRACTORS[tool](question)
        tools = ToolSet(config.tools) if config.tools is not None else None
        if arguments is None or tools is None or tools.spec(tool) is None:
            return RoutingDecision(span=span.model_copy(update={"handler": self.fallback}))

        def documents() -> dict[str, str]:
            return {d.doc_id: f"{d.title}: {d.text}" for d in stack.documents(config.corpus, config.index.as_of)}

        result = tools.call(tool, arguments, ToolContext(documents=documents))
        call = ToolCall(tool=tool, arguments=arguments, result=result.output, agent="router")
        if not result.ok:  # a failed tool call: the RAG answerer takes the request, the call stays on record
            return RoutingDecision(span=span.model_copy(update={"handler": self.fallback, "tool_calls": [call]}))
        return RoutingDecision(span=span.model_copy(update={"tool_calls": [call]}), answer=result.output)


@register("router", "intent-v1")
class IntentV1(Router):
    """The steady state: nearest centroid, threshold 0.5, every knowledge question on the capable model."""

    version: ClassVar[str] = "intent-v1"


@register("router", "intent-v2")
class IntentV2(Router):
    """intent-v1 plus a cost rule: knowledge questions of at most 12 words go to the cheap model."""

    version: ClassVar[str] = "intent-v2"
    cheap_max_words: int | None = 12


@register("router", "intent-v3")
class IntentV3(Router):
    """intent-v1 with the threshold lowered to 0.3 and a keyword shortcut that escalates
    knowledge questions about whom to contact: the wrong-handler variant."""

    version: ClassVar[str] = "intent-v3"
    threshold: float = Field(0.3, ge=0.0, le=1.0)
    escalate_words: tuple[str, ...] = ("who", "contact", "support", "email")


def get_router(version: str) -> Router:
    """The router registered as `version` (UnknownPlugin listing the valid ones)."""
    router: Router = lookup("router", version)()
    return router


def route(stack: Stack, question: str, config: RunConfig) -> RoutingDecision:
    """Route one request with the router version `config.router` names."""
    if config.router is None:
        return RoutingDecision(span=RoutingSpan())
    return get_router(config.router).decide(stack, question, config)


def tool_trace(
    question: str,
    config: RunConfig,
    ppv: str,
    routing: RoutingSpan,
    answer: str,
    *,
    created: datetime,
    index_snapshot: str,
    corpus_snapshot: str,
    golden: Golden | None,
    session_id: str | None,
    tags: Mapping[str, str] | None,
) -> Trace:
    """The trace of a request a tool answered directly (no retrieval, no generation)."""
    tid = hashlib.sha256(f"{question}|{config.digest()}|{created.isoformat()}".encode()).hexdigest()[:16]
    tool = f"tool:{routing.handler}"
    return Trace(
        trace_id=f"tr-{tid}",
        created_at=created,
        question=question,
        session_id=session_id,
        config=config,
        versions=VersionSnapshot(
            ppv=ppv,
            index_snapshot=index_snapshot,
            embedder=config.embedder,
            corpus_snapshot=corpus_snapshot,
            mrv=ModelRuntime(requested=tool, returned=tool, backend="tool"),
            tav=config.tools or "none",
        ),
        routing=routing,
        generation=GenerationSpan(
            model_requested=tool,
            model_returned=tool,
            sampling=config.sampling,
            output=answer,
            prompt_tokens=0,
            completion_tokens=0,
            latency_ms=0.0,
        ),
        golden=golden,
        tags=dict(tags or {}),
    )
