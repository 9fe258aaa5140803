"""Your own stack: `replaylab init` (the project file), `prompts add`, `golden run`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack, golden_path, short, with_sets
from replaylab.cli.core import SetOpt, prompts_app
from replaylab.cli.teach_cmd import golden_app
from replaylab.errors import ConfigError
from replaylab.files import atomic_write_json, atomic_write_text
from replaylab.project import (
    PROJECT_FILE,
    CorpusSource,
    GoldenSource,
    ModelSpec,
    ProjectFile,
    PromptTemplate,
    active_project,
    project_yaml,
)
from replaylab.project.file import BaselineSpec

NEUTRAL_SYSTEM = (
    "You answer questions about the documents below. Answer the question using only the numbered "
    "context passages. Give the exact figure, name, option or value from the context in one short "
    'sentence. If the context does not contain the answer, say "I don\'t know".'
)
NEUTRAL_USER = "Context:\n{context}\n\nQuestion: {question}\nAnswer:"


def _relative(path: Path, root: Path) -> str:
    """`path` as the project file should hold it: relative to the project folder when below it."""
    absolute = path.expanduser().resolve()
    try:
        return str(absolute.relative_to(root))
    except ValueError:
        return str(absolute)


_SYNONYMS: dict[str, tuple[str, ...]] = {
    "qid": ("id", "qid", "question_id", "uid", "key"),
    "question": ("question", "q", "ask", "query", "prompt", "input"),
    "answer": ("answer", "expected", "expected_answer", "gold", "gold_answer", "reference", "target", "output"),
    "aliases": ("aliases", "alternatives", "also_accept"),
    "doc_ids": ("doc_ids", "docs", "documents", "sources", "source_ids", "context_ids", "references"),
    "topic": ("topic", "area", "category", "section", "tag"),
}


def guess_golden_fields(path: Path) -> dict[str, str | None]:
    """A field mapping for a golden set whose keys are not replaylab's, guessed from its first row."""
    import json

    from replaylab.stack.corpus import GoldenItem

    first = next((ln for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()), "")
    try:
        row = json.loads(first)
    except ValueError:
        return {}
    out: dict[str, str | None] = {}
    for key in row if isinstance(row, dict) else ():
        if key in GoldenItem.model_fields:
            continue
        target = next((f for f, names in _SYNONYMS.items() if key.lower() in names), None)
        if target is not None and target not in row and target not in out.values():
            out[key] = target
    return out


def _init_project(
    root: Path, *, corpus: list[Path], golden: Path | None, model: str, base_url: str | None, embedder: str, top_k: int, name: str
) -> ProjectFile:
    for path in corpus:
        if not path.exists():
            raise ConfigError(f"--corpus {path}: no such folder or .jsonl file")
        if path.is_file() and path.suffix != ".jsonl":
            raise ConfigError(f"--corpus {path}: give a folder of .md/.txt files or a .jsonl file")
    sources = [CorpusSource(path=_relative(path, root)) for path in corpus]
    if golden is not None and not golden.is_file():
        raise ConfigError(f"--golden {golden}: no such file")
    from replaylab.registry import lookup

    lookup("embedder", embedder)  # an unknown id is one line listing the valid ones
    lookup("generator", model.partition(":")[0])
    template = "answer"
    return ProjectFile(
        name=name,
        corpus=sources[0] if len(sources) == 1 else sources,
        embedder=embedder,
        prompts=[PromptTemplate(template=template, system=NEUTRAL_SYSTEM, user=NEUTRAL_USER)],
        model=ModelSpec(id=model, base_url=base_url),
        golden=GoldenSource(path=_relative(golden, root), fields=guess_golden_fields(golden)) if golden else None,
        baseline=BaselineSpec(top_k=top_k),
    )


_HEADER = """replaylab project file: your corpus, embedder, index, prompts, model, golden set, good baseline.
Every replaylab command in this folder reads it (or set REPLAYLAB_PROJECT=path/to/replaylab.yaml).
Keys are checked strictly; the JSON Schema is schemas/project.schema.json (`replaylab schema`).
Field mappings: corpus.fields / golden.fields rename your keys, e.g. {id: doc_id, published: ingested_at}."""


@app.command("init")
def init(
    corpus: Annotated[
        list[Path],
        typer.Option(help="Folder of .md/.txt documents (front matter read) or a .jsonl file; repeat to merge several"),
    ],
    golden: Annotated[Path | None, typer.Option(help="Your golden set (.jsonl)")] = None,
    model: Annotated[str, typer.Option(help="Generator id: sandbox-reader-1.0, gemma-3-270m, openai:<model>")] = (
        "sandbox-reader-1.0"
    ),
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint for an openai:<model>")] = None,
    embedder: Annotated[str, typer.Option(help="Embedder id of the index and the queries")] = "minilm-l6-v2",
    top_k: Annotated[int, typer.Option(min=1, max=200, help="Chunks retrieved per question")] = 5,
    name: Annotated[str, typer.Option(help="A name for the project")] = "",
    out: Annotated[Path, typer.Option(help="Where to write the project file")] = Path(PROJECT_FILE),
    force: Annotated[bool, typer.Option(help="Overwrite an existing project file")] = False,
) -> None:
    """Write replaylab.yaml for your own stack (and its JSON Schema in schemas/); refuses to overwrite without --force."""
    from replaylab.cli.schemas import all_schemas
    from replaylab.project import load_project

    if out.exists() and not force:
        raise ConfigError(f"{out} already exists; pass --force to overwrite it")
    root = out.expanduser().resolve().parent
    project = _init_project(
        root, corpus=corpus, golden=golden, model=model, base_url=base_url, embedder=embedder, top_k=top_k, name=name
    )
    text = project_yaml(project, header=_HEADER)
    schema_path = root / "schemas" / "project.schema.json"
    atomic_write_json(schema_path, all_schemas()["project"])
    atomic_write_text(out, text)
    load_project(out)  # what was written reads back
    console.print(f"wrote {out} and {schema_path}")
    console.print("next: [bold]replaylab golden run[/bold] (your golden set on the baseline), then make bisect TRACE=...")


