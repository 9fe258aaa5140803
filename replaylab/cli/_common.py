"""What every command shares: the console, the stack, configs and `--set` parsing."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from rich.console import Console

from replaylab.config import RunConfig, load_config, load_partial_config
from replaylab.stack.pipeline import Stack
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


def base_config(path: Path | None, *, over: RunConfig | None = None) -> RunConfig:
    """A config file, else the workspace's declared baseline (fields it leaves out come from `over`)."""
    if path is not None:
        return load_config(path)
    return load_partial_config(BASELINE, over=over or RunConfig())


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
