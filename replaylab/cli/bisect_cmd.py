"""`replaylab bisect`: name the variable that causes a failing trace."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from replaylab.bisection.engine import BisectResult, Step
from replaylab.bisection.trace_bisector import TraceBisector, reproduce_command, resolve_good
from replaylab.cli import app
from replaylab.cli._common import (
    base_config,
    baseline_desc,
    check_outputs,
    console,
    get_stack,
    on_project_stack,
    short,
    stack_line,
)
from replaylab.config import RunConfig
from replaylab.files import atomic_write_text
from replaylab.trace import Trace, load_trace

PRODUCTION_READER = RunConfig().model
"""The model the bundled baseline pins for traces served by a sandbox reader version."""


def pinned_baseline(recorded: Trace) -> tuple[RunConfig, str]:
    """The declared baseline with `model` pinned, and a note on where the model came from.

    baseline.yaml leaves `model` out so that one baseline serves every backend. For a trace served
    by a sandbox reader version the baseline pins the production reader: a trace recorded on 1.1
    then differs in `model`, so a model + context_order interaction is not blamed on the order
    alone. A project file's baseline, or a trace from another backend (Gemma, an HTTP provider),
    keeps the model the trace asked for, and the note says so."""
    base = base_config(None, over=recorded.config)
    if "project baseline" in baseline_desc():
        return base, ""
    if recorded.config.model.startswith("sandbox-reader"):
        return base.model_copy(update={"model": PRODUCTION_READER}), f"model pinned to {PRODUCTION_READER}"
    return base, f"model {recorded.config.model} taken from the trace (no pin for this backend: --good to compare models)"


def fail_threshold(fail_rate: float | None) -> float:
    """The engine's `pass_threshold` for `--fail-rate F`: a configuration fails when at least F of
    its resolved seeds fail, i.e. passes only when its pass rate is above 1 - F."""
    if fail_rate is None:
        return 0.5
    return min(1.0, math.nextafter(1.0 - fail_rate, 2.0))


def version_label(variable: str, value: object, index: int) -> str:
    """A history entry as people number it: 1-based, with the version id when it has one."""
    if isinstance(value, str) and "@" in value:
        return value
    return f"version {index + 1}"


def value_change(good: object, bad: object) -> str:
    """`good → bad`, showing only the fields that differ when both are mappings."""
    if isinstance(good, dict) and isinstance(bad, dict):
        keys = [k for k in sorted(set(good) | set(bad)) if good.get(k) != bad.get(k)]
        return ", ".join(f"{k}: {json.dumps(good.get(k))} → {json.dumps(bad.get(k))}" for k in keys)
    return f"{json.dumps(good)} → {json.dumps(bad)}"


def print_result(result: BisectResult, *, good_desc: str, histories: dict[str, list[Any]] | None = None) -> None:
    """The terminal report: verdict, swaps table, causes, rollback."""
    console.print(f"[bold]good reference:[/bold] {escape(good_desc)}")
    rep = "reproducible" if result.reproducible else "[red]NOT reproducible[/red]"
    console.print(
        f"[bold]{rep}[/bold]: bad fails {result.bad_fail_rate:.0%}, good passes {result.good_pass_rate:.0%} "
        f"over {len(result.seeds)} seed(s); differing: {', '.join(result.differing) or 'none'}"
    )
    threshold_fail = 1.0 - result.pass_threshold
    if not result.reproducible and result.bad_fail_rate > 0.0 and result.good_pass_rate >= result.pass_threshold:
        console.print(
            f"[yellow]the bad configuration fails {result.bad_fail_rate:.0%} of seeds, below the fail-rate threshold "
            f"({max(threshold_fail, 0.0):.0%}): an intermittent failure? re-run with "
            f"--fail-rate {max(0.01, round(result.bad_fail_rate, 2)):g} --seeds {max(10, 2 * len(result.seeds))}[/yellow]"
        )
    if result.swaps:
        console.print(_swaps_table(result))
    for c in result.causes:
        console.print(
            f"[bold red]cause:[/bold red] {c.variable} ({c.layer} layer): "
            f"{escape(short(value_change(c.good_value, c.bad_value), 140))}"
        )
    for group in result.interactions:
        if len(group) == 1:
            console.print(f"[bold red]independent cause:[/bold red] {group[0]} fails on its own (revert it too)")
        else:
            console.print(f"[bold red]interaction:[/bold red] {', '.join(group)} fail only together")
    _print_versions(result, histories)
    if result.culprit_chunks:
        console.print(f"[bold]culprit chunks:[/bold] {escape(', '.join(result.culprit_chunks))}")
    for step in result.rollback:
        console.print(f"[bold]rollback:[/bold] {escape(step)}")
    if result.unresolved:
        _print_unresolved(result)
    console.print(
        f"{result.replays} replays ({result.cache_hits} memo hits, {result.unresolved} unresolved) in "
        f"{result.elapsed_s:.2f}s — {escape(result.stopped_because)}"
    )
    console.print(f"[dim]reproduce: {result.reproduce}[/dim]")


def _swaps_table(result: BisectResult) -> Table:
    """Each differing variable swapped alone: its fix and cause rates and the verdict."""
    table = Table(title="one variable at a time", title_justify="left")
    for col in ("variable", "layer", "bad→good fixes", "good→bad breaks", "verdict"):
        table.add_column(col)
    layers = {c.variable: c.layer for c in result.causes}
    from replaylab.variables import layer_of

    for s in result.swaps:
        verdict = "[bold red]CAUSE[/bold red]" if s.fixes and s.causes else ("fixes only" if s.fixes else "–")
        table.add_row(
            s.variable,
            layers.get(s.variable) or layer_of(s.variable),
            "–" if s.fix_rate is None else f"{s.fix_rate:.0%}",
            "–" if s.cause_rate is None else f"{s.cause_rate:.0%}",
            verdict,
        )
    return table


def _print_versions(result: BisectResult, histories: dict[str, list[Any]] | None) -> None:
    """The first-bad-version search of each cause, with labels when its history is known."""
    for fb in result.first_bad_version:
        hist = (histories or {}).get(fb.variable)
        if hist:
            good_label = version_label(fb.variable, hist[fb.last_good_index], fb.last_good_index)
            bad_label = version_label(fb.variable, fb.value, fb.index)
            console.print(
                f"[bold]version search[/bold] over {len(hist)} versions of {fb.variable} ({fb.replays} replays): "
                f"passes at {escape(good_label)}, fails from {escape(bad_label)} (of {len(hist)}, oldest = 1): "
                f"{escape(short(value_change(hist[fb.last_good_index], fb.value), 120))}"
            )
        else:
            console.print(
                f"[bold]first bad version[/bold] of {fb.variable}: {escape(version_label(fb.variable, fb.value, fb.index))} "
                f"(last good: version {fb.last_good_index + 1}, oldest = 1)"
            )


def _print_unresolved(result: BisectResult) -> None:
    """How many replays did not resolve, an example reason, and the cassette hint when none did."""
    reasons = [st.result.reason for st in result.steps if st.result.passed is None and st.result.reason]
    every = result.unresolved == result.replays
    count = f"all {result.replays} replays" if every else f"{result.unresolved} of {result.replays} replays"
    console.print(
        f"[{'red' if every else 'yellow'}]{count} unresolved"
        + (f", e.g. {escape(short(reasons[0], 300))}" if reasons else "")
        + "[/]"
    )
    if every and any("CassetteMiss" in r for r in reasons):
        console.print("[red]the cassette holds none of these requests: re-run with --live to record them[/red]")


def _print_header(t: Trace, path: Path) -> None:
    out = t.generation.output if t.generation else "(no generation)"
    console.print(
        f"[bold]trace[/bold] {t.trace_id} ({path}) at {t.created_at:%Y-%m-%d %H:%M} — "
        f"model {t.versions.mrv.returned}, "
        f"prompt {t.versions.ppv}, index {t.versions.index_snapshot}"
    )
    console.print(f"[bold]question:[/bold] {t.question}")
    console.print(
        f"[bold]answered:[/bold] {short(out, 120)}" + (f"   [bold]expected:[/bold] {t.golden.answer}" if t.golden else "")
    )


@app.command("bisect")
def bisect_cmd(
    trace: Annotated[Path, typer.Argument(help="The failing trace (JSON)")],
    good: Annotated[str | None, typer.Option(help="Good reference: config file, passing trace, or prod@YYYY-MM-DD")] = None,
    seeds: Annotated[
        int | None, typer.Option(min=1, max=100, help="Seeds per configuration (default 1 if greedy, else 5)")
    ] = None,
    live: Annotated[bool, typer.Option(help="Call the model live where the cassette has no recording")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON")] = None,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report")] = None,
    fail_rate: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            max=1.0,
            help="Count a configuration as failing when at least this share of its seeds fail (default 0.5; "
            "lower it, with more --seeds, for an intermittent sampling fault)",
        ),
    ] = None,
) -> None:
    """Find the variable(s) whose swap fixes a failing trace, with evidence. Exit 1 if not reproducible."""
    good_file = Path(good) if good is not None and not good.startswith("prod@") else None
    check_outputs(inputs=[trace, good_file], outputs=[json_out, html])
    recorded = load_trace(trace)
    _print_header(recorded, trace)
    recorded = on_project_stack(recorded)
    stack = get_stack()
    baseline, pin_note = pinned_baseline(recorded)
    good_cfg, good_desc = resolve_good(good, stack=stack, baseline=baseline, bad=recorded.config, baseline_desc=baseline_desc())
    if good is None and pin_note:
        good_desc += f" ({pin_note})"
    stochastic = recorded.config.sampling.temperature > 0 or good_cfg.sampling.temperature > 0
    n = seeds or (5 if stochastic else 1)
    bisector = TraceBisector(stack, recorded)
    result = _run_bisector(
        bisector,
        recorded,
        trace,
        live=live,
        good=good_cfg,
        seeds=list(range(n)),
        seeded=stochastic or seeds is not None,
        pass_threshold=fail_threshold(fail_rate),
    )
    result.reproduce = reproduce_command(trace, good, seeds, live=live, fail_rate=fail_rate)
    print_result(result, good_desc=good_desc, histories=bisector.histories)
    console.print(f"[dim]{stack_line(stack)}[/dim]")
    if json_out:
        atomic_write_text(json_out, result.model_dump_json(indent=2))
        console.print(f"JSON report written to {json_out}")
    if html:
        from replaylab.cli.report import bisect_html

        atomic_write_text(html, bisect_html(result, trace=recorded, evidence=bisector.evidence, good_desc=good_desc))
        console.print(f"HTML report written to {html}")
    if not result.reproducible:
        raise typer.Exit(1)


def _run_bisector(
    bisector: TraceBisector,
    recorded: Trace,
    trace: Path,
    *,
    live: bool,
    good: RunConfig,
    seeds: list[int],
    seeded: bool,
    pass_threshold: float,
) -> BisectResult:
    """Run the bisection inside the trace's cassette session, behind a spinner counting replays."""
    from replaylab.cassettes.session import cassette_session

    with (
        cassette_session(recorded, trace_path=trace, live=live, stack=bisector.stack),
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} replays"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("bisecting", total=None)

        def on_step(step: Step) -> None:
            progress.update(task, advance=1, description=f"{step.phase}: {short(step.name, 40)}")

        return bisector.run(good=good, seeds=seeds, seeded=seeded, on_step=on_step, pass_threshold=pass_threshold)
