"""Narrowing a failure once bisect knows where it lives.

Two searches run after the variable sweep, both through the same memoised Prober:

- `first_bad_version`: inside one variable with an ordered history, binary search for
  the first version that fails, as `git bisect` does (unresolved versions are skipped).
- `culprit_chunks`: inside the bad run's retrieved context, ddmin for a 1-minimal set of
  chunks whose removal makes the run pass - also when the answer's own chunk is among
  them, so that removing every chunk fails too.

Each returns a finding with a clause in words that bisect adds to `stopped_because`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from replaylab.bisection.ddmin import ddmin
from replaylab.bisection.probe import ChunkOutcome, Prober, Verdict, canonical, jsonable

__all__ = ["ChunkFinding", "FirstBad", "VersionFinding", "culprit_chunks", "first_bad_version"]


def _numbered(history: Sequence[Any], index: int) -> str:
    """A history entry as people number it: `version 6` (1-based), with its id when it is a short string."""
    value = history[index]
    return f"version {index + 1}" + (f" ({value})" if isinstance(value, str) and len(value) <= 40 else "")


class FirstBad(BaseModel):
    """The first version in a variable's history that fails, found by binary search."""

    variable: str
    """The variable whose history was searched, e.g. `prompt`."""
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
    bracket = _bracket(history, variable=variable, good_value=good_value, bad_value=bad_value)
    if isinstance(bracket, str):
        return VersionFinding(first=None, reason=bracket)
    lo, hi = bracket
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
    lo, hi, skipped = _narrow(status, lo, hi)
    first = FirstBad(
        variable=variable,
        index=hi,
        value=jsonable(history[hi]),
        last_good_index=lo,
        replays=prober.replays - before,
        skipped=sorted(i for i in skipped if lo < i < hi),
    )
    reason = (
        f"the first bad version of {variable} is {_numbered(history, first.index)} (last good: "
        f"{_numbered(history, first.last_good_index)}; numbered from 1, oldest first; {first.replays} replays)"
    )
    if first.skipped:
        reason += " or one of the unresolved versions " + ", ".join(str(i + 1) for i in first.skipped)
    return VersionFinding(first=first, reason=reason)


def _bracket(history: Sequence[Any], *, variable: str, good_value: Any, bad_value: Any) -> tuple[int, int] | str:
    """(newest good version before the bad one, first bad version after it), or why there is none."""
    keys = [canonical(h) for h in history]
    good_key, bad_key = canonical(good_value), canonical(bad_value)
    if bad_key not in keys:
        return f"the history of {variable} lacks its bad value"
    newest_bad = max(i for i, k in enumerate(keys) if k == bad_key)
    goods = [i for i in range(newest_bad) if keys[i] == good_key]
    if not goods:
        return f"the history of {variable} holds no good value before its bad value"
    lo = goods[-1]
    return lo, next(i for i in range(lo + 1, len(keys)) if keys[i] == bad_key)


def _narrow(status: Callable[[int], str], lo: int, hi: int) -> tuple[int, int, set[int]]:
    """Binary search between a passing `lo` and a failing `hi`: (last pass, first fail, skipped)."""
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
    return lo, hi, skipped


def culprit_chunks(prober: Prober, *, chunks: Sequence[str], chunk_outcome: ChunkOutcome, bad: list[str]) -> ChunkFinding:
    """A 1-minimal set of `chunks` whose removal makes the bad run pass, or why there is none.

    The context held to all the chunks must fail first (else the context alone does not
    reproduce the failure). When removing every chunk passes, ddmin shrinks that removal.
    When it does not - the answer's own chunk is among them, so an empty context fails
    too - `_passing_removal` looks for a removal that passes by taking away, and keeping
    only, each part of ever finer partitions (halves, quarters, ... single chunks), and
    ddmin shrinks the first one found. A single culprit is always found (removing it
    alone passes); several culprits are found whenever the chunks the answer needs lie in
    one part of some partition (always when the answer is in one chunk). Cost before
    ddmin: at most 4n replays per seed over n chunks, most of them memo hits.
    """
    ids = list(chunks)
    n = len(ids)

    def run(kept: list[str], name: str) -> Verdict:
        return prober.verdict_chunks(kept, chunk_outcome=chunk_outcome, name=name, bad=bad)

    def removal_passes(removed: list[int]) -> bool | None:
        gone = set(removed)
        if not gone:
            return False  # the full context: known to fail
        kept = [c for i, c in enumerate(ids) if i not in gone]
        name = "without " + ", ".join(ids[i] for i in sorted(gone)) if kept else "no chunks"
        status = run(kept, name).status
        return None if status == "unresolved" else status == "pass"

    full = run(ids, "all chunks")
    if full.status != "fail":
        return ChunkFinding(
            culprits=None,
            reason=f"with the context held to the bad run's {n} chunks the replay fails "
            f"{full.tally('fail')}: the chunks alone do not reproduce the failure",
        )
    start = list(range(n)) if removal_passes(list(range(n))) else _passing_removal(n, removal_passes)
    if start is None:
        return ChunkFinding(
            culprits=None,
            reason=f"no removal tried makes the run pass: not all {n} chunks, nor any part of them "
            "down to single chunks, nor all but any part: no set of the retrieved chunks found to blame",
        )
    culprits = [ids[i] for i in ddmin(start, removal_passes)]
    reason = f"removing [{', '.join(culprits)}] ({len(culprits)} of {n} chunks) makes the run pass"
    if len(start) < n:
        reason += " (removing all of them does not: the others hold what the answer needs)"
    return ChunkFinding(culprits=culprits, reason=reason)


def _passing_removal(n: int, removal_passes: Callable[[list[int]], bool | None]) -> list[int] | None:
    """Positions whose removal passes, tried part by part over ever finer partitions, or None."""
    everything = list(range(n))
    granularity = 2
    while granularity <= n:
        parts = _parts(everything, granularity)
        for part in parts:  # take one part away
            if removal_passes(part):
                return part
        for part in parts:  # keep only one part
            rest = [i for i in everything if i not in set(part)]
            if rest and removal_passes(rest):
                return rest
        if granularity == n:
            break
        granularity = min(2 * granularity, n)
    return None


def _parts(positions: list[int], k: int) -> list[list[int]]:
    """`positions` cut into `k` contiguous parts whose sizes differ by at most one."""
    size, extra = divmod(len(positions), k)
    out, start = [], 0
    for j in range(k):
        end = start + size + (1 if j < extra else 0)
        out.append(positions[start:end])
        start = end
    return out
