"""`replaylab detect` and `replaylab detectors measure`: every detector on a user's own traces, and
each detector's measured true- and false-positive rates.

    replaylab detect --traces prod/today/ --baseline prod/last-week/
    replaylab detectors measure --clean-windows 21 --markdown detectors.md
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack, golden_path, short
from replaylab.errors import InputError, TraceError
from replaylab.files import atomic_write_text
from replaylab.trace import Trace, load_trace

if TYPE_CHECKING:
    from replaylab.detectors.measure import DetectorTable

detectors_app = typer.Typer(no_args_is_help=True, help="The detectors: measure their TP and FP rates.")
app.add_typer(detectors_app, name="detectors")

MILD_FAULTS: dict[str, dict[str, Any]] = {"top-k-truncation": {"top_k": 3}}
"""Faults measured at a mild setting rather than their default: top_k 5 -> 3 (not 5 -> 1) is the
drop quality-drop must catch (95 % -> 76 % correct on golden traffic)."""


def load_trace_dir(folder: Path, *, what: str) -> list[Trace]:
    """Every trace under `folder` (`*.json` and `*/trace.json`, recursively), oldest first."""
    if not folder.is_dir():
        raise InputError(f"{what} {folder} is not a folder")
    traces: list[Trace] = []
    for p in sorted(folder.rglob("*.json")):
        try:
            traces.append(load_trace(p))
        except TraceError:
            continue  # a journal or report next to the traces
    if not traces:
        raise InputError(f"{what} {folder} holds no trace files (*.json with a trace_id)")
    return sorted(traces, key=lambda t: t.created_at)


def replay_baseline(window: list[Trace]) -> tuple[list[Trace], str]:
    """The window's questions replayed under the declared baseline: what the known-good
    configuration answers to the same traffic (sandbox models only: nothing leaves the machine)."""
    if any(t.retrieval is None for t in window):
        raise InputError("Some traces have no retrieval (agent sessions or routed traffic): give --baseline DIR")
    if any(not t.config.model.startswith("sandbox-reader") for t in window):
        raise InputError("The traces are from a real model: give --baseline DIR (traces from before the incident)")
    baseline = base_config(None, over=window[0].config)
    if baseline.corpus.source == "bundled" and window[0].config.corpus.source != "bundled":
        raise InputError("The traces ran on your own corpus and the bundled baseline does not: give --baseline DIR")
    stack = get_stack()
    with console.status(f"replaying {len(window)} questions under the baseline…"):
        out = [stack.run(t.question, baseline, golden=t.golden, tags={"window": "baseline"}) for t in window]
    return out, f"the window's {len(window)} questions replayed under the declared baseline"


@app.command("detect")
def detect_cmd(
    traces: Annotated[Path, typer.Option("--traces", help="A folder of production traces: the window to check")],
    baseline: Annotated[
        Path | None,
        typer.Option(help="A folder of traces from before (default: the window's questions replayed on the baseline)"),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write every detection as JSON")] = None,
) -> None:
    """Run every registered detector over a window of traces against a baseline. Exit 1 if any fires."""
    from replaylab.detectors import run_detectors
    from replaylab.registry import lookup

    window = load_trace_dir(traces, what="--traces")
    if baseline is not None:
        base, where = load_trace_dir(baseline, what="--baseline"), f"{baseline}"
    else:
        base, where = replay_baseline(window)
    stack = get_stack()
    with console.status("running the detectors…"):
        detections, fired = run_detectors(window, base, stack=stack)
    console.print(f"[bold]window:[/bold] {len(window)} traces from {traces}; [bold]baseline:[/bold] {len(base)} ({where})")
    table = Table(title="detectors", title_justify="left")
    for col in ("detector", "layer", "fired", "statistic", "threshold", "p", "why"):
        table.add_column(col)
    for d in detections:
        layer = getattr(lookup("detector", d["detector"]), "layer", "")
        mark = "[bold red]FIRED[/bold red]" if d.get("fired") else ("[yellow]error[/yellow]" if d.get("error") else "–")
        p = d.get("p_value")
        table.add_row(
            d["detector"],
            layer,
            mark,
            "" if "statistic" not in d else f"{d['statistic']:.3g}",
            "" if "threshold" not in d else f"{d['threshold']:.3g}",
            "" if p is None else f"{p:.2g}",
            escape(short(d.get("error") or d.get("reason", ""), 160)),
        )
    console.print(table)
    console.print(f"fired: {', '.join(fired) or 'none'}")
    if json_out:
        report = {"window": len(window), "baseline": len(base), "detections": detections}
        atomic_write_text(json_out, json.dumps(report, indent=2))
        console.print(f"JSON written to {json_out}")
    if fired:
        raise typer.Exit(1)


def measured_faults(only: list[str] | None) -> list[Any]:
    """Each detector's own faults (mild settings from MILD_FAULTS), or the ones named with --fault."""
    from replaylab.detectors.measure import OWN_FAULTS
    from replaylab.registry import lookup

    names = sorted({f for fs in OWN_FAULTS.values() for f in fs})
    for name in only or []:
        if name not in names:
            raise InputError(f"Unknown fault {name!r} for --fault. Valid: {names}")
    return [lookup("fault", n)(**MILD_FAULTS.get(n, {})) for n in names if not only or n in only]


