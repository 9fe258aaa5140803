"""Context assembly: order the retrieved chunks and fit them into a token budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replaylab.config import ContextOrder
from replaylab.stack.prompts import CHUNK_FORMAT, PromptVersion
from replaylab.stack.tokenizers import token_counter
from replaylab.trace import ChatMessage, RetrievedChunk


@dataclass(frozen=True)
class Assembled:
    chunks: list[RetrievedChunk]
    dropped: list[RetrievedChunk]
    tokens: int


def order_chunks(chunks: Sequence[RetrievedChunk], order: ContextOrder) -> list[RetrievedChunk]:
    """Place chunks in the prompt: by rank, reversed, best buried in the middle, or by date."""
    ranked = sorted(chunks, key=lambda c: c.rank)
    if order == "reverse":
        return ranked[::-1]
    if order == "bury" and len(ranked) > 2:
        rest = ranked[1:]
        mid = len(ranked) // 2
        return [*rest[:mid], ranked[0], *rest[mid:]]
    if order == "chronological":
        return sorted(ranked, key=lambda c: (c.ingested_at, c.rank))
    return ranked


def format_chunk(n: int, chunk: RetrievedChunk) -> str:
    return CHUNK_FORMAT.format(
        n=n, source=chunk.source, ingested_at=chunk.ingested_at.isoformat(), title=chunk.title or chunk.doc_id, text=chunk.text
    )


def assemble(chunks: Sequence[RetrievedChunk], *, order: ContextOrder, tokenizer: str, budget: int) -> Assembled:
    """Keep the best-ranked chunks whose formatted text fits `budget` tokens of `tokenizer`, then
    place them by `order` (selection never depends on placement)."""
    count = token_counter(tokenizer)
    kept: list[RetrievedChunk] = []
    dropped: list[RetrievedChunk] = []
    used = 0
    for chunk in sorted(chunks, key=lambda c: c.rank):
        cost = count(format_chunk(len(kept) + 1, chunk))
        if dropped or used + cost > budget:
            dropped.append(chunk)
            continue
        kept.append(chunk)
        used += cost
    return Assembled(chunks=order_chunks(kept, order), dropped=dropped, tokens=used)


def render(prompt: PromptVersion, *, question: str, chunks: Sequence[RetrievedChunk]) -> list[ChatMessage]:
    """The chat messages: system rules, then the user template with context and question."""
    context = "\n".join(format_chunk(i, c) for i, c in enumerate(chunks, 1)) or "(no passages)"
    user = prompt.user.replace("{context}", context).replace("{question}", question)
    return [ChatMessage(role="system", content=prompt.system), ChatMessage(role="user", content=user)]
