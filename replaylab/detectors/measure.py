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
from pathlib import Path
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

OWN_FAULTS: dict[str, tuple[str, ...]] = {
    **{d: (f,) for d, f in OWN_FAULT.items()},
    "quality-drop": ("prompt-instruction-conflict", "top-k-truncation"),
    "chunk-age": ("stale-index",),
}
"""Every fault a detector is meant to catch (quality-drop: any fault that costs correct answers)."""


def fault_label(fault: FaultBase) -> str:
    """The fault's kind, with the parameters it sets away from their defaults: `top-k-truncation(top_k=3)`."""
    defaults = {k: f.get_default(call_default_factory=True) for k, f in type(fault).model_fields.items()}
    changed = {k: v for k, v in fault.model_dump().items() if k != "kind" and v != defaults.get(k)}
    return fault.kind + ("(" + ", ".join(f"{k}={v}" for k, v in changed.items()) + ")" if changed else "")


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
    clean_fired: dict[str, int] = {}
    """Per detector (every one measured, with or without a fault row): clean windows it fired on."""
    clean_windows: int = 0
    """Clean windows run: the FP rate's resolution is 1 / clean_windows."""
    errors: dict[str, str] = {}
    """Detectors that crashed on some window (counted as not fired there), with the first error."""

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
        with_rows = {r.detector for r in self.rows}
        for name, n in sorted(self.clean_fired.items()):
            if name not in with_rows:
                lines.append(
                    f"| {name} | (no fault on golden traffic) | – | – | {n / max(1, self.clean_windows):.0%} "
                    f"({self.clean_windows} / {self.clean_windows * self.window_size}) |"
                )
        lines += [f"\nnot measured: {kind}: {why}" for kind, why in self.skipped.items()]
        return "\n".join(lines)


MEASURED_FILE = "detectors/measured.json"
"""Where `replaylab detectors measure` keeps the latest table, relative to the workspace root."""


def save_measured(root: Path, table: DetectorTable) -> Path:
    """Keep `table` as the workspace's latest measurement (atomic write); returns the path."""
    from replaylab.files import atomic_write_text

    path = root / MEASURED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, table.model_dump_json(indent=2))
    return path


def load_measured(root: Path) -> DetectorTable | None:
    """The workspace's latest measurement, or None when none was taken (or it is unreadable)."""
    path = root / MEASURED_FILE
    try:
        return DetectorTable.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def measured_rates(table: DetectorTable, detector: str) -> dict[str, float | int | str]:
    """One detector's measured TP rate on its own fault(s) and FP rate, for a drill journal."""
    own = [r for r in table.rows if r.detector == detector and r.own]
    fp = table.clean_fired.get(detector)
    return {
        "detector": detector,
        "tp_rate": min((r.tp_rate for r in own), default=float("nan")),
        "tp_faults": ", ".join(f"{r.fault} {r.tp_rate:.0%}/{r.windows}" for r in own) or "not measured",
        "fp_rate": (fp / table.clean_windows) if fp is not None and table.clean_windows else float("nan"),
        "clean_windows": table.clean_windows,
    }


def _fires(det: DetectorBase, window: list[Trace], baseline: list[Trace], *, stack: Stack, errors: dict[str, str]) -> int:
    """1 if `det` fires on the window; a crash is recorded in `errors` and counts as not fired."""
    try:
        return int(det.detect(window, baseline, stack=stack).fired)
    except Exception as exc:  # recorded, not raised: one broken detector must not void the table
        errors.setdefault(det.name, f"{type(exc).__name__}: {exc}")
        return 0


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
        else [cls() for name, cls in items("fault") if name in {f for fs in OWN_FAULTS.values() for f in fs} or not own_only]
    )
    rng = random.Random(seed)
    baseline_items = rng.sample(list(golden), min(baseline_size, len(golden)))
    m = _Measurement(stack, golden, rng, window_size, baseline_items, progress)
    m.say("clean traffic")
    clean_base = m.baseline_of(deployment)
    clean_fired: dict[str, int] = {d.name: 0 for d in dets}
    for w in range(clean_windows):
        win = run_traffic(stack, deployment, _window_items(rng, golden, window_size), tags={"window": f"clean-{w}"})
        for d in dets:
            clean_fired[d.name] += _fires(d, win, clean_base, stack=stack, errors=m.errors)
    for fault in flts:
        pairs = [d for d in dets if not own_only or fault.kind in OWN_FAULTS.get(d.name, ())]
        if pairs:
            m.fault_windows(fault, deployment, pairs, windows=windows, traffic=traffic)
    deployment.activate(stack)
    rows = _rows(m, clean_fired, traffic=traffic, windows=windows, window_size=window_size, clean_windows=clean_windows)
    return DetectorTable(
        rows=rows,
        window_size=window_size,
        baseline_requests=len(baseline_items),
        seed=seed,
        skipped=m.skipped,
        clean_fired=clean_fired,
        clean_windows=clean_windows,
        errors=m.errors,
    )


