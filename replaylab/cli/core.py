"""Core commands: run, replay, schema, prompts, index."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, check_outputs, console, get_stack, golden_path, short, with_sets
from replaylab.errors import ConfigError, InputError
from replaylab.files import atomic_write_json
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.pipeline import STAGES, Stage, golden_of
from replaylab.trace import Trace, load_trace, save_trace

prompts_app = typer.Typer(no_args_is_help=True, help="Prompt versions and labels.")
index_app = typer.Typer(no_args_is_help=True, help="FAISS index snapshots.")
app.add_typer(prompts_app, name="prompts")
app.add_typer(index_app, name="index")

SetOpt = Annotated[list[str] | None, typer.Option("--set", help="VAR=VALUE (repeatable); see `replaylab variables`")]


def _show_trace(trace: Trace, *, title: str) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("trace", trace.trace_id)
    table.add_row("question", trace.question)
    v = trace.versions
    table.add_row("versions", f"ppv={v.ppv} model={v.mrv.returned} index={v.index_snapshot} embedder={v.embedder}")
    if trace.retrieval:
        chunks = ", ".join(f"{c.chunk_id}({c.score:.2f})" for c in trace.retrieval.chunks[:8])
        table.add_row("retrieved", chunks + (" [held]" if trace.retrieval.held else ""))
    if trace.generation:
        table.add_row("output", trace.generation.output)
        table.add_row(
            "tokens",
            f"{trace.generation.prompt_tokens} prompt + {trace.generation.completion_tokens} "
            f"completion, {trace.generation.latency_ms:.0f} ms",
        )
    if trace.golden:
        table.add_row("expected", trace.golden.answer)
    console.print(table)


@app.command()
def run(
    question: Annotated[str, typer.Argument(help="The question, or a golden id like q001")],
    config: Annotated[Path | None, typer.Option(help="RunConfig file (.yaml/.json); default: the baseline")] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the trace")] = None,
    golden_set: Annotated[
        Path | None, typer.Option("--golden", help="Your golden set (.jsonl); default: the project's, else bundled")
    ] = None,
) -> None:
    """Run one live request through the stack and write its trace.

    Point it at your own documents with `--set corpus=source=PATH` (a folder of .md/.txt or a
    .jsonl) and at your own golden set with `--golden FILE.jsonl`.
    """
    cfg, _ = with_sets(base_config(config), set_)
    golden = {g.qid: g for g in load_golden(golden_path(golden_set))}
    item = golden_item(question, golden)
    text = item.question if item else question
    if item is None:
        item = next((g for g in golden.values() if g.question == question), None)
    from replaylab.cassettes.profile import allow_live

    stack = get_stack()
    with console.status("running the request…"), allow_live():  # a new request: live by definition
        trace = stack.run(text, cfg, golden=golden_of(item) if item else None)
    path = out or stack.ws.runs / f"{trace.trace_id}.json"
    save_trace(trace, path)
    _show_trace(trace, title="run")
    console.print(f"trace written to {path}")


_ID_LIKE = re.compile(r"^[A-Za-z]+-?\d+$")


def golden_item(arg: str, golden: Mapping[str, GoldenItem]) -> GoldenItem | None:
    """The golden case `arg` names (ids match case-insensitively: `Q188` is q188), or None for a
    free-text question. A word shaped like an id (`q999`, `REG-7`) that names no case is an
    InputError rather than a one-word question asked of the stack."""
    if arg in golden:
        return golden[arg]
    folded = {k.lower(): v for k, v in golden.items()}
    if arg.strip().lower() in folded:
        return folded[arg.strip().lower()]
    if _ID_LIKE.match(arg.strip()):
        ids = sorted(golden)
        span = f"{ids[0]}..{ids[-1]}" if ids else "none"
        raise InputError(
            f"No golden case {arg!r} (golden ids: {span}, {len(ids)} cases); to ask it as a question, write a sentence"
        )
    return None


@app.command()
def replay(
    trace: Annotated[Path, typer.Argument(help="Trace JSON file")],
    set_: SetOpt = None,
    hold: Annotated[list[str] | None, typer.Option(help=f"Hold a stage at its recording: {', '.join(STAGES)}")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the replayed trace here")] = None,
    live: Annotated[
        bool,
        typer.Option(
            help="Call the model live where the trace's cassette has no recording "
            "(recorded into a workspace copy); without it nothing leaves the machine"
        ),
    ] = False,
) -> None:
    """Re-run a trace, optionally with variables swapped and stages held."""
    from replaylab.cassettes.session import cassette_session

    check_outputs(inputs=[trace], outputs=[json_out])
    recorded = load_trace(trace)
    holds: list[str] = []
    for h in hold or []:
        if h not in STAGES:
            raise ConfigError(f"Unknown stage {h!r} for --hold. Valid: {list(STAGES)}")
        holds.append(h)
    _, values = with_sets(recorded.config, set_)
    stack = get_stack()
    with console.status("replaying…"), cassette_session(recorded, trace_path=trace, live=live, stack=stack):
        new = stack.replay(recorded, overrides=values, holds=cast(list[Stage], holds))
    _show_trace(new, title="replay")
    before = recorded.generation.output if recorded.generation else ""
    after = new.generation.output if new.generation else ""
    same = "identical to the recording" if before == after else f"differs from the recording: {short(before)!r}"
    console.print(f"output {same}")
    _print_eval(new)
    if json_out:
        save_trace(new, json_out)
        console.print(f"replayed trace written to {json_out}")


def _print_eval(trace: Trace) -> None:
    """Evaluate a trace when the evaluators are installed (they arrive with their own module)."""
    try:
        from replaylab.evals import evaluate
    except ImportError:
        return
    report = evaluate(trace)
    table = Table(title="evaluation", title_justify="left")
    for col in ("evaluator", "score", "pass", "reason"):
        table.add_column(col)
    for s in report.scores:
        table.add_row(s.name, f"{s.value:.2f}", "✓" if s.passed else ("✗" if s.passed is False else "–"), short(s.reason, 80))
    console.print(table)
    console.print(f"verdict: {'PASS' if report.passed else 'FAIL'}")


@app.command()
def schema(out: Annotated[Path, typer.Option(help="Folder for the .schema.json files")] = Path("schemas")) -> None:
    """Write the JSON Schemas of every file format replaylab reads or writes."""
    from replaylab.cli.schemas import all_schemas

    for name, sch in all_schemas().items():
        atomic_write_json(out / f"{name}.schema.json", sch)
        console.print(f"wrote {out / (name + '.schema.json')}")


@app.command()
def variables() -> None:
    """List the variables a replay can swap, with their layer and current baseline value."""
    from replaylab.variables import all_variables

    cfg = base_config(None)
    table = Table(title="variables")
    for col in ("name", "layer", "baseline value", "what it is"):
        table.add_column(col)
    for var in all_variables():
        table.add_row(var.name, var.layer, short(json.dumps(var.read(cfg)), 60), var.__doc__ or var.doc)
    console.print(table)


@prompts_app.command("list")
def prompts_list() -> None:
    """Every prompt version and the labels pointing at it."""
    reg = get_stack().prompts
    labels = reg.labels()
    table = Table(title="prompt versions")
    for col in ("version", "labels", "created", "note"):
        table.add_column(col)
    for template in reg.templates():
        for pv in reg.versions(template):
            here = [name for name, v in labels.get(template, {}).items() if v == pv.version]
            table.add_row(pv.id, ", ".join(here), pv.created_at[:10], pv.note)
    console.print(table)


@prompts_app.command("show")
def prompts_show(prompt: Annotated[str, typer.Argument(help="template@version or template:label")]) -> None:
    """Print one prompt version."""
    pv = get_stack().prompts.resolve(prompt)
    console.print(f"[bold]{pv.id}[/bold]  {pv.note}\n[bold]system:[/bold] {pv.system}\n[bold]user:[/bold]\n{pv.user}")


@prompts_app.command("label")
def prompts_label(
    prompt: Annotated[str, typer.Argument(help="template@version to point the label at")],
    label: Annotated[str, typer.Option(help="Label to move")] = "production",
) -> None:
    """Move a label to a version (moving `production` back is the rollback)."""
    from replaylab.stack.prompts import parse_prompt_id

    template, version = parse_prompt_id(prompt)
    if not version.isdigit():
        raise ConfigError(f"Give a version number: {template}@N")
    move = get_stack().prompts.move_label(template=template, label=label, version=int(version))
    console.print(f"{template}:{label} moved {move.previous} → {move.version}")


@index_app.command("build")
def index_build(
    config: Annotated[Path | None, typer.Option(help="RunConfig file; default: the baseline")] = None,
    set_: SetOpt = None,
    as_of: Annotated[str | None, typer.Option(help="Build from the corpus as of this date (YYYY-MM-DD)")] = None,
) -> None:
    """Build (or find) the index snapshot of a configuration's corpus."""
    import time

    cfg, _ = with_sets(base_config(config), set_)
    if as_of:
        try:
            cfg = cfg.model_copy(update={"index": cfg.index.model_copy(update={"as_of": date.fromisoformat(as_of)})})
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    stack = get_stack()
    start = time.perf_counter()
    with console.status("embedding chunks and building the index…"):
        snap = stack.snapshot(cfg.corpus, cfg.index)
    m = snap.manifest
    console.print(
        f"{m.snapshot_id}: {len(m.chunks)} chunks, {m.dim}-d {m.embedder}, {m.kind}, corpus newest "
        f"{m.corpus_newest}, in {time.perf_counter() - start:.1f}s"
    )


@index_app.command("list")
def index_list() -> None:
    """Every index snapshot in the workspace, oldest corpus first."""
    from replaylab.stack.index import list_snapshots

    table = Table(title="index snapshots")
    for col in ("id", "embedder", "kind", "chunks", "as of", "corpus newest", "built"):
        table.add_column(col)
    for m in list_snapshots(get_stack().ws.snapshots):
        table.add_row(
            m.snapshot_id,
            m.embedder,
            m.kind,
            str(len(m.chunks)),
            str(m.as_of or "latest"),
            str(m.corpus_newest),
            m.built_at.isoformat(timespec="seconds"),
        )
    console.print(table)
