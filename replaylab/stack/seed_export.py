"""Export the vectors of a corpus (every version of it) and its golden questions as a seed file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from replaylab.config import RunConfig
from replaylab.stack.corpus import all_rows
from replaylab.stack.embedders import get_embedder
from replaylab.stack.pipeline import Stack
from replaylab.stack.seed_vectors import SeedHeader, write_seed


def corpus_texts(stack: Stack, config: RunConfig) -> list[str]:
    """What the embedder sees for every chunk of every version of the corpus (one per ingestion date)."""
    dates = sorted({row.ingested_at for row in all_rows(config.corpus, stack.ws)})
    texts: dict[str, None] = {}
    for as_of in [None, *dates]:
        index = config.index.model_copy(update={"as_of": as_of})
        texts.update(dict.fromkeys(c.embed_text() for c in stack.chunks(config.corpus, index)))
    return list(texts)


def export_seed(stack: Stack, config: RunConfig, out: Path, *, questions: Sequence[str] = ()) -> SeedHeader:
    """Embed (or read from the cache) the corpus texts and `questions`, and write them to `out`."""
    embedder = get_embedder(config.index.embedder)
    texts = list(dict.fromkeys([*corpus_texts(stack, config), *questions]))
    vectors = stack.cache.encode(embedder, texts)
    source = f"{len(texts) - len(questions)} chunk texts of {config.corpus.source}"
    return write_seed(out, embedder=embedder, texts=texts, vectors=vectors, source=f"{source}, {len(questions)} questions")
