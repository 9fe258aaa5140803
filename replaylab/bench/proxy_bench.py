"""Bench figures for the HTTP layer: the proxy's added latency and the model server under load.

The upstream (the sandbox reader behind `replaylab serve`) and the proxy each run in a child
process, the client in this one, all on loopback; bounded to a few hundred requests. The
proxy is measured twice: bare (recording off) and recording every exchange to disk.

- `proxy_overhead`: requests alternate between the upstream directly and through the proxy;
  the added latency is the per-pair difference (p50, p99), next to both raw distributions.
- `server_under_load`: 50 concurrent clients against `replaylab serve`; per-request p50/p99,
  throughput and the count of non-200s / connection errors (the backlog issue shows as errors).
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import numpy as np

Note = Callable[[str], None]
MESSAGES = [
    {"role": "system", "content": "Answer using only the context."},
    {
        "role": "user",
        "content": "Context:\n[1] (help-centre, ingested 2026-05-01) Refunds: Refunds are processed within 14 days.\n\n"
        "Question: How many days does a refund take?\nAnswer:",
    },
]
BODY = {"model": "sandbox-reader-1.0", "messages": MESSAGES, "max_tokens": 16}


def _answer_cpu(conn: Connection) -> None:
    """Answer "cpu" with this process's CPU seconds (user + system, every thread) until "stop"."""
    while conn.recv() == "cpu":
        conn.send(time.process_time())


def _serve_upstream(conn: Connection) -> None:
    """Child process: the sandbox reader behind `replaylab serve` until the parent says stop."""
    from replaylab.models.server import LocalEndpoint

    with LocalEndpoint("sandbox-reader-1.0") as upstream:
        conn.send(upstream)
        _answer_cpu(conn)


def _serve_proxy(conn: Connection, upstream: str, record_dir: str | None) -> None:
    """Child process: the proxy in front of `upstream`, recording into `record_dir`."""
    from replaylab.proxy.app import ProxySettings
    from replaylab.proxy.runner import LocalProxy

    folder = Path(record_dir) if record_dir else None
    with LocalProxy(ProxySettings(upstream=upstream, control_token="bench-token-0123", record_dir=folder)) as proxy:
        proxy.proxy.recorder.flush(timeout=60)  # the writer process is up before the first request
        conn.send(proxy.base_url)
        _answer_cpu(conn)


class _Child:
    """A server in its own process (an upstream is another machine: no shared GIL or event loop)."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        # not daemonic: a proxy recording to disk spawns its writer process, as `replaylab proxy` does
        self.proc = ctx.Process(target=target, args=(child, *args), daemon=False)

    def __enter__(self) -> str:
        self.proc.start()
        if not self.conn.poll(120):
            raise RuntimeError("a bench server did not start within 120 s")
        return str(self.conn.recv())

    def cpu(self) -> float:
        """The child's CPU seconds so far."""
        self.conn.send("cpu")
        return float(self.conn.recv())

    def __exit__(self, *exc: object) -> None:
        self.conn.send("stop")
        self.proc.join(timeout=20)
        if self.proc.is_alive():
            self.proc.terminate()


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else 0.0


def _timed(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    r = client.post(url, json=BODY)
    took = (time.perf_counter() - start) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{url} answered {r.status_code}")
    return took


def _overhead(upstream: str, proxied: str, n: int) -> dict[str, Any]:
    direct, via, added = [], [], []
    with httpx.Client(timeout=30) as client:
        for _ in range(20):  # warm both paths (connections, JIT-free but caches, thread pools)
            _timed(client, f"{upstream}/chat/completions")
            _timed(client, f"{proxied}/chat/completions")
        for i in range(n):
            first, second = (upstream, proxied) if i % 2 == 0 else (proxied, upstream)
            a = _timed(client, f"{first}/chat/completions")
            b = _timed(client, f"{second}/chat/completions")
            d, p = (a, b) if first == upstream else (b, a)
            direct.append(d)
            via.append(p)
            added.append(p - d)
    return {
        "requests_each": n,
        "direct_p50_ms": _pct(direct, 50),
        "direct_p99_ms": _pct(direct, 99),
        "proxied_p50_ms": _pct(via, 50),
        "proxied_p99_ms": _pct(via, 99),
        "added_p50_ms": _pct(added, 50),
        "added_p99_ms": _pct(added, 99),
        "goal": "added p50 under 2 ms",
    }


def _load(url: str, *, clients: int, per_client: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients)

    def worker() -> None:
        with httpx.Client(timeout=60) as client:
            gate.wait()
            for _ in range(per_client):
                try:
                    took = _timed(client, f"{url}/chat/completions")
                except (httpx.HTTPError, RuntimeError) as exc:
                    with lock:
                        failures.append(type(exc).__name__)
                    continue
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {
        "concurrent_clients": clients,
        "requests": clients * per_client,
        "p50_ms": _pct(latencies, 50),
        "p99_ms": _pct(latencies, 99),
        "max_ms": round(max(latencies), 3) if latencies else 0.0,
        "requests_per_s": round(len(latencies) / wall, 1),
        "failures": len(failures),
    }


def _measured(upstream: str, record_dir: str | None, n: int) -> dict[str, Any]:
    """`_overhead` through a fresh proxy, plus the proxy's own CPU time per proxied request."""
    child = _Child(_serve_proxy, upstream, record_dir)
    with child as proxied:
        before = child.cpu()
        figures = _overhead(upstream, proxied, n)
        spent = child.cpu() - before  # the proxy is idle during the direct half of each pair
    return {**figures, "proxy_cpu_ms_per_request": round(spent / n * 1000, 3)}


def http_figures(note: Note, *, n: int = 200, clients: int = 50, per_client: int = 6) -> dict[str, Any]:
    """Proxy added latency vs the direct upstream, and the server at `clients` concurrent clients."""
    note(f"proxy overhead: {n} request pairs; server: {clients} concurrent clients x {per_client}")
    with tempfile.TemporaryDirectory(prefix="replaylab-proxy-bench-") as tmp, _Child(_serve_upstream) as upstream:
        plain = _measured(upstream, None, n)
        recorded = _measured(upstream, tmp, n)
        kept = sum(1 for _ in Path(tmp).glob("*/trace.json"))  # the proxy flushed its recordings on exit
        load = _load(upstream, clients=clients, per_client=per_client)
    return {"proxy": plain, "proxy_recording": {**recorded, "traces_written": kept}, "server_at_50": load}
