"""How well the detectors work: true-positive rate on faults, false-positive rate on clean traffic.

    table = measure_detectors(stack, deployment=Deployment.capture(stack, config), golden=golden)
    print(table.markdown())

For each fault, the fault is injected into its steady state and `windows` windows of
`window_size` golden questions run through it; each detector is compared against a fixed
baseline window run before the fault. The false-positive rate is measured the same way on
`clean_windows` windows of clean traffic (different questions each window). Traffic is
`mixed` (random golden questions: what production sees) or `affected` (the questions the
fault should break first, padded with random ones: what a complaint cluster looks like).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel

from replaylab.detectors.base import DetectorBase
from replaylab.errors import ReplaylabError
from replaylab.evals.golden_traffic import run_traffic
from replaylab.faults.base import FaultBase
from replaylab.registry import items
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

Traffic = Literal["mixed", "affected"]

OWN_FAULT: dict[str, str] = {
    "query-embedding-drift": "embedding-drift",
    "index-staleness": "stale-index",
    "source-concentration": "poisoned-documents",
    "chunk-age": "stale-index",
    "model-version-change": "silent-model-change",
    "sampling-config-drift": "sampling-drift",
    "quality-drop": "prompt-instruction-conflict",
}
"""The fault each detector is built to catch."""


class DetectorRow(BaseModel):
    """One detector against one fault, and against clean traffic."""

    detector: str
    fault: str
    own: bool
    """Whether `fault` is the one the detector is built for."""
    traffic: Traffic
    windows: int
    requests: int
    tp_rate: float
    """Share of fault windows on which the detector fired."""
    clean_windows: int
    clean_requests: int
    fp_rate: float
    """Share of clean windows on which the detector fired."""
    affected: int
    """Golden questions the fault should break."""


class DetectorTable(BaseModel):
    """The measurement the closing note reports."""

    rows: list[DetectorRow]
    window_size: int
    baseline_requests: int
    seed: int
    skipped: dict[str, str] = {}
    """Faults that could not be injected into the deployment, with the reason."""

    def markdown(self) -> str:
        lines = [
            "| detector | fault | traffic | TP rate (windows) | FP rate (clean windows / requests) |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            fault = f"**{r.fault}**" if r.own else r.fault
            lines.append(
                f"| {r.detector} | {fault} | {r.traffic} | {r.tp_rate:.0%} ({r.windows}) | "
                f"{r.fp_rate:.0%} ({r.clean_windows} / {r.clean_requests}) |"
            )
        lines += [f"\nnot measured: {kind}: {why}" for kind, why in self.skipped.items()]
        return "\n".join(lines)


def _window_items(
    rng: random.Random, golden: Sequence[GoldenItem], size: int, *, first: Sequence[GoldenItem] = ()
) -> list[GoldenItem]:
    chosen = rng.sample(list(first), min(size, len(first))) if first else []
    rest = [g for g in golden if g not in chosen]
    return chosen + rng.sample(rest, min(size - len(chosen), len(rest)))


def measure_detectors(
    stack: Stack,
    *,
    deployment: Deployment,
    golden: Sequence[GoldenItem],
    faults: Sequence[FaultBase] | None = None,
    detectors: Sequence[DetectorBase] | None = None,
    own_only: bool = True,
    traffic: Traffic = "mixed",
    windows: int = 5,
    window_size: int = 20,
    clean_windows: int = 10,
    baseline_size: int = 100,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> DetectorTable:
    """Each detector's TP rate on faults and FP rate on clean traffic (see the module docstring)."""
    dets = list(detectors) if detectors is not None else [cls() for _, cls in items("detector")]
    flts = (
        list(faults)
        if faults is not None
        else [cls() for name, cls in items("fault") if name in set(OWN_FAULT.values()) or not own_only]
    )
    rng = random.Random(seed)
    baseline_items = rng.sample(list(golden), min(baseline_size, len(golden)))
    baselines: dict[str, list[Trace]] = {}

    def baseline_of(dep: Deployment) -> list[Trace]:
        key = dep.model_dump_json()
        if key not in baselines:
            baselines[key] = run_traffic(stack, dep, baseline_items, tags={"window": "baseline"})
        return baselines[key]

    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    say("clean traffic")
    clean_base = baseline_of(deployment)
    clean_fired: dict[str, int] = {d.name: 0 for d in dets}
    for w in range(clean_windows):
        win = run_traffic(stack, deployment, _window_items(rng, golden, window_size), tags={"window": f"clean-{w}"})
        for d in dets:
            clean_fired[d.name] += d.detect(win, clean_base, stack=stack).fired
    fired: dict[tuple[str, str], int] = {}
    affected: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for fault in flts:
        pairs = [d for d in dets if not own_only or OWN_FAULT.get(d.name) == fault.kind]
        if not pairs:
            continue
        say(f"fault {fault.kind}")
        before = Deployment.capture(stack, fault.steady_state(deployment.config)) if fault.baseline_fields else deployment
        base = baseline_of(before)
        try:
            injection = fault.inject(before, stack=stack, golden=golden)
        except ReplaylabError as exc:
            skipped[fault.kind] = str(exc)
            continue
        try:
            affected[fault.kind] = len(injection.affected_qids)
            hit = [g for g in golden if g.qid in set(injection.affected_qids)]
            for w in range(windows):
                chosen = _window_items(rng, golden, window_size, first=hit if traffic == "affected" else ())
                win = run_traffic(stack, injection.after, chosen, seed=w, tags={"window": f"{fault.kind}-{w}"})
                for d in pairs:
                    key = (d.name, fault.kind)
                    fired[key] = fired.get(key, 0) + d.detect(win, base, stack=stack).fired
        finally:
            fault.rollback(injection, stack=stack)
    deployment.activate(stack)
    rows = [
        DetectorRow(
            detector=d,
            fault=f,
            own=OWN_FAULT.get(d) == f,
            traffic=traffic,
            windows=windows,
            requests=windows * window_size,
            tp_rate=n / windows,
            clean_windows=clean_windows,
            clean_requests=clean_windows * window_size,
            fp_rate=clean_fired[d] / clean_windows,
            affected=affected.get(f, 0),
        )
        for (d, f), n in sorted(fired.items(), key=lambda kv: (kv[0][0], OWN_FAULT.get(kv[0][0]) != kv[0][1], kv[0][1]))
    ]
    return DetectorTable(rows=rows, window_size=window_size, baseline_requests=len(baseline_items), seed=seed, skipped=skipped)
