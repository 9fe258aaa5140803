"""Analysis commands: eval, counterfactuals, diagnose."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, check_outputs, console, get_stack, on_project_stack, short
from replaylab.errors import ConfigError, TraceError
from replaylab.files import atomic_write_json
from replaylab.trace import Trace, load_trace

JsonOpt = Annotated[Path | None, typer.Option("--json", help="Also write the result as JSON here")]
LiveOpt = Annotated[
    bool,
    typer.Option(
        help="Call the model live where the trace's cassette has no recording "
        "(recorded into a workspace copy); without it nothing leaves the machine"
    ),
]


def _mark(passed: bool | None) -> str:
    return "✓" if passed else ("✗" if passed is False else "–")


@app.command("eval")
def eval_cmd(
    trace: Annotated[Path, typer.Argument(help="Trace JSON file")],
    json_out: JsonOpt = None,
    evaluator: Annotated[list[str] | None, typer.Option(help="Run only these evaluators (repeatable)")] = None,
    lexical: Annotated[bool, typer.Option(help="Lexical checks only: never load an embedder")] = False,
) -> None:
    """Score a trace with the evaluators; exit 1 when the verdict fails."""
    from replaylab.cassettes.session import cassette_session
    from replaylab.evals import evaluate

    check_outputs(inputs=[trace], outputs=[json_out])
    recorded = load_trace(trace)
    stack = get_stack()
    with cassette_session(recorded, trace_path=trace, live=False, stack=stack):
        report = evaluate(recorded, stack=None if lexical else stack, evaluators=evaluator or None)
    table = Table(title=f"evaluation of {recorded.trace_id}", title_justify="left")
    for col in ("evaluator", "score", "pass", "gate", "reason"):
        table.add_column(col)
    for s in report.scores:
        reason = f"[red]crashed: {s.error}[/red]" if s.error else short(s.reason, 90)
        table.add_row(s.name, f"{s.value:.3g}", _mark(s.passed), "●" if s.name in report.gated else "", reason)
    console.print(table)
    failed = f" (failed: {', '.join(report.failed)})" if report.failed else ""
    console.print(f"verdict: {'PASS' if report.passed else 'FAIL'}{failed}")
    if json_out:
        atomic_write_json(json_out, report.model_dump(mode="json"))
        console.print(f"report written to {json_out}")
    if not report.passed:
        raise typer.Exit(1)


@app.command("counterfactuals")
def counterfactuals_cmd(
    trace: Annotated[Path, typer.Argument(help="Trace JSON file")],
    json_out: JsonOpt = None,
    live: LiveOpt = False,
) -> None:
    """Replay a trace with its recorded, oracle, empty, answer-first and answer-last contexts."""
    from replaylab.cassettes.session import cassette_session
    from replaylab.diagnosis.counterfactuals import counterfactuals

    check_outputs(inputs=[trace], outputs=[json_out])
    recorded = on_project_stack(load_trace(trace))
    stack = get_stack()
    with console.status("replaying four contexts…"), cassette_session(recorded, trace_path=trace, live=live, stack=stack):
        report = counterfactuals(stack, recorded)
    table = Table(
        title=f"counterfactuals of {recorded.trace_id} (recorded: {'PASS' if report.recorded_passed else 'FAIL'})",
        title_justify="left",
    )
    for col in ("context", "verdict", "answer in context", "chunks", "output"):
        table.add_column(col)
    for r in report.runs:
        if r.skipped or r.error:
            table.add_row(r.name, "skipped" if r.skipped else "[red]error[/red]", "", "", r.skipped or r.error or "")
            continue
        table.add_row(
            r.name,
            "PASS" if r.passed else "FAIL",
            _mark(r.answer_in_context),
            short(", ".join(r.context_chunk_ids), 40),
            short(r.output or "", 70),
        )
    console.print(table)
    if json_out:
        atomic_write_json(json_out, report.model_dump(mode="json"))
        console.print(f"report written to {json_out}")


def _load_dir(folder: Path) -> list[tuple[Trace, Path]]:
    if not folder.is_dir():
        raise TraceError(f"--traces {folder} is not a folder")
    paths = sorted({*folder.glob("*.json"), *folder.glob("*/trace.json")})
    if not paths:
        raise TraceError(f"No trace files (*.json or */trace.json) in {folder}")
    return [(load_trace(p), p) for p in paths]


@app.command("diagnose")
def diagnose_cmd(
    trace: Annotated[Path | None, typer.Argument(help="Trace JSON file")] = None,
    traces: Annotated[Path | None, typer.Option("--traces", help="A folder of traces: diagnose them as a set")] = None,
    good: Annotated[Path | None, typer.Option(help="A known-good RunConfig (.yaml/.json): its route is expected")] = None,
    seeds: Annotated[int, typer.Option(min=0, max=20, help="Extra seeds for sampled requests")] = 3,
    json_out: JsonOpt = None,
    live: LiveOpt = False,
) -> None:
    """Name the failing layer (retrieval, generation, routing, upstream data) with evidence for and against each."""
    from replaylab.cassettes.session import cassette_session
    from replaylab.diagnosis.tree import diagnose, diagnose_many

    if (trace is None) == (traces is None):
        raise ConfigError("Give either a TRACE file or --traces DIR (not both)")
    check_outputs(inputs=[trace, good], outputs=[json_out])
    if traces is not None and json_out is not None and json_out.resolve().parent == traces.resolve():
        raise ConfigError(f"Output {json_out} is inside the --traces folder {traces}; write the diagnosis elsewhere")
    good_cfg = base_config(good) if good is not None else None
    stack = get_stack()
    pairs = [(load_trace(trace), trace)] if trace is not None else _load_dir(traces)  # type: ignore[arg-type]
    pairs = [(on_project_stack(t), p) for t, p in pairs]
    with (
        console.status("evaluating, replaying counterfactuals, gathering evidence…"),
        cassette_session(pairs, live=live, stack=stack),
    ):
        if trace is not None:
            d = diagnose(stack, pairs[0][0], good=good_cfg, seeds=seeds)
        else:
            d = diagnose_many(stack, [t for t, _ in pairs], good=good_cfg, seeds=seeds)
    console.print(
        f"[bold]layer: {d.layer}[/bold]  confidence {d.confidence:.2f}  ({len(d.trace_ids)} trace"
        f"{'s' if len(d.trace_ids) != 1 else ''})"
    )
    console.print(d.summary)
    table = Table(title="evidence", title_justify="left", show_lines=True)
    for col in ("layer", "for", "against"):
        table.add_column(col)
    for layer, ev in d.evidence.items():
        table.add_row(layer, "\n".join(f"• {s}" for s in ev.for_), "\n".join(f"• {s}" for s in ev.against))
    console.print(table)
    if d.counterfactuals is not None:
        console.print(f"counterfactuals: {d.counterfactuals.summary}")
    if d.cluster is not None and len(d.trace_ids) > 1:
        c = d.cluster
        batch = (
            f"{c.batch_share:.0%} of their chunks ingested {c.batch_date} ({c.batch_source})"
            if c.batch_date is not None
            else "no recent ingestion among their chunks"
        )
        console.print(f"cluster: {c.failures_on_topic}/{c.failures_total} failures on {c.topic!r} from {c.onset}; {batch}")
    if d.suspects:
        console.print(f"suspects: {', '.join(d.suspects)}")
    console.print(d.next_step)
    if json_out:
        atomic_write_json(json_out, d.model_dump(mode="json"))
        console.print(f"diagnosis written to {json_out}")
