"""Narrowing a failure once bisect knows where it lives.

Two searches run after the variable sweep, both through the same memoised Prober:

- `first_bad_version`: inside one variable with an ordered history, binary search for
  the first version that fails, as `git bisect` does (unresolved versions are skipped).
- `culprit_chunks`: inside the bad run's retrieved context, ddmin for a 1-minimal set of
  chunks whose removal makes the run pass.

Each returns a finding with a clause in words that bisect adds to `stopped_because`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from replaylab.bisection.ddmin import ddmin
from replaylab.bisection.probe import ChunkOutcome, Prober, Verdict, canonical, jsonable

__all__ = ["ChunkFinding", "FirstBad", "VersionFinding", "culprit_chunks", "first_bad_version"]


class FirstBad(BaseModel):
    """The first version in a variable's history that fails, found by binary search."""

    variable: str
    index: int
    """Position of the first bad version in the history (oldest first)."""
    value: Any
    """That version, as JSON."""
    last_good_index: int
    """Position of the newest version known to pass before it."""
    replays: int
    """Replays run by this search (memo hits not counted)."""
    skipped: list[int] = Field(default_factory=list)
    """Unresolved versions between the two: the first bad one could be any of these too."""


class VersionFinding(BaseModel):
    first: FirstBad | None
    reason: str


class ChunkFinding(BaseModel):
    culprits: list[str] | None
    reason: str


def first_bad_version(
    prober: Prober,
    *,
    variable: str,
    history: Sequence[Any],
    good_value: Any,
    bad_value: Any,
    world: Callable[[Any], Mapping[str, Any]],
    others: list[str],
) -> VersionFinding:
    """Binary search `history` (oldest first) for the first version of `variable` that fails.

    `world(value)` is the failing world with `variable` set to `value`; `others` names the
    variables it holds bad. The search runs between the newest good version before the
    bad one and the first bad version after it. The endpoints are bad-with-v-good and
    bad, memo hits after the sweep, so a history of M versions costs at most
    ceil(log2 M) replays per seed. Where the history is not monotone it finds *a*
    pass -> fail transition, as git bisect does.
    """
    keys = [canonical(h) for h in history]
    good_key, bad_key = canonical(good_value), canonical(bad_value)
    if bad_key not in keys:
        return VersionFinding(first=None, reason=f"the history of {variable} lacks its bad value")
    newest_bad = max(i for i, k in enumerate(keys) if k == bad_key)
    goods = [i for i in range(newest_bad) if keys[i] == good_key]
    if not goods:
        reason = f"the history of {variable} holds no good value before its bad value"
        return VersionFinding(first=None, reason=reason)
    lo = goods[-1]
    hi = next(i for i in range(lo + 1, len(keys)) if keys[i] == bad_key)
    before = prober.replays

    def status(index: int) -> str:
        return prober.verdict(
            world(history[index]),
            phase="version",
            name=f"{variable}@{index}",
            bad=others,
            version=index,
        ).status

    if status(lo) != "pass" or status(hi) != "fail":
        reason = f"the good and bad versions of {variable} do not pass and fail with the others bad"
        return VersionFinding(first=None, reason=reason)
    skipped: set[int] = set()
    while candidates := [i for i in range(lo + 1, hi) if i not in skipped]:
        middle = (lo + hi) / 2
        index = min(candidates, key=lambda i: (abs(i - middle), i))
        verdict = status(index)
        if verdict == "pass":
            lo = index
        elif verdict == "fail":
            hi = index
        else:  # git bisect skip: the nearest untried neighbour is next
            skipped.add(index)
    first = FirstBad(
        variable=variable,
        index=hi,
        value=jsonable(history[hi]),
        last_good_index=lo,
        replays=prober.replays - before,
        skipped=sorted(i for i in skipped if lo < i < hi),
    )
    reason = (
        f"the first bad version of {variable} is #{first.index} (last good #{first.last_good_index}, {first.replays} replays)"
    )
    if first.skipped:
        reason += " or one of the unresolved #" + ", #".join(map(str, first.skipped))
    return VersionFinding(first=first, reason=reason)


def culprit_chunks(prober: Prober, *, chunks: Sequence[str], chunk_outcome: ChunkOutcome, bad: list[str]) -> ChunkFinding:
    """A 1-minimal set of `chunks` whose removal makes the bad run pass, or why there is none.

    Two checks come first, so that the answer means something: the context held to all
    the chunks must fail (else the context alone does not reproduce the failure), and
    the context emptied of them must pass (else no set of these chunks is to blame).
    """
    ids = list(chunks)
    n = len(ids)

    def run(kept: list[str], name: str) -> Verdict:
        return prober.verdict_chunks(kept, chunk_outcome=chunk_outcome, name=name, bad=bad)

    full = run(ids, "all chunks")
    if full.status != "fail":
        return ChunkFinding(
            culprits=None,
            reason=f"with the context held to the bad run's {n} chunks the replay fails "
            f"{full.tally('fail')}: the chunks alone do not reproduce the failure",
        )
    empty = run([], "no chunks")
    if empty.status != "pass":
        return ChunkFinding(
            culprits=None,
            reason=f"removing all {n} chunks does not make the run pass (passes "
            f"{empty.tally('pass')}): no set of the retrieved chunks is to blame",
        )

    def removal_passes(removed: list[int]) -> bool | None:
        gone = set(removed)
        kept = [c for i, c in enumerate(ids) if i not in gone]
        status = run(kept, "without " + ", ".join(ids[i] for i in removed)).status
        return None if status == "unresolved" else status == "pass"

    culprits = [ids[i] for i in ddmin(list(range(n)), removal_passes)]
    return ChunkFinding(
        culprits=culprits,
        reason=f"removing [{', '.join(culprits)}] ({len(culprits)} of {n} chunks) makes the run pass",
    )
