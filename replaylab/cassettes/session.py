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
from collections.abc import Iterator, Sequence
from pathlib import Path

from replaylab.errors import CassetteError
from replaylab.files import check_regular_file
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
    if path.exists():  # a directory, FIFO or device is one CassetteError, not an unresolved replay
        check_regular_file(path, what=f"cassette of trace {trace_path}", error=CassetteError)
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
def cassette_session(
    trace: Trace | Sequence[tuple[Trace, Path]], *, trace_path: Path | None = None, live: bool, stack: Stack
) -> Iterator[None]:
    """Run the block's replays of `trace` (or of several `(trace, path)` pairs) against their cassettes.

    Traces of in-process models need none; traces recorded into different cassettes are
    replayed from one merged workspace copy. Without `live` every provider call is answered
    from a recording or refused; with it, the calls no recording holds go out live
    (`allow_live`): to a loopback server running the recorded model where the trace came from
    one, recorded into a workspace copy.
    """
    pairs = [(trace, trace_path or Path(f"{trace.trace_id}.json"))] if isinstance(trace, Trace) else list(trace)
    shipped_all = sorted({p for t, path in pairs if (p := cassette_path(t, path)) is not None})
    if not shipped_all:
        if live:
            from replaylab.cassettes.profile import allow_live

            with allow_live():
                yield
        else:
            yield
        return
    from replaylab.cassettes.profile import RecordMode, allow_live, merge_cassettes, use_cassette, working_copy

    for p in shipped_all:
        if not p.is_file():
            raise CassetteError(f"The trace's cassette {p} is missing (or not a file); replay with --live to record one")
    shipped = shipped_all[0] if len(shipped_all) == 1 else merge_cassettes(shipped_all, ws=stack.ws)
    if not live:
        # no server: the base URL only has to match the recording's path, never reached
        with _env(ENV_BASE_URL, "http://127.0.0.1:9/v1"), use_cassette(shipped, RecordMode.NONE):
            yield
        return
    from replaylab.models.server import LocalEndpoint

    remotes = sorted({t.config.model.partition(":")[2] for t, _ in pairs if t.config.model.startswith("openai:")})
    with (
        LocalEndpoint(remotes) as url,
        _env(ENV_BASE_URL, url),
        allow_live(),
        use_cassette(working_copy(shipped, ws=stack.ws), RecordMode.NEW_EPISODES),
    ):
        yield
