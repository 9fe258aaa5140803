"""`replaylab drill`: run fault scenarios as chaos drills."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack, short
from replaylab.drills.fault import run_drill
from replaylab.drills.journal import DrillJournal
from replaylab.errors import ConfigError
from replaylab.files import atomic_write_text
from replaylab.scenario import load_scenario, scenario_names


def _shown(value: object) -> str:
    """A journal value for a table cell: floats to three significant digits."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return json.dumps(value, default=str)


def _print_journal(j: DrillJournal) -> None:
    mark = "[green]PASSED[/green]" if j.passed else f"[red]DEVIATED[/red] ({j.status})"
    console.print(f"\n[bold]{j.scenario}[/bold] — {j.title}: {mark} in {j.elapsed_s:.1f}s")
    if j.error:
        console.print(f"  {j.error}")
    if j.power is not None:
        p = j.power
        need = "no drop to see" if p.n_required is None else f"{p.n_required} needed"
        console.print(
            f"  power: {p.n_used} requests per window, {need} (p0 {p.p0:.0%} -> p1 {p.p1:.0%}, "
            f"alpha {p.alpha:g}, power {p.power:.0%})",
            markup=False,
        )
    for w in j.warnings:
        console.print(f"  [yellow]warning[/yellow]: {w}")
    table = Table(show_header=True, title_justify="left")
    for col in ("step", "time", "what happened"):
        table.add_column(col)
    for s in j.steps:
        detail = ", ".join(f"{k}={short(_shown(v), 60)}" for k, v in s.detail.items() if k != "measured")
        table.add_row(s.name, f"{s.elapsed_s:.2f}s", detail)
    console.print(table)
    _print_rates(j)
    exp = Table(show_header=True)
    for col in ("expectation", "expected", "actual", ""):
        exp.add_column(col)
    for e in j.expectations:
        actual = _shown(e.actual) if isinstance(e.actual, float) else str(e.actual)
        exp.add_row(e.name, short(str(e.expected), 40), short(actual, 50), "✓" if e.met else "[red]✗[/red]")
    console.print(exp)
    if j.summary:
        console.print(j.summary, markup=False, soft_wrap=True)


def _print_rates(j: DrillJournal) -> None:
    """The detect step's detectors with their measured TP and FP rates (or why there are none)."""
    from replaylab.drills.rates import rate_line
    from replaylab.drills.steps import DetectStep

    step = j.find(DetectStep)
    if step is None or not step.detail.measured:
        return
    table = Table(title="detectors used, with their measured rates (replaylab detectors measure)", title_justify="left")
    for col in ("detector", "fired here", "measured TP / FP"):
        table.add_column(col)
    for r in step.detail.measured:
        table.add_row(r.detector, "✓" if r.detector in step.detail.fired else "–", rate_line(r))
    console.print(table)


def _print_summary(journals: list[DrillJournal], total: float) -> None:
    summary = Table(title=f"drills: {sum(j.passed for j in journals)}/{len(journals)} passed in {total:.1f}s")
    for col in ("scenario", "passed", "detected by", "layer", "bisect", "recovered", "time"):
        summary.add_column(col)
    for j in journals:
        summary.add_row(
            j.scenario,
            "✓" if j.passed else "[red]✗[/red]",
            ", ".join(j.detected_by),
            j.diagnosed_layer or "–",
            ", ".join(j.bisect_causes) or "–",
            "✓" if j.recovered else "✗",
            f"{j.elapsed_s:.1f}s",
        )
    console.print(summary)


@app.command()
def drill(
    scenario: Annotated[
        list[str] | None,
        typer.Argument(help="Scenario names (see scenarios/, e.g. embedding-drift or gemma/context-position-burial) or paths"),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every scenario in scenarios/ (sandbox reader)")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the journal(s) as JSON")] = None,
    html: Annotated[Path | None, typer.Option(help="Write an HTML report")] = None,
    diagnose: Annotated[int, typer.Option(min=1, help="Failing traces to diagnose one by one (5 replays each)")] = 5,
) -> None:
    """Steady state → inject → traffic → detect → diagnose → bisect → rollback → verify. Exit 1 on deviation."""
    if all_ == bool(scenario):
        raise ConfigError("Give SCENARIO names or --all")
    names = scenario_names() if all_ else list(scenario or [])
    scenarios = [load_scenario(n) for n in names]
    stack = get_stack()
    base = base_config(None)
    journals: list[DrillJournal] = []
    start = time.perf_counter()
    for sc in scenarios:
        with console.status(f"{sc.name}: starting") as status:
            stamp = time.strftime("%Y%m%dT%H%M%S")

            def progress(step: str, name: str = sc.name) -> None:
                status.update(f"{name}: {step}")

            journal = run_drill(
                sc,
                stack=stack,
                base=base,
                traces_dir=stack.ws.runs / "drills" / f"{sc.name}-{stamp}",
                progress=progress,
                diagnose_traces=diagnose,
            )
        journals.append(journal)
        _print_journal(journal)
    if len(journals) > 1:
        _print_summary(journals, time.perf_counter() - start)
    if json_out:
        payload = [j.model_dump(mode="json") for j in journals]
        atomic_write_text(json_out, json.dumps(payload[0] if len(names) == 1 and not all_ else payload, indent=2))
        console.print(f"journal written to {json_out}")
    if html:
        from replaylab.cli.report import drill_html

        atomic_write_text(html, drill_html(journals))
        console.print(f"HTML report written to {html}")
    if any(not j.passed for j in journals):
        raise typer.Exit(1)


@app.command()
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Scenario name or path (its baseline names the model)")],
    per_topic: Annotated[int, typer.Option(min=1, help="Passing questions to keep per topic")] = 2,
    all_questions: Annotated[
        bool, typer.Option("--all-questions", help="Try every golden question, not only those the fault puts at risk")
    ] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the calibration as JSON")] = None,
) -> None:
    """Pick a scenario's traffic for its model: golden questions it answers in the steady state."""
    from replaylab.drills.calibrate import calibrate as run_calibration

    sc = load_scenario(scenario)
    stack = get_stack()
    with console.status(f"{sc.name}: steady state") as status:
        tried = 0

        def step(qid: str) -> None:
            nonlocal tried
            tried += 1
            status.update(f"{sc.name}: steady state, question {tried} ({qid})")

        cal = run_calibration(
            sc, stack=stack, base=base_config(None), per_topic=per_topic, at_risk_only=not all_questions, step=step
        )
    table = Table(
        title=f"{cal.scenario} on {cal.model}: {len(cal.picked)} picked of {len(cal.rows)} tried "
        f"({cal.candidates} candidates) in {cal.seconds:.1f}s"
    )
    for col in ("qid", "topic", "steady state", "output"):
        table.add_column(col)
    for r in cal.rows:
        table.add_row(r.qid, r.topic, "pass" if r.passed else "[red]fail[/red]", short(r.output, 70))
    console.print(table)
    if cal.short_topics:
        console.print(f"fewer than {per_topic} passing questions in: {', '.join(cal.short_topics)}")
    console.print(f"traffic:\n  sample: 0\n  qids: [{', '.join(cal.picked)}]\n  include_affected: false", markup=False)
    if json_out:
        atomic_write_text(json_out, cal.model_dump_json(indent=2))
        console.print(f"calibration written to {json_out}")
