"""`replaylab vectors export|import`: ship a corpus's embeddings so a cold workspace embeds only what they lack.

replaylab vectors export vectors/minilm.npz      # every chunk of every corpus version + golden questions
replaylab vectors import vectors/minilm.npz      # on a CI machine: into this workspace's cache
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack, golden_path
from replaylab.stack.corpus import load_golden
from replaylab.stack.embedders import get_embedder

vectors_app = typer.Typer(no_args_is_help=True, help="Seed vectors: a corpus's embeddings, exported and imported.")
app.add_typer(vectors_app, name="vectors")


@vectors_app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="Seed file to write (.npz)")],
    questions: Annotated[bool, typer.Option(help="Also embed the golden set's questions")] = True,
) -> None:
    """Embed every chunk of every version of the corpus (and the golden questions) into a seed file."""
    from replaylab.stack.seed_export import export_seed

    config = base_config(None)
    qs = [g.question for g in load_golden(golden_path(None))] if questions else []
    if config.embedder != config.index.embedder:
        qs = []  # questions are embedded by the query embedder; this file holds the index embedder's vectors
    with console.status(f"embedding the corpus with {config.index.embedder}"):
        header = export_seed(get_stack(), config, out, questions=qs)
    console.print(f"wrote {out}: {header.count} vectors of {header.embedder} ({header.source}), fingerprint {header.fingerprint}")


@vectors_app.command("import")
def import_cmd(
    seed: Annotated[Path, typer.Argument(help="Seed file written by `replaylab vectors export`")],
) -> None:
    """Load a seed file into this workspace's embedding cache (refused if the installed weights differ)."""
    from replaylab.stack.seed_vectors import read_seed

    header, _, _ = read_seed(seed)
    added = get_stack().cache.import_seed(seed, get_embedder(header.embedder))
    console.print(f"{seed}: {added} of {header.count} vectors of {header.embedder} added to the workspace cache")
