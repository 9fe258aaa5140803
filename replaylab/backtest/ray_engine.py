"""The Ray engine: the same `Worker` code in Ray actors, on a local Ray or a cluster.

One actor per CPU (or `workers`); each opens the stack once, so the embedder and the index
snapshots are loaded once per actor, never per trace. Batches go to idle actors
(`ray.util.ActorPool`), so a slow batch does not hold the others back. Ray is optional: this
module imports it only when a backtest runs, and without it says which pip line installs it.

    get_engine("ray", workers=2).run(job, items)                    # a local Ray, started and stopped here
    get_engine("ray", address="ray://head:10001").run(job, items)   # a cluster

On a cluster every node needs replaylab installed and the job's workspace (index snapshots, prompt
versions) and trace files at the same paths, e.g. on a shared volume.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from replaylab.backtest.engines import Engine, EngineResult, Progress, batches
from replaylab.backtest.model import BacktestJob, PairOutcome, ReplayItem, WorkerStat
from replaylab.errors import ConfigError
from replaylab.registry import register

__all__ = ["RayEngine", "import_ray"]

PIP_LINE = "pip install 'replaylab[ray]'  (or: pip install 'ray>=2.40')"


def import_ray() -> Any:
    """The `ray` module, or one ConfigError line with the pip line that installs it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--engine ray needs Ray, which is not installed: {PIP_LINE}") from None
    return ray


class _Actor:
    """A Ray actor around one `Worker` (the class is wrapped with `ray.remote` at run time)."""

    def __init__(self, job_json: str) -> None:
        from replaylab.backtest.worker import Worker

        self.worker = Worker(BacktestJob.model_validate_json(job_json), threads=1)

    def run(self, index: int, items: list[ReplayItem]) -> tuple[int, list[PairOutcome], WorkerStat]:
        return index, self.worker.run(items), self.worker.stat()


@register("engine", "ray")
class RayEngine(Engine):
    """Ray actors: a local Ray (`num_cpus=workers`, no dashboard, loopback) or `address`."""

    name = "ray"

    def describe(self) -> str:
        where = self.address or "local"
        return f"ray {where}" + (f" x{self.workers}" if self.workers else "")

    def _start(self, ray: Any) -> bool:
        """Start (or join) Ray; True when this engine started it and must stop it."""
        if ray.is_initialized():
            return False
        if self.address:
            try:
                ray.init(address=self.address, log_to_driver=False)
            except Exception as exc:  # ConnectionError, a bad address, a version mismatch: one line
                raise ConfigError(f"Cannot join the Ray cluster at {self.address}: {str(exc).splitlines()[0]}") from None
        else:
            ray.init(
                num_cpus=self.workers or None,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                _node_ip_address="127.0.0.1",
            )
        return True

    def run(self, job: BacktestJob, items: Sequence[ReplayItem], *, progress: Progress | None = None) -> EngineResult:
        ray = import_ray()
        from ray.util import ActorPool

        started = self._start(ray)
        try:
            cpus = int(ray.available_resources().get("CPU", 1)) or 1
            count = max(1, min(self.workers or cpus, cpus))
            parts = batches(items, workers=count)
            actor_cls = ray.remote(num_cpus=1)(_Actor)
            actors = [actor_cls.remote(job.model_dump_json()) for _ in range(min(count, len(parts)) or 1)]
            pool = ActorPool(actors)
            slots: list[list[PairOutcome]] = [[] for _ in parts]
            stats: dict[str, WorkerStat] = {}
            done = 0
            for i, outs, stat in pool.map_unordered(lambda a, arg: a.run.remote(*arg), list(enumerate(parts))):
                slots[i] = outs
                stats[stat.worker] = stat
                done += len(outs)
                if progress is not None:
                    progress(done, len(items))
            for a in actors:
                ray.kill(a)
        finally:
            if started:
                ray.shutdown()
        return EngineResult(outcomes=[o for part in slots for o in part], workers=sorted(stats.values(), key=lambda s: s.worker))
