"""Documents, corpora as of a date, document batches, and the golden set.

A corpus is a base source (the bundled knowledge base, a folder of .md/.txt files, or a
.jsonl file) plus batches ingested on top of it. A document id may appear in several rows:
the corpus as of date D holds, for each id, the latest row ingested on or before D.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.config import CorpusSpec
from replaylab.errors import ConfigError
from replaylab.files import atomic_write_text, canonical_json
from replaylab.workspace import BUNDLED_CORPUS, BUNDLED_GOLDEN, Workspace


class Document(BaseModel):
    """One document row as ingested."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    doc_id: str
    title: str = ""
    source: str = "local"
    topic: str = ""
    ingested_at: date = date(2026, 1, 1)
    text: str


class GoldenItem(BaseModel):
    """One golden question: the expected answer and the documents that support it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    qid: str
    question: str
    answer: str
    aliases: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    topic: str = ""
    false_premise: str | None = None
    """A wrong value the question asserts (for the sycophancy check)."""
    updated: bool = False
    old_answer: str | None = None
    route: str | None = None
    """The handler that should serve this question (for routing checks)."""


def _read_jsonl(path: Path, model: type[BaseModel]) -> list[BaseModel]:
    rows: list[BaseModel] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0]
            raise ConfigError(f"{path}:{n}: not a valid {model.__name__} row ({first})") from None
    return rows


def _read_folder(folder: Path) -> list[Document]:
    docs = []
    for path in sorted([*folder.rglob("*.md"), *folder.rglob("*.txt")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.strip()), path.stem)
        stamp = date.fromtimestamp(path.stat().st_mtime)
        rel = path.relative_to(folder)
        source = rel.parts[0] if len(rel.parts) > 1 else "local"
        docs.append(Document(doc_id=str(rel.with_suffix("")), title=title, source=source, ingested_at=stamp, text=text))
    return docs


@lru_cache(maxsize=8)
def _base_rows(source: str) -> tuple[Document, ...]:
    path = BUNDLED_CORPUS if source == "bundled" else Path(source)
    if path.is_dir():
        rows: Sequence[BaseModel] = _read_folder(path)
    elif path.suffix == ".jsonl" and path.exists():
        rows = _read_jsonl(path, Document)
    else:
        raise ConfigError(f"Corpus {source!r} is neither 'bundled', a folder of .md/.txt files, nor a .jsonl file")
    docs = tuple(r for r in rows if isinstance(r, Document))
    if not docs:
        raise ConfigError(f"Corpus {source!r} holds no documents")
    return docs


def batch_id(docs: Sequence[Document]) -> str:
    """Content address of a batch of documents."""
    payload = canonical_json([d.model_dump(mode="json") for d in docs])
    return "b-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def save_batch(ws: Workspace, docs: Sequence[Document]) -> str:
    """Store a batch of documents in the workspace; returns its content-addressed id."""
    bid = batch_id(docs)
    path = ws.batches / f"{bid}.jsonl"
    if not path.exists():
        atomic_write_text(path, "".join(d.model_dump_json() + "\n" for d in docs))
    return bid


def load_batch(ws: Workspace, bid: str) -> list[Document]:
    path = ws.batches / f"{bid}.jsonl"
    if not path.exists():
        raise ConfigError(f"Document batch {bid!r} is not in {ws.batches}")
    return [r for r in _read_jsonl(path, Document) if isinstance(r, Document)]


def all_rows(spec: CorpusSpec, ws: Workspace) -> list[Document]:
    """Every row of the corpus, base and batches, in ingestion order."""
    rows = list(_base_rows(spec.source))
    for bid in spec.batches:
        rows.extend(load_batch(ws, bid))
    return rows


def latest_as_of(rows: Iterable[Document], as_of: date | None) -> list[Document]:
    """For each document id, its latest row ingested on or before `as_of`."""
    best: dict[str, Document] = {}
    for doc in rows:
        if as_of is not None and doc.ingested_at > as_of:
            continue
        cur = best.get(doc.doc_id)
        if cur is None or doc.ingested_at >= cur.ingested_at:
            best[doc.doc_id] = doc
    return sorted(best.values(), key=lambda d: d.doc_id)


def load_corpus(spec: CorpusSpec, ws: Workspace, *, as_of: date | None = None) -> list[Document]:
    """The corpus (base + batches) as it was on `as_of`."""
    return latest_as_of(all_rows(spec, ws), as_of)


def load_golden(path: Path | None = None) -> list[GoldenItem]:
    """The golden set: the bundled one, or a user's .jsonl."""
    rows = _read_jsonl(path or BUNDLED_GOLDEN, GoldenItem)
    return [r for r in rows if isinstance(r, GoldenItem)]
