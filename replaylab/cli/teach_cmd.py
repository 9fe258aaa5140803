"""`replaylab teach`, `postmortem`, `golden add/list` and `canary-gate`: the fix-and-regress loop."""

from __future__ import annotations

import contextlib
import os
import random
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, check_outputs, console, get_stack, short
from replaylab.errors import ConfigError
from replaylab.files import atomic_write_text

if TYPE_CHECKING:
    from replaylab.golden.release_gate import GateReport
    from replaylab.teach import GameSession, SessionRecord

golden_app = typer.Typer(no_args_is_help=True, help="The workspace golden set: the base cases plus regression cases.")
app.add_typer(golden_app, name="golden")


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the fault's rollback (a `finally`) always runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _print_scoreboard() -> None:
    from replaylab.teach import Scoreboard

    board = Scoreboard(get_stack().ws)
    standings = board.standings()
    if not standings:
        console.print(f"No game day recorded yet in {board.path}.")
        return
    table = Table(title="standings")
    for col in ("trainee", "sessions", "best", "mean", "solved"):
        table.add_column(col)
    for s in standings:
        table.add_row(s.trainee, str(s.sessions), str(s.best), f"{s.mean:.1f}", ", ".join(s.scenarios) or "–")
    console.print(table)
    table = Table(title="sessions, best first")
    for col in ("when", "trainee", "scenario", "score", "layer", "variable", "rollback", "hints", "runs", "time", "mode"):
        table.add_column(col)
    mark = {True: "✓", False: "✗"}
    for e in board.entries()[:30]:
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M"),
            e.trainee,
            e.scenario,
            f"{e.score}/{e.max_points}",
            mark[e.layer_ok],
            mark[e.variable_ok],
            mark[e.rollback_ok],
            str(e.hints),
            str(e.sandbox_runs),
            f"{e.elapsed_s / 60:.1f}m",
            e.mode,
        )
    console.print(table)


