"""How many requests a drill window needs to see the fault's drop at the detector's alpha.

A drill compares the fault window with the baseline window (quality-drop: a one-sided Fisher
exact test per evaluator). With steady-state pass rate `p0`, expected pass rate under the fault
`p1`, significance `alpha` and wanted power, the requests per window follow Fleiss' formula for
two proportions with a continuity correction (at these sizes the exact Fisher test reaches the
wanted power at that n: tests/property/test_power.py checks it):

    n' = (z_a sqrt(2 p q) + z_b sqrt(p0 q0 + p1 q1))^2 / d^2      p = (p0 + p1) / 2, d = p0 - p1
    n  = n'/4 (1 + sqrt(1 + 4 / (n' d)))^2

    check = power_check(p0=0.86, p1=0.43, alpha=0.01, power=0.8, n_used=14)
    check.n_required, check.sufficient     # 28, False
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_ALPHA = 0.01
"""The detectors' significance level (quality-drop, source-concentration, ...)."""
DEFAULT_POWER = 0.8
MAX_REQUESTS = 10**9
"""What `required_n` answers for a drop too small to see with any traffic a drill could send."""


def required_n(*, p0: float, p1: float, alpha: float = DEFAULT_ALPHA, power: float = DEFAULT_POWER) -> int | None:
    """Requests per window for a one-sided test of `p1 < p0` at `alpha` with `power`; None when
    there is no drop to see (`p1 >= p0`)."""
    if not (0.0 < alpha < 1.0 and 0.0 < power < 1.0):
        raise ValueError(f"alpha and power must lie in (0, 1), got {alpha}, {power}")
    if not (0.0 <= p1 <= 1.0 and 0.0 <= p0 <= 1.0):
        raise ValueError(f"pass rates must lie in [0, 1], got {p0}, {p1}")
    d = p0 - p1
    if d <= 0:
        return None
    z_a, z_b = NormalDist().inv_cdf(1 - alpha), NormalDist().inv_cdf(power)
    p = (p0 + p1) / 2
    spread = z_a * math.sqrt(2 * p * (1 - p)) + z_b * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
    try:  # a drop of a few ulps needs more requests than a float holds: capped
        n0 = (spread / d) ** 2
    except OverflowError:
        return MAX_REQUESTS
    if not math.isfinite(n0) or n0 * d == 0:
        return MAX_REQUESTS
    n = n0 / 4 * (1 + math.sqrt(1 + 4 / (n0 * d))) ** 2
    return max(2, min(MAX_REQUESTS, math.ceil(n - 1e-9)))


class PowerCheck(BaseModel):
    """The drill's sizing: requests needed per window against requests sent."""

    model_config = ConfigDict(extra="forbid")

    p0: float = Field(ge=0.0, le=1.0)
    """Steady-state pass rate assumed (the scenario's, else the one measured before the fault)."""
    p1: float = Field(ge=0.0, le=1.0)
    """Pass rate expected under the fault (the scenario's, else from the fault's at-risk share)."""
    alpha: float = Field(gt=0.0, lt=1.0)
    """Significance level of the detector's test."""
    power: float = Field(gt=0.0, lt=1.0)
    """Wanted probability of seeing the drop when it is there."""
    n_required: int | None
    """Requests per window needed (None: `p1 >= p0`, there is no drop to see)."""
    n_used: int
    """Requests per window the drill sent."""
    sufficient: bool = True
    """`n_used >= n_required` (or there is no drop to see)."""
    basis: str = ""
    """Where `p0` and `p1` came from, in words."""

    def warning(self) -> str | None:
        """One line for the journal when the window is too small, else None."""
        if self.sufficient:
            return None
        return (
            f"underpowered: {self.n_used} requests per window, {self.n_required} needed to see a drop from "
            f"{self.p0:.0%} to {self.p1:.0%} at alpha {self.alpha:g} with power {self.power:.0%}"
        )


def power_check(
    *, p0: float, p1: float, n_used: int, alpha: float = DEFAULT_ALPHA, power: float = DEFAULT_POWER, basis: str = ""
) -> PowerCheck:
    """The sizing of one drill window."""
    needed = required_n(p0=p0, p1=p1, alpha=alpha, power=power)
    return PowerCheck(
        p0=round(p0, 4),
        p1=round(p1, 4),
        alpha=alpha,
        power=power,
        n_required=needed,
        n_used=n_used,
        sufficient=needed is None or n_used >= needed,
        basis=basis,
    )


def expected_under_fault(*, p0: float, at_risk_share: float, failure_rate: float) -> float:
    """Pass rate under the fault when `at_risk_share` of the window is at risk and `failure_rate`
    of those fail: the rest keep passing at `p0`."""
    return p0 * (1 - at_risk_share * failure_rate)
