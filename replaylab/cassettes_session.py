"""The cassette a trace's replays run inside.

A trace whose model is an `openai:<name>` endpoint carries the path of its cassette (relative
to the trace file). Sandbox mode (`live=False`) replays only from the committed cassette in
record mode `none`: an unrecorded request is a CassetteMiss (bisect counts it unresolved) and
no connection is ever opened. With `live=True`, a loopback server runs the model in-process
and new requests are recorded into a workspace copy of the cassette (`new_episodes`), so the
committed file never changes and a second run is answered entirely from the recording.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from replaylab.models.openai_http import BASE_URL_VARS
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

ENV_BASE_URL = BASE_URL_VARS[0]


def cassette_path(trace: Trace, trace_path: Path) -> Path | None:
    """The trace's cassette, resolved against the trace file's folder."""
    gen = trace.generation
    if gen is None or not gen.cassette or not trace.config.model.startswith("openai:"):
        return None
    path = Path(gen.cassette)
    if not path.is_absolute():
        path = trace_path.parent / path
    return path


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextlib.contextmanager
def cassette_session(trace: Trace, *, trace_path: Path, live: bool, stack: Stack) -> Iterator[None]:
    """Run the block's replays of `trace` against its cassette (nothing for in-process models)."""
    shipped = cassette_path(trace, trace_path)
    if shipped is None:
        yield
        return
    from replaylab.cassettes import RecordMode, use_cassette, working_copy

    if not live:
        # no server: the base URL only has to match the recording's path, never reached
        with _env(ENV_BASE_URL, "http://127.0.0.1:9/v1"), use_cassette(shipped, RecordMode.NONE):
            yield
        return
    from replaylab.server import LocalEndpoint

    remote = trace.config.model.partition(":")[2]
    with LocalEndpoint(remote) as url, _env(ENV_BASE_URL, url), \
            use_cassette(working_copy(shipped, ws=stack.ws), RecordMode.NEW_EPISODES):
        yield
