"""`replaylab backtest` and `replaylab traffic`: replay a production sample at scale under a candidate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack, golden_path, short
from replaylab.config import load_config
from replaylab.errors import ConfigError
from replaylab.files import atomic_write_text
from replaylab.stack.pipeline import STAGES, Stage


def config_patch(path: Path) -> dict[str, Any]:
    """The RunConfig fields a config file sets (validated), as a patch over each trace's config."""
    cfg = load_config(path)
    return cfg.model_dump(mode="json", include=set(cfg.model_fields_set))


def _holds(hold: list[str] | None) -> list[Stage]:
    out: list[Stage] = []
    for h in hold or []:
        if h not in STAGES:
            raise ConfigError(f"Unknown stage {h!r} for --hold. Valid: {list(STAGES)}")
        out.append(h)
    return out


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True
    )


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


@app.command()
def backtest(
    traces: Annotated[str, typer.Option(help="Recorded traces: a folder, a glob, or a .json/.jsonl file")],
    candidate: Annotated[Path, typer.Option(help="Candidate config: the fields it sets replace each trace's")],
    production: Annotated[
        Path | None, typer.Option(help="Production config (fields set over each trace's); default: replay as recorded")
    ] = None,
    engine: Annotated[str, typer.Option(help="Where pairs replay: local (process pool) or ray")] = "local",
    workers: Annotated[
        int | None, typer.Option(min=0, help="Worker processes / Ray actors (local 0 = in this process; default: CPUs)")
    ] = None,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: start a local Ray)")] = None,
    hold: Annotated[list[str] | None, typer.Option(help=f"Hold a stage at its recording: {', '.join(STAGES)}")] = None,
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0, help="Significance level of McNemar's exact test")] = 0.05,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write the report as HTML with its plot")] = None,
    outcomes: Annotated[bool, typer.Option(help="Keep every per-trace outcome in the JSON report")] = False,
    live: Annotated[bool, typer.Option(help="Call models live where a trace's cassette has no recording")] = False,
) -> None:
    """Replay every trace under production and candidate, score both, compare pair by pair (exit 1 = regression)."""
    from replaylab.backtest import BacktestJob, collect_items, get_engine, run_backtest

    if engine == "ray":
        from replaylab.backtest.ray_engine import import_ray

        import_ray()  # one clear line before any work when Ray is not installed
    items = collect_items(traces)
    job = BacktestJob(
        workspace=str(get_stack().ws.root.resolve()),
        production=config_patch(production) if production else None,
        candidate=config_patch(candidate),
        holds=_holds(hold),
        live=live,
        embed_cache=str(Path(cache).resolve()) if (cache := os.environ.get("REPLAYLAB_EMBED_CACHE")) else None,
    )
    options: dict[str, Any] = {"workers": workers, "address": address}
    if engine == "local":
        options["stack"] = get_stack()
    runner = get_engine(engine, **options)
    with _bar() as bar:
        task = bar.add_task(f"backtest on {runner.describe()}", total=len(items))
        report = run_backtest(
            job, items, engine=runner, alpha=alpha, keep_outcomes=outcomes, progress=lambda d, n: bar.update(task, completed=d)
        )
    _print_report(report)
    if json_out:
        atomic_write_text(json_out, report.model_dump_json(indent=1) + "\n")
        console.print(f"report written to {json_out}")
    if html_out:
        from replaylab.backtest.html import backtest_html

        atomic_write_text(html_out, backtest_html(report))
        console.print(f"HTML report written to {html_out}")
    if report.verdict == "regression":
        raise typer.Exit(1)


def _print_report(report: Any) -> None:
    table = Table(
        title=f"backtest: {report.replayed}/{report.traces} pairs on {report.engine}, {report.traces_per_s:.1f} traces/s",
        caption="b/c: pass in production and fail in the candidate / the reverse; Δ with a 95% paired bootstrap CI",
    )
    for col in ("evaluator", "n", "production", "candidate", "b/c", "McNemar p", "Δ pass [CI]", ""):
        table.add_column(col)
    for s in report.evaluators:
        ci = "–" if s.diff_ci is None else f"{s.diff:+.3f} [{s.diff_ci[0]:+.3f}, {s.diff_ci[1]:+.3f}]"
        mark = {"worse": "[red]worse[/red]", "better": "[green]better[/green]", "same": "n.s."}[s.direction]
        table.add_row(
            s.name,
            str(s.n),
            _rate(s.production_rate),
            _rate(s.candidate_rate),
            f"{s.regressions}/{s.improvements}",
            f"{s.mcnemar_p:.3g}",
            ci,
            mark,
        )
    console.print(table)
    for f in report.flips[:8]:
        before, after = short(f.production_output, 45), short(f.candidate_output, 45)
        console.print(f"  {f.direction}: {f.ref}: {before!r} → {after!r}", style="dim")
    if report.flipped > 8:
        console.print(f"  … {report.flipped - 8} more flipped traces", style="dim")
    if report.error_count:
        console.print(f"[yellow]{report.error_count} pairs could not replay[/yellow], e.g. {report.errors[0]}")
    colour = {"regression": "red", "improvement": "green"}.get(report.verdict, "white")
    console.print(f"[{colour}]{report.verdict.upper()}[/{colour}]: {report.reason}")


@app.command()
def traffic(
    n: Annotated[int, typer.Option("--n", min=1, help="How many requests")] = 1000,
    out: Annotated[Path, typer.Option(help="Where the traces go: a .jsonl file, else a folder of .json")] = Path("traffic.jsonl"),
    config: Annotated[Path | None, typer.Option(help="Production config the traffic runs under (default: the baseline)")] = None,
    golden: Annotated[Path | None, typer.Option(help="Golden set .jsonl (default: the project's, else the bundled one)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of popularity, paraphrases and sessions")] = 0,
) -> None:
    """Record realistic traffic: golden questions with Zipf popularity and paraphrases, as traces to backtest."""
    from replaylab.backtest.traffic import plan_traffic, record_traffic
    from replaylab.stack.corpus import load_golden

    items = load_golden(golden_path(golden))
    cfg = load_config(config) if config else base_config(None)
    plan = plan_traffic(items, n=n, seed=seed)
    stack = get_stack()
    with _bar() as bar:
        task = bar.add_task("recording traffic", total=n)
        record_traffic(stack, cfg, plan, golden=items, out=out, progress=lambda d, t: bar.update(task, completed=d))
    used = len({p.qid for p in plan})
    console.print(f"{n} traces ({used} distinct golden questions, {len({p.paraphrase for p in plan})} paraphrases) → {out}")
