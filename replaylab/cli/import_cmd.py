"""`replaylab import FORMAT FILE -o DIR`: traces from OpenTelemetry, OpenInference and Langfuse exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from replaylab.cli import app
from replaylab.cli._common import console, err_console, golden_path, short
from replaylab.files import atomic_write_json

_SHOWN_PROBLEMS = 20


@app.command("import")
def import_cmd(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="otel | openinference | langfuse")],
    source: Annotated[Path, typer.Argument(metavar="FILE", help="The export: OTLP JSON / JSON lines, or a Langfuse trace JSON")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the imported trace files")] = Path("traces"),
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the import report as JSON here")] = None,
    dry_run: Annotated[bool, typer.Option(help="Convert and report, write no trace")] = False,
    golden: Annotated[
        Path | None,
        typer.Option(
            "--golden",
            help="Golden set (.jsonl): traces asking one of its questions carry its answer (default: the project's)",
        ),
    ] = None,
) -> None:
    """Turn a trace export from the tracing a team already runs into replaylab traces.

    Maps the question, rendered messages, model requested/returned, sampling, retrieved
    documents (ids, scores, metadata), tool calls, token counts and the versions found in
    resource/span attributes; reports what it could not map, one line per span. Exit 1 when
    no trace could be imported.
    """
    from replaylab.importers import import_file  # an unknown FORMAT is one line listing the valid ones
    from replaylab.stack.corpus import load_golden

    golden = golden_path(golden)
    items = load_golden(golden) if golden is not None else []
    with console.status(escape(f"importing {source} as {fmt}…")):
        report = import_file(fmt, source, out_dir=None if dry_run else out, golden=items)
    table = Table(title=escape(f"imported from {source} ({fmt})"), title_justify="left")
    for col in ("trace", "source trace id", "spans", "question"):
        table.add_column(col)
    for t in report.traces:
        # text from the export is shown as is, never read as Rich markup
        table.add_row(Text(t.trace_id), Text(t.source_trace_id[:40]), str(t.spans), Text(short(t.question, 70)))
    console.print(table)
    where = "converted (dry run)" if dry_run else f"written to {out}"
    console.print(Text(f"{len(report.traces)} trace(s) {where}; {report.spans_mapped} of {report.spans_seen} span(s) mapped"))
    if golden is not None:
        console.print(Text(f"{report.golden_matched} trace(s) matched a question of {golden} and carry its golden answer"))
    if report.unmapped:
        fields = ", ".join(f"{k} ×{n}" for k, n in sorted(report.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))[:12])
        more = f" (+{len(report.unmapped) - 12} more)" if len(report.unmapped) > 12 else ""
        console.print(Text(f"not mapped: {fields}{more}", style="dim"))
    if report.defaulted:
        fields = ", ".join(sorted(report.defaulted))
        console.print(Text(f"defaulted (the export had no value): {fields}", style="dim"))
    for line in report.problems[:_SHOWN_PROBLEMS]:
        err_console.print(Text("warning: ", style="yellow") + Text(line), soft_wrap=True)
    hidden = len(report.problems) - _SHOWN_PROBLEMS + report.problems_dropped
    if hidden > 0:
        err_console.print(f"[yellow]warning:[/yellow] {hidden} more problem line(s); see the --json report")
    if json_out:
        atomic_write_json(json_out, report.model_dump(mode="json"))
        console.print(Text(f"report written to {json_out}"))
    if not report.traces:
        raise typer.Exit(1)
