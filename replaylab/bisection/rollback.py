"""The version a rollback moves a label back to: one that was live and passes, or none.

The first-bad-version search names the newest version that passes before the first bad
one, but that version may never have been deployed (a draft between two releases). A
rollback must land on a version users were actually served - one a label such as
`production` pointed at, read from the label history - and that passes with everything
else held as it is now. `rollback_version` tries the live versions older than the first
bad one, newest first, through the same memoised Prober (a version the search already
replayed costs nothing), and stops at the first that passes.

    target = rollback_version(prober, variable="prompt", history=hist, live={0, 2}, first=fb,
                              world=world, others=["index"])
    target.index, target.reason   # 2, "rag-answer@3 (#2) was live and passes ..."
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from replaylab.bisection.narrow import FirstBad
from replaylab.bisection.probe import Prober, jsonable

__all__ = ["RollbackTarget", "rollback_version"]


class RollbackTarget(BaseModel):
    """Where a rollback of one variable lands, or why it has nowhere to land."""

    variable: str
    """The variable to roll back, e.g. `prompt`."""
    index: int | None
    """Position in the history of the version to roll back to; None when no live version passes."""
    value: Any = None
    """That version, as JSON (None when there is none)."""
    tried: list[int] = Field(default_factory=list)
    """Live versions judged, newest first, ending with the target when there is one."""
    reason: str
    """Why this version (or why none), in words."""


def rollback_version(
    prober: Prober,
    *,
    variable: str,
    history: Sequence[Any],
    live: Collection[int],
    first: FirstBad,
    world: Callable[[Any], Mapping[str, Any]],
    others: list[str],
) -> RollbackTarget:
    """The newest version before `first` that was live (in `live`) and passes, or None with a reason.

    `world(value)` is the failing world with `variable` set to `value` (the others held
    bad, as in the first-bad-version search), so the target is a version that fixes the
    failure on its own in today's configuration.
    """
    candidates = sorted({i for i in live if 0 <= i < first.index}, reverse=True)
    if not candidates:
        reason = (
            f"no version of {variable} older than the first bad one (#{first.index}) was ever live "
            "in the label history: there is no deployed good version to roll back to"
        )
        return RollbackTarget(variable=variable, index=None, reason=reason)
    tried: list[int] = []
    outcomes: list[str] = []
    for index in candidates:
        tried.append(index)
        verdict = prober.verdict(world(history[index]), phase="version", name=f"{variable}@{index}", bad=others, version=index)
        if verdict.status == "pass":
            value = jsonable(history[index])
            reason = f"{value} (#{index}) was live and passes {verdict.tally('pass')} with the other variables as they are"
            if first.last_good_index not in live:
                reason += f"; the last passing version #{first.last_good_index} was never live"
            return RollbackTarget(variable=variable, index=index, value=value, tried=tried, reason=reason)
        outcomes.append(f"#{index} {'fails' if verdict.status == 'fail' else 'is unresolved'}")
    reason = f"no live version of {variable} before #{first.index} passes ({', '.join(outcomes)}): nothing safe to roll back to"
    return RollbackTarget(variable=variable, index=None, tried=tried, reason=reason)
