"""Generation and outcome detectors: model version change, sampling config drift, quality drop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field
from scipy.stats import fisher_exact

from replaylab.detectors.base import Detection, DetectorBase, fmt_p
from replaylab.registry import register
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace
from replaylab.variables import Layer


@register("detector", "model-version-change")
class ModelVersionChange(DetectorBase):
    """The model that answered differs from the pinned one, or from the one that answered the baseline."""

    name: ClassVar[str] = "model-version-change"
    layer: ClassVar[Layer] = "generation"
    max_share: float = Field(0.0, ge=0.0, le=1.0)
    """Share of window requests allowed to show a changed model before firing."""

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        if not window:
            return self.quiet("empty window", threshold=self.max_share)
        seen: dict[str, set[str]] = {}
        for t in baseline:
            seen.setdefault(t.versions.mrv.requested, set()).add(t.versions.mrv.returned)
        changed = [
            t
            for t in window
            if t.versions.mrv.returned != t.versions.mrv.requested
            or (t.versions.mrv.requested in seen and t.versions.mrv.returned not in seen[t.versions.mrv.requested])
        ]
        share = len(changed) / len(window)
        pairs = sorted({f"{t.versions.mrv.requested} -> {t.versions.mrv.returned}" for t in changed})
        reason = (
            f"{len(changed)}/{len(window)} responses came from another model than requested or than the "
            f"baseline's: {', '.join(pairs)}"
            if changed
            else f"every response came from the requested model ({len(window)} requests)"
        )
        return Detection(name=self.name, fired=share > self.max_share, statistic=share, threshold=self.max_share, reason=reason)


@register("detector", "sampling-config-drift")
class SamplingConfigDrift(DetectorBase):
    """Sampling parameters sent to the model (temperature, top_p, max_tokens) differ from the baseline's."""

    name: ClassVar[str] = "sampling-config-drift"
    layer: ClassVar[Layer] = "generation"
    max_share: float = Field(0.0, ge=0.0, le=1.0)

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        def key(t: Trace) -> tuple[float, float, int] | None:
            s = t.generation.sampling if t.generation is not None else None
            return None if s is None else (s.temperature, s.top_p, s.max_tokens)

        known = {key(t) for t in baseline} - {None}
        sent = [key(t) for t in window if key(t) is not None]
        if not sent or not known:
            return self.quiet("no generation to compare", threshold=self.max_share)
        drifted = [k for k in sent if k not in known]
        share = len(drifted) / len(sent)
        new = sorted({f"temperature={k[0]}, top_p={k[1]}, max_tokens={k[2]}" for k in drifted if k is not None})
        base = sorted(f"temperature={k[0]}, top_p={k[1]}, max_tokens={k[2]}" for k in known if k is not None)
        reason = (
            f"{len(drifted)}/{len(sent)} requests sent {'; '.join(new)} (baseline: {'; '.join(base)})"
            if drifted
            else f"sampling matches the baseline ({'; '.join(base)})"
        )
        return Detection(name=self.name, fired=share > self.max_share, statistic=share, threshold=self.max_share, reason=reason)


def grounded_flags(traces: Sequence[Trace]) -> list[bool] | None:
    """Per trace, whether its output is grounded in its context (None without the evaluators)."""
    try:
        from replaylab.evals import evaluate
    except ImportError:
        return None
    out = []
    for t in traces:
        score = evaluate(t, evaluators=["grounded"]).score("grounded")
        if score is not None and score.passed is not None:
            out.append(bool(score.passed))
    return out


@register("detector", "quality-drop")
class QualityDrop(DetectorBase):
    """Correctness (the evaluators' fast verdict) or groundedness dropped vs the baseline.

    Each rate is compared with a one-sided Fisher exact test (Bonferroni over the two); fires
    when a rate drops by at least `min_drop` and its test rejects at `alpha`. Groundedness is
    used when the evaluators are installed.
    """

    name: ClassVar[str] = "quality-drop"
    layer: ClassVar[Layer] = "generation"
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    min_drop: float = Field(0.15, ge=0.0, le=1.0)
    """Drop in a rate (absolute) worth an alert."""
    groundedness: bool = True
    """Also test the groundedness rate (when the evaluators are installed)."""

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        from replaylab.evals.golden_traffic import passes

        win = [t for t in window if t.golden is not None]
        base = [t for t in baseline if t.golden is not None]
        if not win or not base:
            return self.quiet("no golden answers to score", threshold=self.min_drop)
        metrics: list[tuple[str, list[bool], list[bool]]] = [("pass rate", [passes(t) for t in win], [passes(t) for t in base])]
        if self.groundedness:
            gw, gb = grounded_flags(window), grounded_flags(baseline)
            if gw and gb:
                metrics.append(("groundedness", gw, gb))
        results = []
        for label, w, b in metrics:
            kw, kb = sum(w), sum(b)
            _, p = fisher_exact([[kw, len(w) - kw], [kb, len(b) - kb]], alternative="less")
            p = min(1.0, float(p) * len(metrics))
            drop = kb / len(b) - kw / len(w)
            results.append(
                (drop >= self.min_drop and p < self.alpha, -p, drop, label, kw / len(w), kb / len(b), len(w), len(b), p)
            )
        fired, _, drop, label, rw, rb, nw, nb, p = max(results)
        others = "; ".join(f"{r[3]} {r[4]:.0%} vs {r[5]:.0%} (p={fmt_p(r[8])})" for r in results if r[3] != label)
        return Detection(
            name=self.name,
            fired=bool(fired),
            statistic=round(drop, 4),
            threshold=self.min_drop,
            p_value=p,
            reason=(
                f"{label} {rw:.0%} of {nw} vs {rb:.0%} of {nb} in the baseline (drop {drop:+.0%}; "
                f"one-sided Fisher p={fmt_p(p)})" + (f"; {others}" if others else "")
            ),
        )
