"""Backtest throughput for `make bench`: local with 1 and 2 workers and Ray local, against the raw
cost of embedding + FAISS search measured in the same run, with peak memory per worker.

The traces are realistic traffic (`replaylab.backtest.traffic`) recorded on the real stack (MiniLM
+ FAISS over the bundled corpus, sandbox reader); the backtest replays each under production (as
recorded) and a candidate (`top_k` 2), so every pair is two replays and two evaluations.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Note = Callable[[str], None]

__all__ = ["backtest_throughput"]

CANDIDATE = {"top_k": 2}


def _raw_cost(questions: list[str], note: Note) -> dict[str, float]:
    """ms per query of MiniLM embedding (uncached, batched) and of one FAISS search, on this process."""
    from replaylab.config import RunConfig
    from replaylab.stack.embedders import get_embedder
    from replaylab.stack.pipeline import Stack
    from replaylab.workspace import Workspace

    cfg = RunConfig()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Workspace(Path(tmp)))
        snap = stack.snapshot(cfg.corpus, cfg.index)
        note("backtest bench: raw embed + search")
        emb = get_embedder(cfg.embedder)
        t0 = time.perf_counter()
        vecs = emb.encode(questions)
        embed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(len(questions)):
            snap.search(vecs[i : i + 1], cfg.top_k)
        search_s = time.perf_counter() - t0
    k = len(questions)
    embed_ms, search_ms = 1000 * embed_s / k, 1000 * search_s / k
    return {
        "raw_embed_ms_per_query": round(embed_ms, 3),
        "raw_search_ms_per_query": round(search_ms, 4),
        # a pair embeds its question once (the second replay hits the cache) and searches twice
        "raw_pairs_per_s_one_core": round(1000 / (embed_ms + 2 * search_ms), 1),
    }


def _one(job: Any, items: list[Any], engine: Any, note: Note, label: str) -> dict[str, Any]:
    from replaylab.backtest import run_backtest

    note(f"backtest bench: {label}")
    report = run_backtest(job, items, engine=engine)
    cpu = sum(w.cpu_s for w in report.workers)
    return {
        "engine": report.engine,
        "traces": report.traces,
        "wall_s": report.wall_s,
        "traces_per_s": report.traces_per_s,
        "verdict": report.verdict,
        "flipped": report.flipped,
        # wall throughput depends on who else uses the cores; per CPU second it does not
        "traces_per_worker_cpu_s": round(report.traces / cpu, 1) if cpu else None,
        "workers": [w.model_dump(include={"peak_rss_mb", "setup_s", "cpu_s", "items", "snapshot_loads"}) for w in report.workers],
    }


def backtest_throughput(note: Note, *, n: int = 2000, ray: bool = True) -> dict[str, Any]:
    """Traces/s of a backtest over `n` recorded traces on each engine, next to the raw embed + search cost."""
    from replaylab.backtest import BacktestJob, collect_items, get_engine
    from replaylab.backtest.traffic import plan_traffic, record_traffic
    from replaylab.config import RunConfig
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.pipeline import Stack
    from replaylab.workspace import Workspace

    out: dict[str, Any] = {"traces": n, "candidate": CANDIDATE}
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Workspace(Path(tmp) / "ws"))
        golden = load_golden()
        plan = plan_traffic(golden, n=n, seed=0)
        note(f"backtest bench: recording {n} traces of traffic")
        t0 = time.perf_counter()
        path = record_traffic(stack, RunConfig(), plan, golden=golden, out=Path(tmp) / "traffic.jsonl")
        out["record_traces_per_s"] = round(n / (time.perf_counter() - t0), 1)
        items = collect_items(str(path))
        job = BacktestJob(workspace=str(stack.ws.root), candidate=CANDIDATE)
        out["raw"] = _raw_cost([p.question for p in plan], note)
        out["local_1"] = _one(job, items, get_engine("local", workers=1), note, "local, 1 worker")
        out["local_2"] = _one(job, items, get_engine("local", workers=2), note, "local, 2 workers")
        if ray:
            try:
                from replaylab.backtest.ray_engine import import_ray

                import_ray()
                out["ray_local"] = _one(job, items, get_engine("ray", workers=2), note, "ray local, 2 CPUs")
            except Exception as exc:  # Ray is optional: say why it was not measured
                out["ray_local"] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    raw = out["raw"]["raw_pairs_per_s_one_core"]
    for key in ("local_1", "local_2", "ray_local"):
        if "traces_per_s" in out.get(key, {}):
            out[key]["share_of_raw_one_core"] = round(out[key]["traces_per_s"] / raw, 3) if raw else None
    return out
