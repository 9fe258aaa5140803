"""Documents, corpora as of a date, document batches, and the golden set.

A corpus is a base source (the bundled knowledge base, a folder of .md/.txt files, or a
.jsonl file) plus batches ingested on top of it. A document id may appear in several rows:
the corpus as of date D holds, for each id, the latest row ingested on or before D.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.config import CorpusSpec
from replaylab.errors import ConfigError, error_where
from replaylab.files import atomic_write_text, canonical_json, parse_json, read_input_bytes, read_input_text
from replaylab.stack.front_matter import SourceOptions, document_fields, rename_fields
from replaylab.workspace import BUNDLED_CORPUS, BUNDLED_GOLDEN, Workspace

MAX_CORPUS_ENTRIES = 50_000
"""Most files and folders a corpus folder walk visits before it refuses the folder."""
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
"""Largest single document file in a corpus folder."""
MAX_JSONL_BYTES = 256 * 1024 * 1024
"""Largest corpus or golden .jsonl file."""


class Document(BaseModel):
    """One document row as ingested."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    doc_id: str
    """Document id; a later row with the same id supersedes an earlier one."""
    title: str = ""
    """Document title ("" if none)."""
    source: str = "local"
    """Where the document came from (default `local`)."""
    topic: str = ""
    """Topic label ("" if none)."""
    ingested_at: date = date(2026, 1, 1)
    """Date the row was ingested (the corpus as of a date keeps each id's latest row up to it)."""
    text: str
    """The document text."""


