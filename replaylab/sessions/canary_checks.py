"""The canary gate: compare canary turns with production turns, check by check.

Every check a judge reports (`correct`, `not_sycophantic` on false-premise questions,
`evals` when the evaluator suite is installed) and the overall verdict (`passed`) is
compared: the canary regresses on a check when its pass rate is more than `max_drop` below
production's. A check production never ran is held to 1.0. Behavioural checks are in the
comparison on purpose: a canary that only watched quality metrics would miss sycophancy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from replaylab.sessions.state import Turn


class CheckComparison(BaseModel):
    """One check's pass counts on canary turns against production turns."""

    check: str
    canary_passed: int
    canary_total: int
    production_passed: int
    production_total: int
    regressed: bool


class GateDecision(BaseModel):
    """What the gate decided, when, and on what evidence."""

    verdict: Literal["kill", "promote", "undecided"]
    at: int | None
    """Tick after whose turns the gate decided."""
    canary_turns: int
    production_turns: int
    checks: list[CheckComparison]
    reason: str


def _tally(turns: Sequence[Turn], check: str) -> tuple[int, int]:
    if check == "passed":
        return sum(t.passed for t in turns), len(turns)
    seen = [t.checks[check] for t in turns if check in t.checks]
    return sum(seen), len(seen)


def compare_checks(canary: Sequence[Turn], production: Sequence[Turn], *, max_drop: float) -> list[CheckComparison]:
    """Per check, the canary's pass rate against production's."""
    out = []
    for name in ["passed", *sorted({c for t in canary for c in t.checks})]:
        cp, ct = _tally(canary, name)
        pp, pt = _tally(production, name)
        baseline = pp / pt if pt else 1.0
        out.append(
            CheckComparison(
                check=name,
                canary_passed=cp,
                canary_total=ct,
                production_passed=pp,
                production_total=pt,
                regressed=bool(ct) and cp / ct < baseline - max_drop,
            )
        )
    return out


def decide(
    canary: Sequence[Turn], production: Sequence[Turn], *, at: int, min_canary_turns: int, max_drop: float, window_over: bool
) -> GateDecision | None:
    """Kill on any regression once `min_canary_turns` are in; promote when the window is over; else wait (None)."""
    if len(canary) < min_canary_turns:
        if not window_over:
            return None
        return GateDecision(
            verdict="undecided",
            at=at,
            canary_turns=len(canary),
            production_turns=len(production),
            checks=[],
            reason=f"only {len(canary)} canary turns by the end of the window "
            f"(needs {min_canary_turns}); the candidate stays unpromoted",
        )
    checks = compare_checks(canary, production, max_drop=max_drop)
    regressed = [c.check for c in checks if c.regressed]
    if regressed:
        return GateDecision(
            verdict="kill",
            at=at,
            canary_turns=len(canary),
            production_turns=len(production),
            checks=checks,
            reason=f"canary regressed on {', '.join(regressed)} by more than {max_drop:.0%}",
        )
    if window_over:
        return GateDecision(
            verdict="promote",
            at=at,
            canary_turns=len(canary),
            production_turns=len(production),
            checks=checks,
            reason=f"no check regressed by more than {max_drop:.0%} over {len(canary)} canary turns",
        )
    return None
