"""`replaylab bench`: measure and print the performance figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import console
from replaylab.files import atomic_write_text


def _rows(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out += _rows(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    return [(prefix, json.dumps(value) if not isinstance(value, str) else value)]


@app.command()
def bench(
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures as JSON")] = None,
    quick: Annotated[bool, typer.Option(help="100k vectors instead of 1M")] = False,
) -> None:
    """Measure bisect wall time (cold/warm), replay throughput, replay counts, FAISS at 1M, memory."""
    from replaylab.bench.figures import run_bench

    with console.status("benchmarking…") as status:
        result = run_bench(lambda msg: status.update(msg), quick=quick)
    table = Table(title="replaylab bench", title_justify="left")
    table.add_column("figure")
    table.add_column("value")
    for key, value in _rows("", result):
        table.add_row(key, value)
    console.print(table)
    if json_out:
        atomic_write_text(json_out, json.dumps(result, indent=2))
        console.print(f"written to {json_out}")
