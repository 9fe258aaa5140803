"""`make bench`: the figures that matter, measured here, printed and written as JSON.

- wall time of `replaylab bisect` on the bundled demo traces, cold (empty workspace) and warm;
- replays per second in batch, against the raw cost of embedding + FAISS search in the same run;
- replays bisect needs against k differing variables, and over M ordered versions;
- FAISS index build, p50 search and recall@10 at 1M structured vectors (flat, IVF, HNSW);
- backtest throughput (local 1 and 2 workers, Ray local) against raw embed + search, memory per worker;
- peak memory (this process and its children).
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from replaylab.bench.backtest_bench import backtest_throughput
from replaylab.bench.proxy_bench import http_figures
from replaylab.bisection.engine import RunResult, bisect

Note = Callable[[str], None]
ROOT = Path(__file__).resolve().parents[2]
"""The repository root (replaylab/bench/figures.py -> the folder holding cassettes/)."""


def _bisect_wall(trace: Path, *, home: Path, extra: list[str], seeds: bool = True) -> dict[str, Any]:
    env = {**os.environ, "REPLAYLAB_HOME": str(home), "HF_HUB_OFFLINE": "1", "REPLAYLAB_SEED_VECTORS": "1" if seeds else "0"}
    out = home / "bisect.json"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "replaylab", "bisect", str(trace), "--json", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    report = json.loads(out.read_text()) if out.exists() else {}
    return {
        "wall_s": round(wall, 2),
        "exit": proc.returncode,
        "replays": report.get("replays"),
        "causes": [c["variable"] for c in report.get("causes", [])],
        "engine_s": report.get("elapsed_s"),
    }


def bisect_walls(traces: Mapping[str, Path], note: Note, *, live: bool) -> dict[str, Any]:
    """Cold (fresh workspace: with the shipped seed vectors, and with nothing precomputed) and warm
    (second run) bisect wall time per bundled trace."""
    out: dict[str, Any] = {}
    for name, trace in traces.items():
        if not trace.exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            extra = ["--live"] if live else []
            note(f"bisect {name}: cold")
            cold = _bisect_wall(trace, home=home, extra=extra)
            note(f"bisect {name}: warm")
            warm = _bisect_wall(trace, home=home, extra=extra)
        with tempfile.TemporaryDirectory() as tmp:
            note(f"bisect {name}: cold, no seed vectors")
            unseeded = _bisect_wall(trace, home=Path(tmp), extra=extra, seeds=False)
        out[name] = {"cold": cold, "warm": warm, "cold_no_seed_vectors": unseeded}
    return out


@contextmanager
def _seeds_off() -> Iterator[None]:
    old = os.environ.get("REPLAYLAB_SEED_VECTORS")
    os.environ["REPLAYLAB_SEED_VECTORS"] = "0"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("REPLAYLAB_SEED_VECTORS", None)
        else:
            os.environ["REPLAYLAB_SEED_VECTORS"] = old


def replay_throughput(note: Note, *, n: int = 80, rounds: int = 3) -> dict[str, Any]:
    """Batch replays/s with the sandbox reader, and the raw embed + search cost of the same queries.

    Each round takes `n` questions no earlier round saw, into a fresh embedding cache, and times
    the raw embed + search of the same questions right after: on a shared machine the ratio of a
    round is fair even when the load moves between rounds. Seed vectors are off: the cold replays
    embed their questions as the raw figure does. One request before the rounds loads the modules and
    the models. Medians over the rounds."""
    from statistics import median

    from replaylab.config import RunConfig
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.embedders import get_embedder
    from replaylab.stack.embedding_cache import EmbeddingCache
    from replaylab.stack.pipeline import Stack
    from replaylab.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp, _seeds_off():
        stack = Stack(Workspace(Path(tmp)))
        cfg = RunConfig()
        golden = load_golden()
        note("throughput: building the index")
        t0 = time.perf_counter()
        snap = stack.snapshot(cfg.corpus, cfg.index)
        build_s = time.perf_counter() - t0
        emb = get_embedder(cfg.embedder)
        # one request outside the rounds: module imports and model loads are process start, not replay cost
        stack.run_batch([golden[-1].question], cfg)
        cold, raw, warm = [], [], []
        for r in range(rounds):
            questions = [g.question for g in golden[r * n : (r + 1) * n]]
            note(f"throughput: round {r + 1}/{rounds}, cold replays and raw embed + search")
            stack._cache = EmbeddingCache(Path(tmp) / f"round{r}.sqlite")
            t0 = time.perf_counter()
            traces = stack.run_batch(questions, cfg)  # queries embedded in one batch
            cold.append(len(questions) / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            vecs = emb.encode(questions)
            for i in range(len(questions)):
                snap.search(vecs[i : i + 1], cfg.top_k)
            raw.append(len(questions) / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for tr in traces:
                stack.replay(tr)
            warm.append(len(questions) / (time.perf_counter() - t0))
    ratios = [c / w for c, w in zip(cold, raw, strict=True)]
    return {
        "requests_per_round": n,
        "rounds": rounds,
        "chunks": len(snap.manifest.chunks),
        "index_build_s": round(build_s, 2),
        "cold_replays_per_s": round(median(cold), 1),
        "raw_embed_search_per_s": round(median(raw), 1),
        "warm_replays_per_s": round(median(warm), 1),
        "cold_over_raw_by_round": [round(x, 2) for x in ratios],
        "cold_over_raw (goal >= 0.8)": round(median(ratios), 2),
    }


def replay_counts() -> dict[str, Any]:
    """Replays bisect needs for one cause among k variables, and over M versions (engine only)."""
    per_k = {}
    for k in range(1, 9):
        names = [f"v{i}" for i in range(k)]
        worst = 0
        for cause in names:
            good = dict.fromkeys(names, 0)
            bad = dict.fromkeys(names, 1)

            def one_cause(a: Mapping[str, Any], s: int, c: str = cause) -> RunResult:
                return RunResult(passed=a[c] == 0)

            res = bisect(good=good, bad=bad, outcome=one_cause)
            worst = max(worst, res.replays)
        per_k[k] = worst
    per_m = {}
    for m in (2, 4, 8, 16, 32, 64):
        hist = list(range(m))
        first = m // 2 if m > 2 else 1

        def first_bad(a: Mapping[str, Any], s: int, f: int = first) -> RunResult:
            return RunResult(passed=a["x"] < f)

        res = bisect(good={"x": 0}, bad={"x": m - 1}, outcome=first_bad, histories={"x": hist})
        per_m[m] = {
            "version_search_replays": res.first_bad_version[0].replays if res.first_bad_version else None,
            "bound": math.ceil(math.log2(m)) + 2,
        }
    return {"single_cause_worst_replays_by_k": per_k, "first_bad_version_by_M": per_m}


def faiss_at_scale(note: Note, *, n: int = 1_000_000, queries: int = 200, hnsw: bool = True) -> dict[str, Any]:
    """Flat, IVF and HNSW over `n` structured vectors (a mixture fitted to real MiniLM embeddings):
    build s, p50 ms/query and recall@10 against flat, with the parameters the index chooses from n."""
    from replaylab.bench.faiss_scale import faiss_at_scale as structured

    return structured(note, n=n, queries=queries, hnsw=hnsw)


def gemma_bisect_overhead(note: Note) -> dict[str, Any]:
    """The demo bisect with Gemma in-process and nothing recorded: wall vs live replays x median call."""
    from statistics import median

    from replaylab.bisection.trace_bisector import TraceBisector
    from replaylab.stack.pipeline import Stack
    from replaylab.trace import load_trace
    from replaylab.workspace import Workspace

    trace = load_trace(ROOT / "cassettes" / "demo" / "trace.json")
    trace = trace.model_copy(update={"config": trace.config.model_copy(update={"model": "gemma-3-270m"})})
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Workspace(Path(tmp)))
        from replaylab.config import load_partial_config
        from replaylab.workspace import PACKAGE_DATA

        good = load_partial_config(PACKAGE_DATA / "baseline.yaml", over=trace.config)
        note("gemma bisect: warming the index snapshots and the model")
        saved = os.environ.get("REPLAYLAB_LLAMA_MEMO")
        os.environ["REPLAYLAB_LLAMA_MEMO"] = "0"  # live means live: no request answered from the memo
        try:
            stack.run(trace.question, good)
            note("gemma bisect: every replay live")
            bisector = TraceBisector(stack, trace)
            start = time.perf_counter()
            result = bisector.run(good=good, seeds=[0], seeded=False)
            wall = time.perf_counter() - start
        finally:
            if saved is None:
                os.environ.pop("REPLAYLAB_LLAMA_MEMO", None)
            else:
                os.environ["REPLAYLAB_LLAMA_MEMO"] = saved
    calls = [t.generation.latency_ms / 1000 for t in bisector.evidence.values() if t.generation]
    med = median(calls) if calls else 0.0
    bound = 1.2 * result.replays * med
    return {
        "live_replays": result.replays,
        "median_call_s": round(med, 2),
        "wall_s": round(wall, 2),
        "target_s (1.2 x replays x median)": round(bound, 2),
        "within_target": wall <= bound,
        "causes": [c.variable for c in result.causes],
    }


def gemma_speed(note: Note) -> dict[str, Any]:
    """Gemma's tokens/s with llama.cpp's extra CPU buffer types (weight repacking) on and off, and the build."""
    from replaylab.bench.gemma_baseline import measure_speed
    from replaylab.models.llama_worker import build_flags

    out: dict[str, Any] = {"build": build_flags()}
    for mode, label in (("1", "extra_bufts_on"), ("0", "extra_bufts_off")):
        note(f"gemma speed: {label}")
        out[label] = measure_speed(extra_bufts=mode)
    return out


def peak_memory_mb() -> dict[str, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_peak_mb": round(me, 1), "children_peak_mb": round(kids, 1)}


def run_bench(note: Note, *, quick: bool = False, live: bool = True) -> dict[str, Any]:
    """Every figure, as one JSON-able dict."""
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    result["replay_counts"] = replay_counts()
    traces = {
        "demo-reader": ROOT / "cassettes" / "demo-reader" / "trace.json",
        "demo (gemma)": ROOT / "cassettes" / "demo" / "trace.json",
    }
    result["bisect"] = bisect_walls(traces, note, live=live)
    result["throughput"] = replay_throughput(note)
    result["gemma_speed"] = gemma_speed(note)
    result["gemma_bisect"] = gemma_bisect_overhead(note)
    result["faiss"] = faiss_at_scale(note, n=100_000 if quick else 1_000_000)
    result["backtest"] = backtest_throughput(note, n=500 if quick else 2000)
    result["http"] = http_figures(note)
    result["memory"] = peak_memory_mb()
    result["bench_s"] = round(time.perf_counter() - started, 1)
    return result