def _rows(
    m: _Measurement, clean_fired: dict[str, int], *, traffic: Traffic, windows: int, window_size: int, clean_windows: int
) -> list[DetectorRow]:
    """One row per (detector, fault) measured, each detector's own fault first."""
    return [
        DetectorRow(
            detector=d,
            fault=f,
            own=f.split("(")[0] in OWN_FAULTS.get(d, ()),
            traffic=traffic,
            windows=windows,
            requests=windows * window_size,
            tp_rate=n / windows,
            clean_windows=clean_windows,
            clean_requests=clean_windows * window_size,
            fp_rate=clean_fired[d] / clean_windows,
            affected=m.affected.get(f, 0),
        )
        for (d, f), n in sorted(m.fired.items(), key=lambda kv: (kv[0][0], OWN_FAULT.get(kv[0][0]) != kv[0][1], kv[0][1]))
    ]


class _Measurement:
    """What the windows of one measurement share: the traffic sampler, baselines run once, the tallies."""

    def __init__(
        self,
        stack: Stack,
        golden: Sequence[GoldenItem],
        rng: random.Random,
        window_size: int,
        baseline_items: list[GoldenItem],
        progress: Callable[[str], None] | None,
    ) -> None:
        self.stack, self.golden, self.rng, self.window_size = stack, golden, rng, window_size
        self.baseline_items, self.progress = baseline_items, progress
        self.baselines: dict[str, list[Trace]] = {}
        self.errors: dict[str, str] = {}
        self.fired: dict[tuple[str, str], int] = {}
        """(detector, fault label) -> windows it fired on."""
        self.affected: dict[str, int] = {}
        self.skipped: dict[str, str] = {}

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def baseline_of(self, dep: Deployment) -> list[Trace]:
        key = dep.model_dump_json()
        if key not in self.baselines:
            self.baselines[key] = run_traffic(self.stack, dep, self.baseline_items, tags={"window": "baseline"})
        return self.baselines[key]

    def fault_windows(
        self, fault: FaultBase, deployment: Deployment, pairs: list[DetectorBase], *, windows: int, traffic: Traffic
    ) -> None:
        """Inject `fault`, run `windows` windows of traffic through it, count who fires, roll back."""
        stack, golden = self.stack, self.golden
        label = fault_label(fault)
        self.say(f"fault {label}")
        before = Deployment.capture(stack, fault.steady_state(deployment.config)) if fault.baseline_fields else deployment
        base = self.baseline_of(before)
        try:
            injection = fault.inject(before, stack=stack, golden=golden)
        except ReplaylabError as exc:
            self.skipped[label] = str(exc)
            return
        try:
            self.affected[label] = len(injection.affected_qids)
            hit = [g for g in golden if g.qid in set(injection.affected_qids)]
            for w in range(windows):
                chosen = _window_items(self.rng, golden, self.window_size, first=hit if traffic == "affected" else ())
                win = run_traffic(stack, injection.after, chosen, seed=w, tags={"window": f"{fault.kind}-{w}"})
                for d in pairs:
                    key = (d.name, label)
                    self.fired[key] = self.fired.get(key, 0) + _fires(d, win, base, stack=stack, errors=self.errors)
        finally:
            fault.rollback(injection, stack=stack)
