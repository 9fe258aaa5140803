"""The cassette context a replay runs in: placeholder until the cassette module lands."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace


@contextlib.contextmanager
def cassette_session(trace: Trace, *, trace_path: Path, live: bool, stack: Stack) -> Iterator[None]:
    """Replays of `trace` inside its cassette (none for in-process models)."""
    yield
