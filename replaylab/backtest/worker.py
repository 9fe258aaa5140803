"""What every engine runs on its workers: replay one item under production and candidate, score both.

A `Worker` opens the stack once and keeps it for the life of its process (or Ray actor), so the
embedder, the corpus chunks and the index snapshots are loaded once per worker, never per trace.
Engines only decide where `Worker.run` executes.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import time
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path

from pydantic import ValidationError

from replaylab.backtest.model import BacktestJob, PairOutcome, ReplayItem, WorkerStat, apply_patch
from replaylab.config import RunConfig
from replaylab.errors import ReplaylabError, TraceError
from replaylab.evals import EvalReport, evaluate, get_evaluator
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace, load_trace
from replaylab.workspace import Workspace

__all__ = ["Worker", "peak_rss_mb", "read_item_trace"]

OUTPUT_CHARS = 240
"""Outputs are cut to this many characters in outcomes (they cross process boundaries by the thousand)."""


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB: VmHWM on Linux (reset by exec, unlike ru_maxrss,
    which a spawned worker inherits from the driver it was forked from), else ru_maxrss."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@lru_cache(maxsize=4)
def _jsonl_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def read_item_trace(item: ReplayItem) -> Trace:
    """The recorded trace an item names (a .json file, or one line of a .jsonl file)."""
    if item.path is None:
        raise TraceError(f"{item.ref} names no trace file")
    if item.line is None:
        return load_trace(Path(item.path))
    try:
        return Trace.model_validate_json(_jsonl_lines(item.path)[item.line])
    except (OSError, IndexError) as exc:
        raise TraceError(f"Cannot read trace {item.ref}: {exc}") from None
    except ValidationError as exc:
        raise TraceError(f"Trace {item.ref} does not match the schema: {str(exc).splitlines()[0]}") from None


@cache
def _scored(name: str) -> bool:
    """Whether `name`'s score is a 0..1 quantity where higher is better (paired score CI applies)."""
    try:
        ev = get_evaluator(name)
    except ReplaylabError:
        return False
    return bool(ev.value_range == (0.0, 1.0) and ev.higher_is_better)


def pair_outcome(item: ReplayItem, base: EvalReport, cand: EvalReport, outputs: tuple[str, str]) -> PairOutcome:
    """The per-evaluator pass pairs and score pairs of one item's two reports."""
    out = PairOutcome(
        ref=item.ref,
        source=item.source,
        production_passed=base.passed,
        candidate_passed=cand.passed,
        production_output=outputs[0][:OUTPUT_CHARS],
        candidate_output=outputs[1][:OUTPUT_CHARS],
    )
    cand_scores = {s.name: s for s in cand.scores}
    for s in base.scores:
        o = cand_scores.get(s.name)
        if o is None or s.error or o.error:
            continue
        if s.passed is not None and o.passed is not None:
            out.passes[s.name] = (s.passed, o.passed)
        if _scored(s.name):
            out.scores[s.name] = (s.value, o.value)
    return out


def _output(t: Trace) -> str:
    return t.generation.output if t.generation else ""


class Worker:
    """One process's replayer: a stack opened once, then any number of items."""

    def __init__(self, job: BacktestJob, *, stack: Stack | None = None, threads: int | None = None) -> None:
        start = time.perf_counter()
        if threads is not None:  # one worker per core: no oversubscription by FAISS or torch threads
            os.environ["OMP_NUM_THREADS"] = str(threads)
            import faiss

            faiss.omp_set_num_threads(threads)
        if job.embed_cache and stack is None:
            os.environ["REPLAYLAB_EMBED_CACHE"] = job.embed_cache
        self.job = job
        self.stack = stack or Stack(Workspace(Path(job.workspace)))
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.items = 0
        self.setup_s = time.perf_counter() - start

    def configs(self, item: ReplayItem, trace: Trace | None) -> tuple[RunConfig, RunConfig]:
        """(production, candidate) for this item: the job's patches over its recorded config."""
        base = trace.config if trace is not None else RunConfig()
        return apply_patch(base, self.job.production), apply_patch(base, self.job.candidate)

    def warm(self, item: ReplayItem) -> None:
        """Load (or build) the index snapshots both configurations of `item` serve."""
        from replaylab.stack.embedders import get_embedder

        trace = read_item_trace(item) if item.path else None
        question = trace.question if trace is not None else item.question or ""
        for cfg in self.configs(item, trace):
            self.stack.snapshot(cfg.corpus, cfg.index)
            self.stack.cache.encode(get_embedder(cfg.embedder), [question])  # loads the query embedder

    def pre_embed(self, items: Sequence[ReplayItem]) -> None:
        """Embed a batch's questions in one call per embedder (a batch costs a fraction of one call a query)."""
        from replaylab.stack.embedders import get_embedder

        if "retrieval" in self.job.holds:
            return
        wanted: dict[str, list[str]] = {}
        for item in items:
            try:
                trace = read_item_trace(item) if item.path else None
                configs = self.configs(item, trace)
            except (ReplaylabError, ValidationError):
                continue  # its replay records the error
            question = trace.question if trace is not None else item.question or ""
            for cfg in configs:
                if cfg.context is None:
                    wanted.setdefault(cfg.embedder, []).append(question)
        for embedder, questions in wanted.items():
            with contextlib.suppress(ReplaylabError):
                self.stack.cache.encode(get_embedder(embedder), list(dict.fromkeys(questions)))

    def replay(self, item: ReplayItem) -> PairOutcome:
        """Replay `item` under both configurations and score both; a failure is recorded, not raised."""
        from replaylab.cassettes.session import cassette_session

        try:
            trace = read_item_trace(item) if item.path else None
            prod, cand = self.configs(item, trace)
            if trace is None:
                question = item.question or ""
                p = self.stack.run(question, prod, golden=item.golden)
                c = self.stack.run(question, cand, golden=item.golden)
            else:
                kw = {"recorded": trace, "holds": self.job.holds, "session_id": trace.session_id, "tags": trace.tags}
                with cassette_session(trace, trace_path=Path(item.path or "."), live=self.job.live, stack=self.stack):
                    p = self.stack.run(trace.question, prod, **kw)  # type: ignore[arg-type]
                    c = self.stack.run(trace.question, cand, **kw)  # type: ignore[arg-type]
        except (ReplaylabError, ValidationError) as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return PairOutcome(ref=item.ref, source=item.source, error=first, worker=self.name)
        evaluators = self.job.evaluators
        out = pair_outcome(item, evaluate(p, evaluators=evaluators), evaluate(c, evaluators=evaluators), (_output(p), _output(c)))
        out.worker = self.name
        return out

    def run(self, items: Sequence[ReplayItem]) -> list[PairOutcome]:
        """Replay a batch, in order (the first batch first loads the embedder and index snapshots)."""
        if not self.items and items:
            start = time.perf_counter()
            with contextlib.suppress(ReplaylabError):  # that item's replay records the error
                self.warm(items[0])
            self.setup_s += time.perf_counter() - start
        self.pre_embed(items)
        out = [self.replay(item) for item in items]
        self.items += len(items)
        return out

    def stat(self) -> WorkerStat:
        return WorkerStat(
            worker=self.name,
            items=self.items,
            peak_rss_mb=peak_rss_mb(),
            setup_s=round(self.setup_s, 3),
            cpu_s=round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 3),
            snapshot_loads=self.stack.stats["snapshot_loads"],
            snapshot_builds=self.stack.stats["snapshot_builds"],
        )
