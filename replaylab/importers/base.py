"""The importer interface, its report, and the one entry point `import_file`.

    report = import_file("openinference", Path("spans.json"), out_dir=Path("traces/"))
    report.traces          # [ImportedTrace(trace_id="imp-...", path="traces/imp-....json", ...)]
    report.unmapped        # {"llm.token_count.prompt_details.cache_read": 2, ...}
    report.problems        # ["span 1f2e... 'embed': span kind 'EMBEDDING' is not mapped", ...]

An importer is registered with `@register("importer", name)`; it turns the bytes of one export
into replaylab traces and says in its report what it could not map.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from replaylab.errors import TraceError
from replaylab.files import read_input_bytes
from replaylab.registry import lookup
from replaylab.trace import Trace, save_trace

if TYPE_CHECKING:
    from replaylab.stack.corpus import GoldenItem

MAX_PROBLEMS = 1000
"""Most problem lines kept in one report (the count of the rest is kept)."""


class ImportedTrace(BaseModel):
    """One trace written by an import."""

    trace_id: str
    """The replaylab trace id (`imp-` + a hash of the format and the source trace id)."""
    source_trace_id: str
    """The trace's id in the source system."""
    path: str
    """Where the trace file was written (empty on a dry run)."""
    question: str
    """The question the trace carries."""
    spans: int
    """How many source spans (or observations) went into it."""


class ImportReport(BaseModel):
    """What one import did, and what it could not map."""

    format: str
    """The importer that ran (`otel`, `openinference`, `langfuse`)."""
    source: str
    """The file imported."""
    out_dir: str = ""
    """Where the traces were written (empty when nothing was written)."""
    traces: list[ImportedTrace] = []
    """Every trace written."""
    spans_seen: int = 0
    """Spans (Langfuse: observations) read from the file."""
    spans_mapped: int = 0
    """Of those, how many contributed to a trace."""
    unmapped: dict[str, int] = {}
    """Source fields present in the export that no trace field holds, with how often each was seen
    (indices shown as N: `llm.input_messages.N.message.contents.N.message_content.image`)."""
    defaulted: dict[str, int] = {}
    """Trace fields the export had no value for, filled with a default, with how many traces."""
    problems: list[str] = []
    """One line per span, observation or trace that could not be (fully) mapped."""
    problems_dropped: int = 0
    """Problem lines past MAX_PROBLEMS, counted but not kept."""
    golden_matched: int = 0
    """Traces whose question matched a golden question (given `--golden`), so they carry its answer."""

    def problem(self, line: str) -> None:
        """Record one problem line (the first MAX_PROBLEMS are kept)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(" ".join(line.split())[:300])
        else:
            self.problems_dropped += 1

    def count_unmapped(self, keys: Counter[str]) -> None:
        for key, n in keys.items():
            self.unmapped[key] = self.unmapped.get(key, 0) + n

    def default(self, field: str) -> None:
        """Note that `field` of one trace was filled with a default."""
        self.defaulted[field] = self.defaulted.get(field, 0) + 1


_INDEX = re.compile(r"\.\d+(?=\.|$)")


def field_pattern(key: str) -> str:
    """A flattened attribute key with its list indices shown as N."""
    return _INDEX.sub(".N", key)[:120]


class Attrs:
    """A span's attributes that remembers which keys were read, so the rest can be reported unmapped."""

    def __init__(self, attrs: dict[str, Any]) -> None:
        self.data = attrs
        self.used: set[str] = set()

    def get(self, key: str) -> Any:
        if key in self.data:
            self.used.add(key)
            return self.data[key]
        return None

    def text(self, key: str) -> str | None:
        value = self.get(key)
        return None if value is None else (value if isinstance(value, str) else _json_text(value))

    def number(self, key: str) -> float | None:
        value = self.get(key)
        return as_number(value)

    def indexed(self, prefix: str) -> list[Item]:
        """`prefix.N.rest` keys grouped by N (sorted by N); read each one's fields with `Item.get`."""
        groups: dict[int, dict[str, Any]] = {}
        head = prefix + "."
        for key, value in self.data.items():
            if not key.startswith(head):
                continue
            idx, _, rest = key[len(head) :].partition(".")
            if idx.isdigit() and len(idx) < 7:
                groups.setdefault(int(idx), {})[rest] = value
        return [Item(self, f"{head}{i}", fields) for i, fields in sorted(groups.items())]

    def touch(self, *keys: str) -> None:
        """Mark keys as mapped (read elsewhere, or deliberately dropped as noise)."""
        self.used.update(k for k in keys if k in self.data)

    def unused(self) -> Counter[str]:
        return Counter(field_pattern(k) for k in self.data if k not in self.used)


