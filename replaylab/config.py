"""The run configuration: every knob that decides one replay's output.

A `RunConfig` is what bisect swaps variables in. It is frozen and hashable through its
canonical JSON, so replays can be memoised by configuration.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from replaylab.errors import ConfigError, error_where
from replaylab.files import canonical_json, parse_json, parse_yaml, read_input_text

ContextOrder = Literal["rank", "reverse", "bury", "chronological"]
IndexKind = Literal["flat", "ivf", "hnsw"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SamplingParams(_Frozen):
    """Sampling parameters sent to the generator."""

    temperature: float = Field(0.0, ge=0.0, le=5.0)
    """0 is greedy decoding."""
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    """Nucleus cut, a probability mass in (0, 1]: sample only among the likeliest choices that add up to it (1: no cut)."""
    seed: int = 0
    """Seed of the sampler; bisect runs stochastic configurations over several seeds."""
    max_tokens: int = Field(96, ge=1, le=4096)
    """Most tokens the answer may have (the generator's own tokens; the sandbox reader counts wordpiece tokens)."""


class ChunkingSpec(_Frozen):
    """How documents are cut into chunks before embedding."""

    max_words: int = Field(90, ge=8, le=2000)
    """Sentences are packed into a chunk until it would exceed this many words."""


class CorpusSpec(_Frozen):
    """Which documents exist: a base corpus plus batches ingested on top of it."""

    source: str = "bundled"
    """`bundled`, or a path to a folder of .md/.txt files or a .jsonl file."""
    batches: tuple[str, ...] = ()
    """Ids of document batches stored in the workspace (ETL loads, injected documents)."""


class IndexSpec(_Frozen):
    """How the served index snapshot was built from the corpus."""

    embedder: str = "minilm-l6-v2"
    """The embedder the stored vectors were computed with."""
    as_of: date | None = None
    """Build from the corpus as it was on this date (None: everything)."""
    chunking: ChunkingSpec = ChunkingSpec()
    """How the snapshot's documents were cut into the chunks it embeds."""
    kind: IndexKind = "flat"
    """FAISS index kind: `flat` (exact search), `ivf` (inverted lists) or `hnsw` (graph); the last two are approximate."""


class RunConfig(_Frozen):
    """Everything that decides one request's output. Variables read and replace its fields."""

    prompt: str = "rag-answer@2"
    """Prompt version id, `template@version` (never a label: labels are resolved at run time)."""
    model: str = "sandbox-reader-1.0"
    """Generator id, including its version."""
    corpus: CorpusSpec = CorpusSpec()
    """Which documents exist when the request runs."""
    index: IndexSpec = IndexSpec()
    """How the index snapshot that retrieval searches was built."""
    embedder: str = "minilm-l6-v2"
    """The embedder queries are embedded with at request time."""
    top_k: int = Field(5, ge=1, le=200)
    """How many chunks retrieval returns per query, best cosine score first."""
    min_score: float | None = None
    """Drop retrieved chunks scoring below this (cosine)."""
    context: tuple[str, ...] | None = None
    """Hold the context at exactly these chunk ids (None: retrieve live)."""
    context_order: ContextOrder = "rank"
    """Where the retrieved chunks go in the prompt: `rank` (best first), `reverse` (best last), `bury` (best in the
    middle) or `chronological` (by ingestion date)."""
    tokenizer: str = "wordpiece"
    """The tokenizer the context assembler counts its budget with."""
    context_budget: int = Field(1400, ge=16)
    """Token budget of the assembled context, counted with `tokenizer`."""
    sampling: SamplingParams = SamplingParams()
    """Sampling parameters sent to the generator."""
    router: str | None = None
    """Router version (None: every request goes to the RAG answerer)."""
    tools: str | None = None
    """Tool-schema set version (None: no tools)."""

    def digest(self) -> str:
        """Content hash of the configuration: the memo key of a replay."""
        return hashlib.sha256(canonical_json(self.model_dump(mode="json")).encode()).hexdigest()[:16]


def load_config(path: Path) -> RunConfig:
    """Read a RunConfig from a .json or .yaml file; any problem is one ConfigError line."""
    return load_partial_config(path, over=None)


def load_partial_config(path: Path, *, over: RunConfig | None) -> RunConfig:
    """Read a config file whose missing fields are taken from `over` (or the defaults)."""
    from pydantic import ValidationError

    text = read_input_text(path, what="config", max_bytes=4 * 1024 * 1024, error=ConfigError)
    parse = parse_json if str(path).endswith(".json") else parse_yaml
    data = parse(text, what="config", path=path, error=ConfigError)
    if isinstance(data, dict) and "config" in data and "trace_id" not in data:
        data = data["config"]
    if not isinstance(data, dict):
        raise ConfigError(f"Config {path} is not a mapping of RunConfig fields")
    if over is not None:
        data = {**over.model_dump(mode="json"), **data}
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = error_where(err["loc"])
        raise ConfigError(f"Config {path} is invalid: {where}: {err['msg']}") from None
