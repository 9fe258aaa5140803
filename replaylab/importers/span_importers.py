"""The two span importers, `otel` and `openinference`: one OTLP JSON file, both conventions' readers.

    replaylab import otel spans.json -o traces/
    replaylab import openinference spans.json -o traces/

A RAG app instrumented with both conventions writes GenAI LLM spans under OpenInference
RETRIEVER spans, so each importer tries both span readers, its own convention's first:
`read_genai_span` (otel.py) and `read_openinference_span` (openinference.py). They live here,
above both readers, so neither reader module imports the other.
"""

from __future__ import annotations

from pathlib import Path

from replaylab.importers.base import Importer, ImportReport
from replaylab.importers.openinference import KIND, read_openinference_span
from replaylab.importers.otel import read_genai_span
from replaylab.importers.otlp import SpanRecord, read_spans
from replaylab.importers.spans import convert_spans
from replaylab.registry import register
from replaylab.trace import Trace

__all__ = ["OpenInferenceImporter", "OtelImporter"]


def _explain_otel(span: SpanRecord) -> str:
    """Why the otel importer did not map a span, in one line."""
    return f"no gen_ai.* and no openinference.span.kind attributes (kind {span.kind or 'unset'}); not mapped"


def _explain_openinference(span: SpanRecord) -> str:
    """Why the openinference importer did not map a span, in one line."""
    if any(k.startswith("gen_ai.") for k in span.attributes):
        return "GenAI attributes the OTel reader could not map either; skipped"
    return f"no {KIND} attribute and no gen_ai.* attributes; not mapped"


@register("importer", "otel")
class OtelImporter(Importer):
    """OTLP JSON (or SDK JSON) of OpenTelemetry GenAI spans."""

    name = "otel"
    description = "OpenTelemetry GenAI spans (gen_ai.*; Traceloop gen_ai.prompt.N.*; GenAI events), OTLP JSON"

    def convert(self, data: bytes, *, source: Path, report: ImportReport) -> list[Trace]:
        spans = read_spans(data, path=source)
        return convert_spans(
            spans, fmt=self.name, readers=(read_genai_span, read_openinference_span), report=report, explain=_explain_otel
        )


@register("importer", "openinference")
class OpenInferenceImporter(Importer):
    """OTLP JSON (or SDK JSON) of OpenInference spans, as Phoenix and its instrumentors export them."""

    name = "openinference"
    description = "OpenInference spans (llm.*, retrieval.documents.*, openinference.span.kind), OTLP JSON"

    def convert(self, data: bytes, *, source: Path, report: ImportReport) -> list[Trace]:
        spans = read_spans(data, path=source)
        return convert_spans(
            spans,
            fmt=self.name,
            readers=(read_openinference_span, read_genai_span),
            report=report,
            explain=_explain_openinference,
        )