@detectors_app.command("measure")
def measure_cmd(
    windows: Annotated[int, typer.Option(min=1, max=100, help="Fault windows per fault")] = 5,
    clean_windows: Annotated[
        int, typer.Option(min=1, max=200, help="Clean windows (21 or more resolve an FP rate below 5 %)")
    ] = 21,
    window_size: Annotated[int, typer.Option(min=5, max=500, help="Golden requests per window")] = 20,
    baseline_size: Annotated[int, typer.Option(min=10, max=1000, help="Requests in the baseline window")] = 100,
    fault: Annotated[list[str] | None, typer.Option(help="Measure only this fault (repeatable)")] = None,
    traffic: Annotated[
        str,
        typer.Option(
            help="mixed: random golden questions (what production sees); affected: the questions the fault "
            "breaks first, padded with random ones (a complaint cluster)"
        ),
    ] = "mixed",
    seed: Annotated[int, typer.Option(help="Seed for the window sampling")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the table as JSON")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write the table as markdown")] = None,
) -> None:
    """Each detector's TP rate on its own fault(s) and FP rate on clean golden traffic, measured."""
    from replaylab.detectors.measure import Traffic, measure_detectors, save_measured
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.deployment import Deployment

    if traffic not in ("mixed", "affected"):
        raise InputError(f"--traffic {traffic!r}: expected mixed or affected")
    stack = get_stack()
    golden = load_golden(golden_path(None))
    faults = measured_faults(fault)
    with console.status("measuring…") as status:
        table = measure_detectors(
            stack,
            deployment=Deployment.capture(stack, base_config(None)),
            golden=golden,
            faults=faults,
            traffic=cast(Traffic, traffic),
            windows=windows,
            window_size=window_size,
            clean_windows=clean_windows,
            baseline_size=baseline_size,
            seed=seed,
            progress=lambda text: status.update(f"measuring: {text}"),
        )
    console.print(_measured_table(table, traffic=traffic, window_size=window_size, clean_windows=clean_windows))
    for kind, why in {**table.skipped, **table.errors}.items():
        console.print(f"[yellow]{escape(kind)}: {escape(short(why, 200))}[/yellow]")
    kept = save_measured(stack.ws.root, table)
    console.print(f"measurement kept in {kept} (load_measured reads it back for drill journals)")
    if json_out:
        atomic_write_text(json_out, table.model_dump_json(indent=2))
        console.print(f"JSON written to {json_out}")
    if markdown:
        atomic_write_text(markdown, table.markdown() + "\n")
        console.print(f"markdown written to {markdown}")


def _measured_table(table: DetectorTable, *, traffic: str, window_size: int, clean_windows: int) -> Table:
    """Each detector's TP rate per fault and FP rate on clean windows (detectors with no fault row too)."""
    out = Table(
        title=f"detectors ({traffic} traffic): {window_size} requests a window, baseline {table.baseline_requests}, "
        f"FP resolution {1 / clean_windows:.1%}",
        title_justify="left",
    )
    for col in ("detector", "fault", "questions it breaks", "TP rate", "FP rate (clean windows)"):
        out.add_column(col)
    for r in table.rows:
        out.add_row(
            r.detector, r.fault, str(r.affected), f"{r.tp_rate:.0%} of {r.windows}", f"{r.fp_rate:.0%} of {r.clean_windows}"
        )
    shown = {r.detector for r in table.rows}
    for name, n in sorted(table.clean_fired.items()):
        if name not in shown:
            out.add_row(name, "(none on golden traffic)", "–", "–", f"{n / clean_windows:.0%} of {clean_windows}")
    return out
