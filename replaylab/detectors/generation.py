"""Generation and outcome detectors: model version change, sampling config drift, quality drop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field
from scipy.stats import boschloo_exact, fisher_exact

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
    """The share of good responses (correct by the evaluators' fast verdict, and grounded in the
    context when the evaluators are installed) dropped vs the baseline.

    One rate, one test: a one-sided Boschloo exact test (exact at `alpha` like Fisher's, and
    uniformly more powerful), so no multiplicity correction is spent on a second metric a fault
    may not move. Fires when the rate drops by at least `min_drop` and the test rejects at
    `alpha`. A window too small to see `min_drop` at `alpha` says so, with the size it needs
    (`min_window`), instead of a silent miss.
    """

    name: ClassVar[str] = "quality-drop"
    layer: ClassVar[Layer] = "generation"
    alpha: float = Field(0.01, gt=0.0, lt=1.0)
    min_drop: float = Field(0.15, ge=0.0, le=1.0)
    """Drop in the rate (absolute) worth an alert."""
    groundedness: bool = True
    """Count an ungrounded answer as bad too (when the evaluators are installed)."""

    def flags(self, traces: Sequence[Trace]) -> list[bool]:
        """Per golden trace: correct, and grounded when that is checked."""
        from replaylab.evals.golden_traffic import passes

        golden = [t for t in traces if t.golden is not None]
        ok = [passes(t) for t in golden]
        if self.groundedness:
            grounded = grounded_flags(golden)
            if grounded is not None and len(grounded) == len(golden):
                ok = [a and b for a, b in zip(ok, grounded, strict=True)]
        return ok

    def min_window(self, baseline_ok: Sequence[bool], *, cap: int = 2000) -> int | None:
        """The smallest window in which a drop of `min_drop` from the baseline's rate would be
        rejected at `alpha` (sized with Fisher's test, which is conservative for Boschloo's);
        None when no window up to `cap` can (the baseline is too small or too close to 0)."""
        nb, kb = len(baseline_ok), sum(baseline_ok)
        rate = kb / nb - self.min_drop if nb else -1.0
        if rate < 0:
            return None

        def rejects(n: int) -> bool:
            kw = int(n * rate)
            return float(fisher_exact([[kw, kb], [n - kw, nb - kb]], alternative="less")[1]) < self.alpha

        if not rejects(cap):
            return None
        lo, hi = 2, cap
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if rejects(mid) else (mid + 1, hi)
        return lo

    def detect(self, window: Sequence[Trace], baseline: Sequence[Trace], *, stack: Stack) -> Detection:
        w, b = self.flags(window), self.flags(baseline)
        if not w or not b:
            return self.quiet("no golden answers to score", threshold=self.min_drop)
        kw, kb = sum(w), sum(b)
        rw, rb = kw / len(w), kb / len(b)
        p = 1.0 if rw >= rb else float(boschloo_exact([[kw, kb], [len(w) - kw, len(b) - kb]], alternative="less").pvalue)
        drop = rb - rw
        fired = drop >= self.min_drop and p < self.alpha
        what = "correct and grounded" if self.groundedness else "correct"
        reason = (
            f"{what} {rw:.0%} of {len(w)} vs {rb:.0%} of {len(b)} in the baseline (drop {drop:+.0%}; "
            f"one-sided Boschloo p={fmt_p(p)}, alpha {self.alpha:g})"
        )
        if not fired:
            need = self.min_window(b)
            if need is None:
                reason += f"; the baseline of {len(b)} cannot resolve a {self.min_drop:.0%} drop at any window size"
            elif need > len(w):
                reason += f"; underpowered: {len(w)} requests cannot resolve a {self.min_drop:.0%} drop, {need} can"
        return Detection(
            name=self.name, fired=bool(fired), statistic=round(drop, 4), threshold=self.min_drop, p_value=p, reason=reason
        )