class GoldenItem(BaseModel):
    """One golden question: the expected answer and the documents that support it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    qid: str
    """Question id, unique in the golden set."""
    question: str
    """The question text."""
    answer: str
    """The expected answer; a question with no answer says `unanswerable: true` (its answer may be null)."""
    aliases: tuple[str, ...] = ()
    """Other accepted spellings of the answer."""
    doc_ids: tuple[str, ...] = ()
    """Ids of the documents that hold the answer."""
    topic: str = ""
    """Topic label ("" if none)."""
    false_premise: str | None = None
    """A wrong value the question asserts (for the sycophancy check)."""
    updated: bool = False
    """The answer changed in a later ingestion batch (an older index serves `old_answer`)."""
    old_answer: str | None = None
    """The answer before that update, if `updated`."""
    route: str | None = None
    """The handler that should serve this question (for routing checks)."""
    unanswerable: bool = False
    """The corpus does not answer the question: the right output is a refusal."""


def _read_jsonl(
    path: Path, model: type[BaseModel], *, prepare: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None
) -> list[BaseModel]:
    rows: list[BaseModel] = []
    what = f"{model.__name__.lower()} file"
    lines = read_input_text(path, what=what, max_bytes=MAX_JSONL_BYTES, error=ConfigError).splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        data = parse_json(line, what=f"{model.__name__} row", path=f"{path}:{n}", error=ConfigError)
        if prepare is not None:
            if not isinstance(data, dict):
                raise ConfigError(f"{path}:{n}: not a valid {model.__name__} row (a JSON object is expected)")
            data = prepare(n, data)
        try:
            rows.append(model.model_validate(data))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"{path}:{n}: not a valid {model.__name__} row ({error_where(err['loc'])}: {err['msg']})") from None
    return rows


def _corpus_files(folder: Path) -> list[Path]:
    """The .md/.txt files under `folder`, refusing the filesystem root and folders past the walk cap."""
    if folder.resolve() == Path(folder.resolve().anchor):
        raise ConfigError(f"Corpus folder {folder} is the filesystem root; give the folder that holds the documents")
    found: list[Path] = []
    seen = 0
    for top, dirs, files in os.walk(folder):  # symlinked folders are not followed
        seen += len(dirs) + len(files)
        if seen > MAX_CORPUS_ENTRIES:
            raise ConfigError(
                f"Corpus folder {folder} holds more than {MAX_CORPUS_ENTRIES:,} entries; give the folder that holds the documents"
            )
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(top) / f for f in files if f.endswith((".md", ".txt"))]
    return sorted(found)


def _read_folder(folder: Path, opts: SourceOptions) -> list[Document]:
    docs = []
    for path in _corpus_files(folder):
        raw = read_input_bytes(path, what="corpus document", max_bytes=MAX_DOCUMENT_BYTES, error=ConfigError)
        text = raw.decode("utf-8", errors="replace")
        docs.append(Document.model_validate(document_fields(path, folder, text, opts)))
    return docs


def split_sources(source: str) -> list[str]:
    """The base sources of a CorpusSpec.source: one, or several joined by ` + ` (a project's list)."""
    from replaylab.project import SOURCE_SEPARATOR

    if source == "bundled" or SOURCE_SEPARATOR not in source or Path(source).exists():
        return [source]
    return [part.strip() for part in source.split(SOURCE_SEPARATOR)]


def _source_options(source: str) -> SourceOptions:
    """The project file's mapping and fallbacks for `source`, when it is one of the project's corpus sources."""
    from replaylab.project import active_project

    project = active_project() if source != "bundled" else None
    c = project.source_of(source) if project is not None else None
    if c is None:
        return SourceOptions()
    return SourceOptions(fields=dict(c.fields), source=c.source, ingested_at=c.ingested_at, id_prefix=c.id_prefix)


_ROWS: dict[tuple[str, tuple[Any, ...]], tuple[Document, ...]] = {}


def _base_rows(source: str) -> tuple[Document, ...]:
    """The base rows of `source` (its sources merged in order), each read once per process for each field mapping."""
    parts = split_sources(source)
    if len(parts) == 1:
        return _source_rows(source)
    origin: dict[str, str] = {}
    rows: list[Document] = []
    for part in parts:
        docs = _source_rows(part)
        for doc_id in sorted({d.doc_id for d in docs}):
            if doc_id in origin:
                raise ConfigError(
                    f"Document id {doc_id!r} is in two corpus sources, {origin[doc_id]} and {part}; "
                    "rename one, or give a source an id_prefix in replaylab.yaml (e.g. id_prefix: faq/)"
                )
            origin[doc_id] = part
        rows.extend(docs)
    return tuple(rows)


def _source_rows(source: str) -> tuple[Document, ...]:
    opts = _source_options(source)
    key = (source, opts.key())
    if key not in _ROWS:
        if len(_ROWS) >= 8:
            _ROWS.pop(next(iter(_ROWS)))
        _ROWS[key] = _read_base(source, opts)
    return _ROWS[key]


def _read_base(source: str, opts: SourceOptions) -> tuple[Document, ...]:
    path = BUNDLED_CORPUS if source == "bundled" else Path(source)
    if path.is_dir():
        rows: Sequence[BaseModel] = _read_folder(path, opts)
    elif path.suffix == ".jsonl" and (path.exists() or path.is_symlink()):
        rows = _read_jsonl(path, Document, prepare=(lambda n, row: rename_fields(row, opts.fields)) if opts.fields else None)
    else:
        raise ConfigError(f"Corpus {source!r} is neither 'bundled', a folder of .md/.txt files, nor a .jsonl file")
    docs = tuple(r for r in rows if isinstance(r, Document))
    if not docs:
        raise ConfigError(f"Corpus {source!r} holds no documents")
    if opts.id_prefix:
        docs = tuple(d.model_copy(update={"doc_id": opts.id_prefix + d.doc_id}) for d in docs)
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


def _golden_row(path: Path, fields: Mapping[str, str | None]) -> Callable[[int, dict[str, Any]], dict[str, Any]]:
    """Check one golden row strictly: every key known (after the mapping), an answer or `unanswerable: true`."""
    valid = list(GoldenItem.model_fields)

    def prepare(n: int, row: dict[str, Any]) -> dict[str, Any]:
        data = rename_fields(row, fields)
        unknown = [k for k in data if k not in GoldenItem.model_fields]
        if unknown:
            hint = "" if fields else " (or map it in replaylab.yaml under golden.fields)"
            raise ConfigError(f"{path}:{n}: unknown golden field {unknown[0]!r}. Valid: {', '.join(valid)}{hint}")
        if data.get("answer") is None:
            if data.get("unanswerable") is not True:
                raise ConfigError(
                    f'{path}:{n}: the answer is missing or null; give the expected answer, or mark the row "unanswerable": true'
                )
            data["answer"] = "unanswerable"
        return data

    return prepare


def load_golden(path: Path | None = None, *, fields: Mapping[str, str | None] | None = None) -> list[GoldenItem]:
    """The golden set: the bundled one, or a user's .jsonl, read strictly (an unknown field is an error).

    `fields` renames the file's keys to GoldenItem's; by default the project file's `golden.fields`
    when `path` is the project's golden set.
    """
    target = path or BUNDLED_GOLDEN
    if fields is None and path is not None:
        from replaylab.project import active_project

        project = active_project()
        if project is not None and project.golden is not None and project.golden_path() == Path(path).resolve():
            fields = project.golden.fields
    rows = _read_jsonl(target, GoldenItem, prepare=_golden_row(target, fields or {}))
    return [r for r in rows if isinstance(r, GoldenItem)]


def project_golden() -> list[GoldenItem]:
    """The golden set every command and drill uses by default: the active project's (replaylab.yaml),
    else the bundled one."""
    from replaylab.project import active_golden_path

    return load_golden(active_golden_path())
