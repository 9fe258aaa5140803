"""Record the bundled failing traces that `make demo` and the docs bisect.

The incident: on 2026-11-18 the indexing pipeline had silently stopped on 2026-08-31, and two
harmless config edits shipped the same week (top_k 5 -> 4, context budget 1400 -> 1200).
Questions about the documents updated since then get their old answers.

- `cassettes/demo/`: the real Gemma 3 270M served by `replaylab serve` on loopback, called
  over HTTP through the `openai` backend, recorded into `cassette.yaml` beside the trace.
- `cassettes/demo-reader/`: the same incident with the sandbox reader (in-process).

The question is the first updated golden question the model answers right on the good
configuration and wrong on the bad one (temperature 0), so the trace is a real failure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

from replaylab.config import RunConfig, load_partial_config
from replaylab.errors import ConfigError
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace, save_trace
from replaylab.workspace import PACKAGE_DATA

ROOT = Path(__file__).resolve().parents[2]
INCIDENT_AT = datetime(2026, 11, 18, 9, 42, tzinfo=timezone.utc)


def incident_configs(model: str) -> tuple[RunConfig, RunConfig]:
    """The good (declared baseline) and bad (incident) configurations for `model`."""
    good = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=RunConfig(model=model))
    bad = good.model_copy(
        update={"index": good.index.model_copy(update={"as_of": date(2026, 8, 31)}), "top_k": 4, "context_budget": 1200}
    )
    return good, bad


def _passes(trace: Trace) -> bool:
    from replaylab.evals import verdict

    return verdict(trace).passed


def pick_question(stack: Stack, model: str, *, note: Callable[[str], None] = print) -> GoldenItem:
    """The first updated question whose answer `model` gets right on good and wrong on bad."""
    good, bad = incident_configs(model)
    for item in load_golden():
        if not item.updated:
            continue
        ok = _passes(stack.run(item.question, good, golden=golden_of(item)))
        broken = not _passes(stack.run(item.question, bad, golden=golden_of(item)))
        note(f"{item.qid}: good {'passes' if ok else 'fails'}, bad {'fails' if broken else 'passes'}")
        if ok and broken:
            return item
    raise ConfigError(f"No updated golden question separates the good and bad configurations for {model}")


def record_reader_demo(stack: Stack, out: Path = ROOT / "cassettes" / "demo-reader") -> Path:
    model = "sandbox-reader-1.0"
    item = pick_question(stack, model)
    _, bad = incident_configs(model)
    stack.clock = lambda: INCIDENT_AT
    trace = stack.run(item.question, bad, golden=golden_of(item), tags={"incident": "INC-2041"})
    return save_trace(trace, out / "trace.json")


def record_gemma_demo(stack: Stack, out: Path = ROOT / "cassettes" / "demo") -> Path:
    """Pick the question in-process, then record the failing call over HTTP into the cassette."""
    import os

    from replaylab.cassettes.profile import RecordMode, use_cassette
    from replaylab.models.server import LocalEndpoint

    item = pick_question(stack, "gemma-3-270m")
    _, bad = incident_configs("openai:gemma-3-270m")
    out.mkdir(parents=True, exist_ok=True)
    cassette = out / "cassette.yaml"
    cassette.unlink(missing_ok=True)
    stack.clock = lambda: INCIDENT_AT
    with LocalEndpoint("gemma-3-270m") as url:
        os.environ["REPLAYLAB_OPENAI_BASE_URL"] = url
        with use_cassette(cassette, RecordMode.ALL):
            trace = stack.run(item.question, bad, golden=golden_of(item), tags={"incident": "INC-2041"})
    assert trace.generation is not None
    trace = trace.model_copy(update={"generation": trace.generation.model_copy(update={"cassette": "cassette.yaml"})})
    return save_trace(trace, out / "trace.json")


def rerecord_gemma_cassette(stack: Stack, out: Path = ROOT / "cassettes" / "demo") -> int:
    """Record afresh every call the sandbox commands make on the demo trace (its own request, the
    bisect against the declared baseline, `counterfactuals`, `diagnose`), served by this machine's
    Gemma behind a loopback server, and replace the shipped cassette atomically. The trace itself
    is kept; its recorded answer must be the one the model gives now, else this refuses.
    Returns the number of interactions the cassette then holds."""
    import os
    import shutil
    import tempfile

    from replaylab.bisection.trace_bisector import TraceBisector
    from replaylab.cassettes.cassette_file import load_cassette
    from replaylab.cassettes.profile import RecordMode, use_cassette
    from replaylab.diagnosis.counterfactuals import counterfactuals
    from replaylab.diagnosis.tree import diagnose
    from replaylab.models.server import LocalEndpoint
    from replaylab.trace import load_trace

    trace = load_trace(out / "trace.json")
    cassette = out / "cassette.yaml"
    good = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=trace.config)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "cassette.yaml"
        with LocalEndpoint("gemma-3-270m") as url:
            os.environ["REPLAYLAB_OPENAI_BASE_URL"] = url
            with use_cassette(fresh, RecordMode.NEW_EPISODES):
                again = stack.replay(trace)
                if again.generation is None or trace.generation is None or again.generation.output != trace.generation.output:
                    raise ConfigError(
                        "Gemma on this machine no longer gives the trace's recorded answer: "
                        "re-record the trace too (make record-demo)"
                    )
                TraceBisector(stack, trace).run(good=good, seeds=[0], seeded=False)
                counterfactuals(stack, trace)
                diagnose(stack, trace)
        tmp_dest = cassette.with_name(f".{cassette.name}.tmp")
        shutil.copyfile(fresh, tmp_dest)
        tmp_dest.replace(cassette)
    return len(load_cassette(cassette).interactions)


if __name__ == "__main__":
    import sys

    s = Stack()
    which = sys.argv[1:] or ["reader", "gemma"]
    if "reader" in which:
        print(record_reader_demo(s))
    if "gemma" in which:
        print(record_gemma_demo(s))
    if "gemma" in which or "calls" in which:
        print(f"cassettes/demo/cassette.yaml: {rerecord_gemma_cassette(s)} interactions")
