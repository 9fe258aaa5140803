"""Cut documents into sentence-aligned chunks with their provenance."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from replaylab.config import ChunkingSpec
from replaylab.stack.corpus import Document

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


class Chunk(BaseModel):
    """A piece of one document, the unit that is embedded and retrieved."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    """`<doc_id>#<n>`, n counting the document's chunks from 0."""
    doc_id: str
    """Id of the document the chunk was cut from."""
    title: str
    """The document's title ("" if none); it is embedded with the text."""
    source: str
    """Where the document came from, copied from the document."""
    topic: str
    """The document's topic label ("" if none)."""
    ingested_at: date
    """Date the document row was ingested, copied from the document."""
    text: str
    """The chunk's whole sentences, joined by single spaces."""

    def embed_text(self) -> str:
        """What the embedder sees: the title gives a chunk its subject."""
        return f"{self.title}. {self.text}" if self.title else self.text


def split_sentences(text: str) -> list[str]:
    """Sentences of a text (line breaks also end a sentence)."""
    out: list[str] = []
    for para in text.splitlines():
        para = para.strip().lstrip("#-* ").strip()
        if para:
            out.extend(s.strip() for s in _SENTENCE.split(para) if s.strip())
    return out


def chunk_document(doc: Document, spec: ChunkingSpec) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `spec.max_words` words."""
    groups: list[list[str]] = [[]]
    words = 0
    for sentence in split_sentences(doc.text):
        n = len(sentence.split())
        if groups[-1] and words + n > spec.max_words:
            groups.append([])
            words = 0
        groups[-1].append(sentence)
        words += n
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{i}",
            doc_id=doc.doc_id,
            title=doc.title,
            source=doc.source,
            topic=doc.topic,
            ingested_at=doc.ingested_at,
            text=" ".join(g),
        )
        for i, g in enumerate(groups)
        if g
    ]


def chunk_corpus(docs: Sequence[Document], spec: ChunkingSpec) -> list[Chunk]:
    """Every chunk of every document, in document order."""
    return [c for d in docs for c in chunk_document(d, spec)]