class Item:
    """One `prefix.N` entry of an indexed attribute list (a message, a document, a tool call)."""

    def __init__(self, attrs: Attrs, prefix: str, fields: dict[str, Any]) -> None:
        self.attrs, self.prefix, self.fields = attrs, prefix, fields

    def get(self, rest: str) -> Any:
        if rest in self.fields:
            self.attrs.touch(f"{self.prefix}.{rest}")
            return self.fields[rest]
        return None

    def sub(self, prefix: str) -> list[Item]:
        """The indexed list under this entry (`message.tool_calls` -> each tool call)."""
        return self.attrs.indexed(f"{self.prefix}.{prefix}")

    def under(self, prefix: str) -> dict[str, Any]:
        """Fields under `prefix.` as {rest: value} (a flattened metadata object), all marked read."""
        head = prefix + "."
        found = {k[len(head) :]: v for k, v in self.fields.items() if k.startswith(head)}
        self.attrs.touch(*(f"{self.prefix}.{head}{k}" for k in found))
        return found


def as_number(value: Any) -> float | None:
    """A finite number from an int, float or numeric string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _json_text(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


class Importer(ABC):
    """An export format. Subclasses register with `@register("importer", name)`."""

    name: ClassVar[str]
    description: ClassVar[str]
    """One line for `replaylab import --help`."""

    @abstractmethod
    def convert(self, data: bytes, *, source: Path, report: ImportReport) -> list[Trace]:
        """The traces in one export file; what cannot be mapped goes into `report`."""


def get_importer(name: str) -> Importer:
    """The importer registered as `name` (UnknownPlugin lists the valid ones)."""
    cls = lookup("importer", name)
    inst: Importer = cls()
    return inst


def _question_key(text: str) -> str:
    return " ".join(text.lower().split()).rstrip("?.! ")


def attach_golden(traces: list[Trace], golden: Sequence[GoldenItem], report: ImportReport) -> list[Trace]:
    """Give each trace whose question is a golden question (case and spacing aside) its golden answer."""
    from replaylab.stack.pipeline import golden_of  # the one GoldenItem -> Golden mapping

    by_question = {_question_key(g.question): g for g in golden}
    out = []
    for trace in traces:
        item = by_question.get(_question_key(trace.question))
        if item is None:
            out.append(trace)
            continue
        report.golden_matched += 1
        gold = golden_of(item)
        out.append(trace.model_copy(update={"golden": gold}))
    return out


def import_file(fmt: str, source: Path, *, out_dir: Path | None, golden: Sequence[GoldenItem] = ()) -> ImportReport:
    """Import every trace in `source`; write them to `out_dir` (None: convert and report only).
    With `golden`, a trace whose question is a golden question carries its golden answer.

    A file that is missing, not UTF-8, not JSON or over the limits is one TraceError line; a span
    that cannot be mapped is one line in the report."""
    importer = get_importer(fmt)
    data = read_input_bytes(source, what=f"export ({fmt})", error=TraceError)
    report = ImportReport(format=fmt, source=str(source))
    traces = importer.convert(data, source=source, report=report)
    if golden:
        traces = attach_golden(traces, golden, report)
    if out_dir is not None:
        report.out_dir = str(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise TraceError(f"Output {out_dir} is a file; give a folder for the imported traces")
    for trace in traces:
        path = out_dir / f"{trace.trace_id}.json" if out_dir is not None else Path(f"{trace.trace_id}.json")
        if out_dir is not None:
            save_trace(trace, path)
        report.traces.append(
            ImportedTrace(
                trace_id=trace.trace_id,
                source_trace_id=trace.tags.get("import.source_trace_id", ""),
                path=str(path) if out_dir is not None else "",
                question=trace.question,
                spans=int(trace.tags.get("import.spans", "0") or 0),
            )
        )
    return report
