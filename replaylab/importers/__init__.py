"""Trace importers: what teams already record, turned into replaylab traces.

    from replaylab.importers import import_file
    report = import_file("otel", Path("spans.json"), out_dir=Path("traces/"))

One importer per format, registered as kind `importer`: `otel` (OpenTelemetry GenAI spans),
`openinference` (OpenInference / Phoenix spans), `langfuse` (Langfuse public-API trace
exports). Every importer reports what it could not map, one line per span.
"""

from replaylab.importers.base import ImportedTrace, Importer, ImportReport, get_importer, import_file

__all__ = ["ImportReport", "ImportedTrace", "Importer", "get_importer", "import_file"]
