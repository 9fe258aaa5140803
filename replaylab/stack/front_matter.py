"""A user's documents as replaylab reads them: YAML front matter and field mappings.

    ---
    title: Rotating API keys
    source: security-handbook
    ingested_at: 2026-03-02
    ---
    # Rotating API keys
    ...

The front matter between the first two `---` lines gives the document's title, source,
ingested_at (or `date`), topic and doc_id, and is cut from the text that gets chunked. What it
does not give falls back, in this order: title -> the first Markdown heading, else the first
line, else the file name; source -> the project's default, else the sub-folder, else the corpus
folder's name; ingested_at -> the project's default, else the file's modification date.
A project file's field mapping renames keys first (`{name: title, published: ingested_at}`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from replaylab.errors import ConfigError

_FENCE = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
DOCUMENT_FIELDS = ("doc_id", "title", "source", "topic", "ingested_at", "text")
_DATE_KEYS = ("ingested_at", "date")


@dataclass(frozen=True)
class SourceOptions:
    """How one corpus source is read: the project file's field mapping and fallbacks."""

    fields: Mapping[str, str | None] = field(default_factory=dict)
    """Your key -> replaylab's Document field (None: drop the key)."""
    source: str | None = None
    """Source of a document that names none."""
    ingested_at: date | None = None
    """Ingestion date of a document that gives none."""
    id_prefix: str = ""
    """Prepended to every document id of the source."""

    def key(self) -> tuple[Any, ...]:
        return (tuple(sorted((k, v or "") for k, v in self.fields.items())), self.source, self.ingested_at, self.id_prefix)


def split_front_matter(text: str, *, where: str) -> tuple[dict[str, Any], str]:
    """(front matter mapping, the text after it). No front matter: ({}, text). Malformed: one ConfigError."""
    m = _FENCE.match(text)
    if m is None:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark is not None else ""
        raise ConfigError(f"{where}: the front matter is not valid YAML{line}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the front matter is not a mapping of keys to values")
    return {str(k): v for k, v in data.items()}, text[m.end() :]


def rename_fields(row: Mapping[str, Any], fields: Mapping[str, str | None]) -> dict[str, Any]:
    """`row` with its keys renamed by the mapping (a key mapped to None is dropped)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        target = fields.get(key, key)
        if target is None:
            continue
        out[target] = value
    return out


def _as_date(value: Any, *, where: str, key: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).date()
    except ValueError:
        raise ConfigError(f"{where}: {key} {value!r} is not a date (YYYY-MM-DD)") from None


def _title(body: str, fallback: str) -> str:
    m = _HEADING.search(body)
    if m:
        return m.group(1).strip()
    return next((ln.strip() for ln in body.splitlines() if ln.strip()), fallback)


def document_fields(path: Path, folder: Path, raw: str, opts: SourceOptions) -> dict[str, Any]:
    """The Document fields of one .md/.txt file of a folder corpus, whose text is `raw`."""
    rel = path.relative_to(folder)
    where = str(path)
    meta, body = split_front_matter(raw, where=where)
    meta = rename_fields(meta, opts.fields)
    when = next((meta[k] for k in _DATE_KEYS if meta.get(k) not in (None, "")), None)
    if when is not None:
        stamp = _as_date(when, where=where, key="ingested_at")
    else:
        stamp = opts.ingested_at or date.fromtimestamp(path.stat().st_mtime)
    fallback_source = rel.parts[0] if len(rel.parts) > 1 else (folder.name or "local")
    return {
        "doc_id": str(meta.get("doc_id") or rel.with_suffix("")),
        "title": str(meta.get("title") or _title(body, path.stem)),
        "source": str(meta.get("source") or opts.source or fallback_source),
        "topic": str(meta.get("topic") or ""),
        "ingested_at": stamp,
        "text": body.lstrip("\r\n"),
    }
