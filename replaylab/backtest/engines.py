"""Backtest engines, registered by name under the registry kind `engine`.

An engine takes a job and its items and returns one outcome per item, in input order, with a
stat per worker. Every engine runs the same `Worker` code; they differ only in where it runs:

    local   this process (workers=0) or a process pool of `workers` spawned processes
    ray     Ray actors on a local Ray or a cluster (replaylab.backtest.ray_engine; `ray` extra)

    engine = get_engine("local", workers=2)
    result = engine.run(job, items, progress=lambda done, total: ...)
"""

from __future__ import annotations

import math
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from replaylab.backtest.model import BacktestJob, PairOutcome, ReplayItem, WorkerStat
from replaylab.errors import ConfigError
from replaylab.registry import lookup, names, register

if TYPE_CHECKING:
    from replaylab.backtest.worker import Worker
    from replaylab.stack.pipeline import Stack

__all__ = ["Engine", "EngineResult", "LocalEngine", "batches", "engine_names", "get_engine"]

Progress = Callable[[int, int], None]
"""Called with (items done, items total)."""


@dataclass
class EngineResult:
    """Outcomes in input order and what each worker did."""

    outcomes: list[PairOutcome]
    workers: list[WorkerStat] = field(default_factory=list)


def batches(items: Sequence[ReplayItem], *, workers: int, per_worker: int = 8, most: int = 64) -> list[list[ReplayItem]]:
    """Cut `items` into batches: about `per_worker` batches per worker (load balance), at most `most` items each."""
    if not items:
        return []
    size = max(1, min(most, math.ceil(len(items) / (max(1, workers) * per_worker))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Engine(ABC):
    """Where a backtest's pairs are replayed."""

    name: str = ""

    def __init__(self, *, workers: int | None = None, address: str | None = None, stack: Stack | None = None) -> None:
        self.workers = workers
        self.address = address
        self.stack = stack

    @abstractmethod
    def run(self, job: BacktestJob, items: Sequence[ReplayItem], *, progress: Progress | None = None) -> EngineResult:
        """Replay every item under both configurations; outcomes in input order."""

    def describe(self) -> str:
        return self.name


def get_engine(name: str, **options: Any) -> Engine:
    """The engine registered as `name`, configured with `options` (workers, address, stack)."""
    cls = lookup("engine", name)
    engine: Engine = cls(**options)
    return engine


def engine_names() -> list[str]:
    return names("engine")


# ---- the local engine ----------------------------------------------------------------------
_WORKER: Worker | None = None


def _init_worker(job_json: str, threads: int) -> None:
    global _WORKER
    from replaylab.backtest.worker import Worker

    _WORKER = Worker(BacktestJob.model_validate_json(job_json), threads=threads)


def _run_batch(index: int, items: list[ReplayItem]) -> tuple[int, list[PairOutcome], WorkerStat]:
    assert _WORKER is not None, "the pool initializer did not run"
    return index, _WORKER.run(items), _WORKER.stat()


@register("engine", "local")
class LocalEngine(Engine):
    """This process (`workers=0`, the given stack) or a pool of spawned worker processes."""

    name = "local"

    def describe(self) -> str:
        return "local in-process" if not self._count() else f"local x{self._count()}"

    def _count(self) -> int:
        if self.workers is None:
            return os.cpu_count() or 1
        if self.workers < 0:
            raise ConfigError(f"--workers must be 0 (in-process) or more, got {self.workers}")
        return self.workers

    def run(self, job: BacktestJob, items: Sequence[ReplayItem], *, progress: Progress | None = None) -> EngineResult:
        count = self._count()
        if count == 0:
            return self._inline(job, items, progress)
        parts = batches(items, workers=count)
        slots: list[list[PairOutcome]] = [[] for _ in parts]
        stats: dict[str, WorkerStat] = {}
        done = 0
        # spawn, never fork: the driver holds FAISS/OpenMP (and maybe torch) threads a fork would copy mid-flight
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(count, len(parts)) or 1,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(job.model_dump_json(), 1),
        ) as pool:
            futures = [pool.submit(_run_batch, i, part) for i, part in enumerate(parts)]
            for fut in as_completed(futures):
                i, outs, stat = fut.result()
                slots[i] = outs
                stats[stat.worker] = stat
                done += len(outs)
                if progress is not None:
                    progress(done, len(items))
        return EngineResult(outcomes=[o for part in slots for o in part], workers=sorted(stats.values(), key=lambda s: s.worker))

    def _inline(self, job: BacktestJob, items: Sequence[ReplayItem], progress: Progress | None) -> EngineResult:
        from replaylab.backtest.worker import Worker

        worker = Worker(job, stack=self.stack)
        outcomes = []
        for i, item in enumerate(items, 1):
            outcomes.extend(worker.run([item]))
            if progress is not None:
                progress(i, len(items))
        return EngineResult(outcomes=outcomes, workers=[worker.stat()])
