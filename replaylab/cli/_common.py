"""What every command shares: the console, the stack, configs and `--set` parsing."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from rich.console import Console

from replaylab.config import RunConfig, load_config, load_partial_config
from replaylab.project import ProjectFile, active_golden_path, active_project, find_project
from replaylab.stack.embedders import register_project_embedders
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import apply_values, parse_assignment

# logs and pipes get wide tables instead of Rich's 80-column default (COLUMNS still wins)
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
console = Console(highlight=False, width=_WIDTH)
err_console = Console(stderr=True, highlight=False)

BASELINE = Path(__file__).resolve().parent.parent / "data" / "baseline.yaml"


@lru_cache(maxsize=1)
def get_stack() -> Stack:
    """The process's stack over the default workspace."""
    return Stack()


def stack_line(stack: Stack) -> str:
    """Where this run's index versions and embeddings came from, in one line."""
    st = stack.stats
    line = f"index versions: {st['snapshot_builds']} built, {st['snapshot_loads']} loaded from the workspace"
    cache = stack.peek_cache()
    if cache is not None:
        line += f"; embeddings: {cache.hits} cached, {cache.seeded} from seed vectors, {cache.misses} computed"
    return line


def base_config(path: Path | None, *, over: RunConfig | None = None) -> RunConfig:
    """A config file, else the project file's baseline (replaylab.yaml), else the bundled baseline
    (fields it leaves out come from `over`)."""
    if path is not None:
        return load_config(path)
    project = active_project()
    if project is not None:
        return project_config(project)
    return load_partial_config(BASELINE, over=over or RunConfig())


def baseline_desc() -> str:
    """Where `base_config(None)` comes from, in words."""
    found = find_project()
    return f"the project baseline ({found})" if found is not None else "the workspace baseline"


def project_config(project: ProjectFile) -> RunConfig:
    """The project's baseline with its prompts stored and its prompt label resolved to a version."""
    from replaylab.stack.prompts import parse_prompt_id, sync_prompts

    if project.model.base_url and not any(os.environ.get(v) for v in ("REPLAYLAB_OPENAI_BASE_URL", "OPENAI_BASE_URL")):
        os.environ["REPLAYLAB_OPENAI_BASE_URL"] = project.model.base_url
    register_project_embedders(project)
    reg = get_stack().prompts
    templates = [(p.template, project.text_of(p.system), project.text_of(p.user), p.label) for p in project.prompts]
    stored = sync_prompts(reg, templates)
    ref = project.baseline.prompt
    if ref is None:  # the good baseline is the prompt text the project file holds, whatever labels say now
        ref = stored[project.prompts[0].template] if project.prompts else project.prompt_ref()
    elif "@" not in ref:
        parse_prompt_id(ref)
        ref = reg.resolve(ref).id
    return project.run_config(prompt=ref)


def on_project_stack(trace: Trace) -> Trace:
    """An imported trace moved onto the project's stack when its documents are in the project's
    corpus (else as recorded); prints the one-line note saying which. Other traces: unchanged."""
    from replaylab.importers.adopt import adopt_imported, is_imported

    if not is_imported(trace):
        return trace
    project = active_project()
    adoption = adopt_imported(trace, stack=get_stack(), baseline=project_config(project) if project else None)
    console.print(adoption.note, style="dim" if adoption.adopted else "yellow", markup=False)
    return adoption.trace


def golden_path(explicit: Path | None) -> Path | None:
    """`--golden FILE`, else the project's golden set, else None (the bundled one)."""
    return explicit if explicit is not None else active_golden_path()


def with_sets(config: RunConfig, sets: list[str] | None) -> tuple[RunConfig, dict[str, Any]]:
    """Apply `--set VAR=VALUE` options; returns the config and the parsed values."""
    values: dict[str, Any] = {}
    for item in sets or []:
        name, value = parse_assignment(item, config)
        values[name] = value
        config = apply_values(config, {name: value})
    return config, values


def short(text: str, n: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def check_outputs(*, inputs: list[Path | None], outputs: list[Path | None]) -> None:
    """Refuse, before any work, an output path that is one of the inputs or another output (it would
    silently overwrite the trace or report being read): one ConfigError line."""
    from replaylab.errors import ConfigError

    ins = [p for p in inputs if p is not None]
    seen: list[Path] = []
    for out in (p for p in outputs if p is not None):
        for other in [*ins, *seen]:
            if _same_file(out, other):
                what = "an input" if other in ins else "another output"
                raise ConfigError(f"Output {out} is {what} ({other}); write the report to another file")
        seen.append(out)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()