def _text_arg(value: str) -> str:
    """The contents of the file `value` names, else `value` itself."""
    try:
        is_file = "\n" not in value and len(value) < 255 and Path(value).expanduser().is_file()
    except OSError:  # too long or odd to be a file name: it is the text
        is_file = False
    if is_file:
        from replaylab.files import read_input_text

        return read_input_text(Path(value).expanduser(), what="prompt file", max_bytes=1024 * 1024, error=ConfigError)
    return value


@prompts_app.command("add")
def prompts_add(
    template: Annotated[str, typer.Argument(help="Template name, e.g. answer (versions: answer@1, @2, ...)")],
    system: Annotated[str, typer.Option(help="System rules: a file, or the text itself")],
    user: Annotated[str, typer.Option(help="User turn with {context} and {question}: a file, or the text")],
    label: Annotated[str | None, typer.Option(help="Move this label to the version (e.g. canary, production)")] = None,
    note: Annotated[str, typer.Option(help="Why this version exists")] = "",
) -> None:
    """Store a new immutable prompt version (an identical one is reused); --label moves a label to it."""
    if active_project() is not None:
        base_config(None)  # the project file's own templates are stored first: they keep the low numbers
    reg = get_stack().prompts
    before = {v.id for v in reg.versions(template)} if template in reg.templates() else set()
    pv = reg.add_version(template=template, system=_text_arg(system), user=_text_arg(user), note=note, label=label)
    state = "identical to a stored version" if pv.id in before else "new"
    console.print(f"{pv.id} ({state})" + (f"; {template}:{label} → {pv.version}" if label else ""))


def _summary(report_cases: int, by: list[object], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("name", "cases", "passed", "pass rate"):
        table.add_column(col, justify="left" if col == "name" else "right")
    for t in by:
        name, cases, passed = getattr(t, "name", ""), getattr(t, "cases", 0), getattr(t, "passed", 0)
        style = "" if passed == cases else "red"
        table.add_row(name, str(cases), str(passed), f"{passed / cases:.0%}" if cases else "–", style=style)
    return table


@contextmanager
def _recording(model: str) -> Iterator[None]:
    """New requests, like `run`; an endpoint's calls are recorded into the project's cassette folder."""
    project = active_project()
    if not model.startswith("openai:") or project is None:
        yield
        return
    from replaylab.cassettes.profile import RecordMode, use_cassette

    with use_cassette(project.cassette_dir() / "golden-run.yaml", RecordMode.NEW_EPISODES):
        yield


@golden_app.command("run")
def golden_run(
    golden: Annotated[Path | None, typer.Option(help="Golden set (.jsonl); default: the project's, else bundled")] = None,
    config: Annotated[Path | None, typer.Option(help="RunConfig file; default: the project's baseline")] = None,
    set_: SetOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Run only the first N cases")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON")] = None,
) -> None:
    """Run every golden question through a configuration: progress, summary per topic and evaluator; exit 1 if any fails."""
    from replaylab.cassettes.profile import allow_live
    from replaylab.golden.batch import run_golden
    from replaylab.stack.corpus import load_golden

    path = golden_path(golden)
    items = load_golden(path)[:limit] if limit else load_golden(path)
    if not items:
        raise ConfigError(f"Golden set {path or 'bundled'} holds no questions")
    cfg, _ = with_sets(base_config(config), set_)
    stack = get_stack()
    columns = (TextColumn("golden run"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar, allow_live(), _recording(cfg.model):
        task = bar.add_task("cases", total=len(items))
        report = run_golden(stack, cfg, items, golden=str(path or "bundled"), on_case=lambda _c: bar.advance(task))
    console.print(_summary(len(report.cases), list(report.by_topic), "by topic"))
    console.print(_summary(len(report.cases), list(report.by_evaluator), "by evaluator"))
    for case in report.failures[:20]:
        console.print(f"[red]FAIL[/red] {case.qid}: {short(case.question, 70)} — {short(case.reason, 120)}")
    n_pass = len(report.cases) - len(report.failures)
    console.print(
        f"[bold]{n_pass}/{len(report.cases)} passed[/bold] on config {report.config_digest} ({cfg.prompt}, {cfg.model})"
    )
    if json_out:
        atomic_write_text(json_out, report.model_dump_json(indent=2))
        console.print(f"report written to {json_out}")
    if not report.passed:
        raise typer.Exit(1)
