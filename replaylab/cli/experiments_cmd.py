"""`replaylab experiments`: PoisonedRAG's dose response and Lost in the Middle on the stack."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack
from replaylab.files import atomic_write_text

if TYPE_CHECKING:
    from replaylab.bench.experiment_tables import DoseResponseTable, ExperimentsResult
    from replaylab.config import RunConfig
    from replaylab.stack.corpus import GoldenItem
    from replaylab.stack.pipeline import Stack

LITM_MODELS = ("gemma-3-270m", "sandbox-reader-1.0", "sandbox-reader-1.1", "sandbox-reader-mini")
DOSE_MODELS = ("gemma-3-270m", "sandbox-reader-1.0")


def _names(values: list[str] | None, default: tuple[str, ...]) -> list[str]:
    """Model ids from repeated and/or comma-separated options."""
    if not values:
        return list(default)
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def _ints(raw: str, what: str) -> list[int]:
    try:
        return [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"{what} must be comma-separated integers, got {raw!r}") from None


@app.command()
def experiments(
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--models", help=f"Models for lost in the middle (repeat or comma-separate) (default: {','.join(LITM_MODELS)})"
        ),
    ] = None,
    dose_models: Annotated[
        list[str] | None,
        typer.Option("--dose-models", help=f"Models for the PoisonedRAG dose response (default: {','.join(DOSE_MODELS)})"),
    ] = None,
    questions: Annotated[int, typer.Option("--questions", min=1, help="Golden questions per cell")] = 10,
    doses: Annotated[str, typer.Option(help="Poisoned texts per target question (0: no attack, a control)")] = "0,1,2,3,4,5",
    positions: Annotated[str, typer.Option(help="Positions of the answer chunk among 20")] = "1,5,10,15,20",
    only: Annotated[str | None, typer.Option(help="Run one experiment: poisonedrag or litm")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the question sample and the poisoned values")] = 0,
    config: Annotated[Path | None, typer.Option(help="Base config (default: the workspace baseline)")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the tables as JSON")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write an HTML report with plots")] = None,
) -> None:
    """Reproduce PoisonedRAG's ASR-by-dose and Lost in the Middle's accuracy-by-position tables."""
    from replaylab.bench.experiments import pick_questions
    from replaylab.stack.corpus import load_golden

    if only not in (None, "poisonedrag", "litm"):
        raise typer.BadParameter(f"--only must be poisonedrag or litm, got {only!r}")
    litm_models = [] if only == "poisonedrag" else _names(models, LITM_MODELS)
    dose_list = [] if only == "litm" else _names(dose_models, DOSE_MODELS)
    dose_ns, pos = _ints(doses, "--doses"), _ints(positions, "--positions")
    start = time.perf_counter()
    stack = get_stack()
    cfg = base_config(config)
    qs = pick_questions(stack, cfg, load_golden(), questions, seed=seed)
    result = _run(stack, cfg, qs, dose_models=dose_list, doses=dose_ns, litm_models=litm_models, positions=pos, seed=seed)
    result.seconds = round(time.perf_counter() - start, 1)
    for t in result.dose:
        console.print(_dose_table(t, n=len(qs)))
    if result.litm:
        console.print(_litm_table(result, positions=pos, n=len(qs)))
    console.print(f"{len(qs)} questions ({', '.join(result.questions)}) in {result.seconds:.1f}s")
    if json_out:
        atomic_write_text(json_out, result.model_dump_json(indent=2))
        console.print(f"written to {json_out}")
    if html_out:
        from replaylab.bench.experiments_html import experiments_html

        atomic_write_text(html_out, experiments_html(result))
        console.print(f"written to {html_out}")


def _run(
    stack: Stack,
    cfg: RunConfig,
    qs: list[GoldenItem],
    *,
    dose_models: list[str],
    doses: list[int],
    litm_models: list[str],
    positions: list[int],
    seed: int,
) -> ExperimentsResult:
    """Both experiments for every model, behind one progress bar."""
    from replaylab.bench.experiment_tables import ExperimentsResult
    from replaylab.bench.experiments import lost_in_the_middle, poisonedrag_dose_response

    result = ExperimentsResult(questions=[q.qid for q in qs])
    total = len(qs) * (len(dose_models) * len(doses) + len(litm_models) * len(positions))
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task("experiments", total=total)

        def step(msg: str) -> None:
            progress.update(task, advance=1, description=msg)

        for model in dose_models:
            result.dose.append(
                poisonedrag_dose_response(stack, model=model, questions=qs, doses=doses, base_config=cfg, seed=seed, step=step)
            )
        for model in litm_models:
            result.litm.append(
                lost_in_the_middle(stack, model=model, questions=qs, positions=positions, base_config=cfg, step=step)
            )
    return result


def _dose_table(t: DoseResponseTable, *, n: int) -> Table:
    table = Table(
        title=f"PoisonedRAG — {t.model} ({t.embedder} + FAISS top-{t.top_k}, n={n}, {t.seconds:.0f}s)",
        title_justify="left",
    )
    for col in ("N", "ASR", "paper ASR", "correct", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    for r in t.rows:
        table.add_row(
            str(r.dose),
            f"{r.asr:.2f}",
            "–" if r.paper_asr is None else f"{r.paper_asr:.2f}",
            f"{r.correct:.2f}",
            f"{r.precision:.2f}",
            f"{r.recall:.2f}",
            f"{r.f1:.2f}",
        )
    return table


def _litm_table(result: ExperimentsResult, *, positions: list[int], n: int) -> Table:
    from replaylab.bench.experiment_tables import PAPER_LITM_GPT35

    table = Table(
        title=f"Lost in the middle — accuracy (%) by position of the answer chunk among {result.litm[0].total} (n={n})",
        title_justify="left",
    )
    table.add_column("model")
    for p in positions:
        table.add_column(str(p), justify="right")
    table.add_column("longest prompt", justify="right")
    for lt in result.litm:
        table.add_row(lt.model, *(f"{r.accuracy:.1f}" for r in lt.rows), str(lt.max_prompt_tokens))
    table.add_row(
        "[dim]paper GPT-3.5-Turbo[/dim]",
        *(f"[dim]{PAPER_LITM_GPT35[p]:.1f}[/dim]" if p in PAPER_LITM_GPT35 else "–" for p in positions),
        "",
    )
    return table