@app.command()
def teach(
    scenario: Annotated[str | None, typer.Argument(help="Scenario name (see scenarios/) or path; `random` picks one")] = None,
    script: Annotated[Path | None, typer.Option(help="Play the commands in this file, one per line")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the transcript and score as JSON")] = None,
    scoreboard: Annotated[bool, typer.Option("--scoreboard", help="Show the scoreboard of past sessions")] = False,
    name: Annotated[str | None, typer.Option(help="Trainee name on the scoreboard (default: $USER)")] = None,
    config: Annotated[Path | None, typer.Option(help="Base RunConfig (default: the workspace baseline)")] = None,
    sample: Annotated[int, typer.Option(min=2, max=40, help="Traces in the fault-window sample")] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the sample's order")] = 0,
    record: Annotated[bool, typer.Option(help="Add the session to the scoreboard")] = True,
    live: Annotated[
        bool,
        typer.Option(
            help="Let an `openai:` model in the scenario be called live; without it "
            "every provider call is answered from a cassette or refused"
        ),
    ] = False,
) -> None:
    """A game day: an incident opens, you investigate with replays, submit a diagnosis, get a score and a debrief."""
    if scoreboard:
        _print_scoreboard()
        return
    from replaylab.scenario import load_scenario
    from replaylab.teach import GameSession, Scoreboard, open_incident, read_script

    sc = load_scenario(_scenario_name(scenario))
    commands = read_script(script) if script else None
    stack = get_stack()
    base = base_config(config)
    trainee = name or os.environ.get("USER") or "trainee"
    with _sigterm_as_exit(), ExitStack() as open_:
        if live:
            from replaylab.cassettes.profile import allow_live

            open_.enter_context(allow_live())
        with console.status("paging on-call…") as status:
            incident = open_.enter_context(
                open_incident(
                    sc,
                    stack=stack,
                    base=base,
                    sample=sample,
                    seed=seed,
                    progress=lambda msg: status.update(f"paging on-call: {msg}"),
                )
            )
        rec = _play(GameSession(incident, stack=stack, trainee=trainee), commands)
    console.print("[dim]fault rolled back; the sandbox serves the steady state again[/dim]")
    if json_out:
        atomic_write_text(json_out, rec.model_dump_json(indent=2) + "\n")
        console.print(f"transcript and score written to {json_out}")
    if record:
        Scoreboard(stack.ws).add(rec, mode="interactive" if commands is None else "script")


def _scenario_name(scenario: str | None) -> str:
    """The scenario to open: the one named, or a random one for `random`."""
    from replaylab.scenario import scenario_names

    if scenario is None:
        raise ConfigError("Give a SCENARIO (or `random`), or --scoreboard")
    if scenario == "random":
        names = scenario_names()
        if not names:
            raise ConfigError("No scenario in scenarios/ to pick from")
        scenario = random.choice(names)
    return scenario


def _play(session: GameSession, commands: list[str] | None) -> SessionRecord:
    """Play the session at the terminal, or the script's commands with each one echoed."""
    from replaylab.teach import run_script
    from replaylab.teach.terminal import PROMPT, play, render

    if commands is None:
        return play(session, console=console)
    render(console, session.opening())

    def echo(command: str, reply: object) -> None:
        console.print(f"{PROMPT}{command}", style="bold", markup=False, highlight=False)
        render(console, reply)  # type: ignore[arg-type]

    return run_script(session, commands, on_reply=echo)


@app.command()
def postmortem(
    run: Annotated[Path, typer.Argument(help="A bisect report (bisect --json) or a drill journal (drill --json)")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the Markdown here (default: stdout)")] = None,
    trace: Annotated[list[Path] | None, typer.Option(help="A failing trace (repeatable); default: the report's own")] = None,
    traces: Annotated[Path | None, typer.Option(help="Folder of saved traces to match a journal's failing ids")] = None,
    reproduce: Annotated[bool, typer.Option(help="Drill journal without traces: re-inject the fault in the sandbox")] = False,
    config: Annotated[Path | None, typer.Option(help="Base RunConfig for --reproduce")] = None,
    scenario: Annotated[
        str | None,
        typer.Option(help="The journal to draft from a `drill --all --json` file; also the scenario for --reproduce"),
    ] = None,
) -> None:
    """Draft an AI postmortem in Markdown, every section filled from recorded data."""
    from replaylab.postmortem.draft import draft_postmortem, load_run, reproduce_drill

    check_outputs(inputs=[run, config, *(trace or [])], outputs=[out])
    inp = load_run(run, traces=trace, traces_dir=traces, scenario=scenario)
    stack = get_stack()
    if reproduce and inp.kind == "drill" and not inp.traces:
        with console.status("reproducing the drill's fault in the sandbox…"):
            from replaylab.scenario import load_scenario

            reproduce_drill(inp, stack=stack, base=base_config(config), scenario=load_scenario(scenario) if scenario else None)
    with console.status("replaying the evidence…"):
        markdown = draft_postmortem(inp, stack=stack)
    if out is None:
        typer.echo(markdown)
    else:
        atomic_write_text(out, markdown)
        console.print(f"postmortem draft written to {out}")


@golden_app.command("add")
def golden_add(
    trace: Annotated[Path, typer.Argument(help="The failing trace")],
    answer: Annotated[str | None, typer.Option(help="Expected answer (when the trace has no golden)")] = None,
    doc: Annotated[list[str] | None, typer.Option(help="Supporting document id (repeatable)")] = None,
    check: Annotated[list[str] | None, typer.Option(help="Also pin this evaluator (repeatable)")] = None,
    note: Annotated[str, typer.Option(help="Why the case was added (goes in the history)")] = "",
) -> None:
    """Add a failing request to the workspace golden set as a regression case (golden@N+1)."""
    from replaylab.golden.store import GoldenStore
    from replaylab.trace import load_trace

    store = GoldenStore(get_stack().ws)
    case = store.add_trace(load_trace(trace), answer=answer, doc_ids=doc or [], checks=check or [], note=note)
    console.print(f"added [bold]{case.qid}[/bold] to golden@{case.added_in}: {short(case.question, 80)}")
    console.print(f"  expected {case.answer!r}; checks: {', '.join(case.checks)}")
    console.print(f"  {short(case.behaviour, 200)}", style="dim")


@golden_app.command("list")
def golden_list(
    all_: Annotated[
        bool, typer.Option("--all", help="List the base cases too (the project's golden set, else the bundled one)")
    ] = False,
) -> None:
    """The workspace golden set: version, added cases and history."""
    from replaylab.golden.store import GoldenStore

    store = GoldenStore(get_stack().ws)
    gs = store.load()
    base = store.bundled or "the bundled set"
    table = Table(title=f"{gs.id}: {len(gs.cases)} cases ({len(gs.added)} added) over {base}")
    for col in ("qid", "question", "expected", "checks", "from"):
        table.add_column(col)
    for c in gs.cases if all_ else gs.added:
        table.add_row(c.qid, short(c.question, 60), short(c.answer, 30), ", ".join(c.checks) or "gate", c.source_trace or "base")
    console.print(table)
    for h in gs.history:
        console.print(f"golden@{h.version}  {h.at}  +{', '.join(h.added)}  {h.note}", style="dim")


@app.command("canary-gate")
def canary_gate(
    candidate: Annotated[Path, typer.Option(help="The candidate RunConfig (.yaml/.json)")],
    baseline: Annotated[
        Path | None, typer.Option(help="Production RunConfig (default: the baseline with the production label)")
    ] = None,
    sample_traces: Annotated[Path | None, typer.Option(help="Folder of recent traces to replay too")] = None,
    sample: Annotated[
        int | None, typer.Option(min=1, help="Replay a seeded sample of the golden set (regression cases always)")
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Largest tolerated drop in any pass rate or mean score")
    ] = 0.02,
    label: Annotated[str, typer.Option(help="The label to move when the candidate passes")] = "production",
    dry_run: Annotated[bool, typer.Option(help="Decide, but move no label")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the gate report as JSON")] = None,
    engine: Annotated[str, typer.Option(help="Backtest engine the pairs replay on: local or ray")] = "local",
    workers: Annotated[int, typer.Option(min=0, help="Worker processes / Ray actors (local 0 = in this process)")] = 0,
) -> None:
    """Replay golden cases and recent traces on candidate and production; refuse the label move on regression (exit 1)."""
    from replaylab.config import load_config
    from replaylab.golden.release_gate import gate_cases, production_config, promote, run_gate

    stack = get_stack()
    cand = load_config(candidate)
    prod = load_config(baseline) if baseline else production_config(stack, base_config(None), label=label)
    cases = gate_cases(stack, sample=sample, traces_dir=sample_traces)
    from replaylab.backtest import get_engine

    runner = get_engine(engine, workers=workers or None, stack=stack) if engine != "local" or workers else None
    with console.status(f"replaying {len(cases)} cases on production and candidate…") as status:
        report = run_gate(
            stack,
            candidate=cand,
            baseline=prod,
            cases=cases,
            threshold=threshold,
            progress=lambda i, n: status.update(f"replayed {i}/{n} cases"),
            engine=runner,
        )
    console.print(_gate_table(report, threshold=threshold))
    _print_gate_details(report)
    if not dry_run:
        promote(stack, report, label=label)
    elif report.accepted:
        report.note = f"dry run: {label} label not moved"
    if report.accepted:
        console.print(f"[green]ACCEPTED[/green] {report.note}")
    else:
        console.print("[red]REFUSED[/red]: " + "; ".join(report.reasons))
        console.print(f"  {report.note or f'{label} label not moved'}")
    if json_out:
        atomic_write_text(json_out, report.model_dump_json(indent=2) + "\n")
        console.print(f"gate report written to {json_out}")
    if not report.accepted:
        raise typer.Exit(1)


def _gate_table(report: GateReport, *, threshold: float) -> Table:
    """Each evaluator's pass rates, b/c counts, McNemar p and mean difference, production vs candidate."""
    table = Table(
        caption="b/c: cases that pass in production and fail in the candidate / the reverse",
        title=f"canary gate: {report.cases} cases ({report.golden_cases} golden, {report.trace_cases} traces), "
        f"threshold {threshold:.0%}",
    )
    for col in ("evaluator", "n", "pass prod→cand", "b/c", "McNemar p", "P(worse)", "Δ mean [95% CI]", ""):
        table.add_column(col, overflow="fold")
    for c in report.evaluators:
        ci = "–" if c.mean_diff is None else f"{c.mean_diff:+.2f} [{c.ci_low:+.2f}, {c.ci_high:+.2f}]"
        rates = "–" if c.baseline_pass_rate is None else f"{_rate(c.baseline_pass_rate)} → {_rate(c.candidate_pass_rate)}"
        table.add_row(
            c.name,
            str(c.n),
            rates,
            f"{c.regressions}/{c.improvements}",
            f"{c.mcnemar_p:.3g}",
            f"{c.regression_confidence:.1%}",
            ci,
            "[red]REGRESSED[/red]" if c.regressed else "ok",
        )
    return table


def _print_gate_details(report: GateReport) -> None:
    """The significance line and the first regressed cases."""
    console.print(f"significance: {report.significance} (verdict McNemar p={report.mcnemar_p:.3g})", style="dim")
    for pair in report.regressed_cases[:5]:
        console.print(
            f"  {pair.ref}: {short(pair.baseline_output, 50)!r} → {short(pair.candidate_output, 50)!r}"
            f" ({', '.join(pair.failed) or 'verdict'})",
            style="dim",
        )
