"""Bisect: name the variable whose swap fixes a failing replay.

The engine knows nothing about RAG. It searches over *assignments* (variable -> value)
between a known-good configuration and a failing one, asking `outcome(assignment, seed)`
for one replay and never asking the same (assignment, seed) twice.

    result = bisect(good=good_cfg, bad=bad_cfg, outcome=replay_outcome, seeds=range(5))
    result.causes           # [Cause(variable="index", layer="retrieval", fix_rate=1.0, ...)]
    result.replays          # 7
    result.stopped_because  # "every differing variable was tried alone (3 differing); ..."

A configuration *passes* when its pass rate over the seeds that resolved is at least
`pass_threshold`, *fails* when it is below, and is *unresolved* when no seed resolved.
An unresolved replay (`passed=None`, or a raised ReplayFailed/CassetteMiss) is git
bisect's `skip`: it never counts as a pass or a fail.

The phases, each ending the search with a sentence in `stopped_because`:

1. reproduce: bad must fail and good must pass, or stop.
2. one at a time: the fix sweep runs bad-with-v-good for every differing v; the cause
   check runs good-with-v-bad for the fixers only. A cause both fixes and causes.
3. interactions: with no single cause, ddmin over the differing variables finds a
   1-minimal failure-inducing set, then looks for another among the variables left.
4. first bad version: for a cause with a history, binary search between its good and
   bad versions, the other variables held bad (the failing world), as `git bisect` does.
5. culprit chunks: ddmin over the bad run's chunks for a 1-minimal set whose removal
   makes the run pass (starting from a passing partial removal when removing them all
   fails because the answer's chunk is among them).

Replay budget, per seed, for one cause among k differing variables: k + 3 (bad, good,
k fix swaps, one cause check); k = 1 costs 2 and k = 2 costs 4, because the memo sees
that bad-with-v-good is good (k = 1) or that good-with-c-bad is bad-with-the-other-good
(k = 2). k + 2 is not reachable soundly for k >= 3: reporting every variable's fix rate
needs the k sets "all but v", the verdict needs "all" and "none", and the cause check
needs "{c}" - k + 3 distinct assignments. Skipping the cause check would call a variable
a cause when it only fixes (a AND b fails: either swap fixes, neither causes alone);
skipping the rest of the sweep after the first cause would miss a second cause when the
outcome is not monotone. The first-bad-version search costs at most ceil(log2 M) replays
per seed over M versions: its two endpoints are memo hits from phases 1 and 2.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from replaylab.bisection.ddmin import ddmin
from replaylab.bisection.narrow import FirstBad, culprit_chunks, first_bad_version
from replaylab.bisection.probe import (
    ChunkOutcome,
    Outcome,
    Phase,
    Prober,
    RunResult,
    Step,
    Verdict,
    canonical,
    jsonable,
)
from replaylab.bisection.rollback import RollbackTarget, rollback_version
from replaylab.bisection.wording import causes_sentence, interactions_sentence
from replaylab.errors import ConfigError

__all__ = [
    "BisectResult",
    "Cause",
    "ChunkOutcome",
    "FirstBad",
    "Outcome",
    "Phase",
    "Prober",
    "RunResult",
    "Step",
    "Swap",
    "Verdict",
    "bisect",
    "ddmin",
    "jsonable",
]


class Swap(BaseModel):
    """One variable tried alone, in both directions."""

    variable: str
    """The variable's name, e.g. `index` or `prompt`."""
    fix_rate: float | None
    """Pass rate of bad-with-this-variable-good; None when no seed resolved."""
    cause_rate: float | None = None
    """Fail rate of good-with-this-variable-bad; None when not tried (it did not fix)."""
    fixes: bool = False
    """Bad-with-this-variable-good passes."""
    causes: bool = False
    """It fixes, and good-with-this-variable-bad fails."""


class Cause(BaseModel):
    """A variable whose swap alone fixes the failure and whose bad value alone causes it."""

    variable: str
    """The variable's name, e.g. `index` or `prompt`."""
    good_value: Any
    """The known-good value, as JSON."""
    bad_value: Any
    """The failing value, as JSON."""
    layer: str | None = None
    """The layer the caller files this variable under (retrieval, prompt, model...)."""
    fix_rate: float
    """Pass rate, 0 to 1 over the resolved seeds, of bad-with-this-variable-good."""
    cause_rate: float
    """Fail rate, 0 to 1 over the resolved seeds, of good-with-this-variable-bad."""


class BisectResult(BaseModel):
    """What bisect found, how many replays it took, and why it stopped."""

    format_version: Literal[1] = 1
    """Version of this report's format; always 1 for now."""
    reproducible: bool
    """Bad fails and good passes over the seeds."""
    bad_fail_rate: float
    """Fail rate of the bad configuration over resolved seeds (0.0 if none resolved)."""
    good_pass_rate: float
    """Pass rate of the good configuration over resolved seeds (0.0 if none resolved)."""
    seeds: list[int]
    """The seeds every configuration was replayed with, repeats removed, in the order given."""
    pass_threshold: float
    """A configuration passes when its pass rate over the resolved seeds is at least this, in (0, 1]."""
    differing: list[str]
    """Variables whose good and bad values differ, in the order of `good`."""
    causes: list[Cause] = Field(default_factory=list)
    """Variables that alone fix and alone cause the failure; empty when none does (see `interactions`)."""
    swaps: list[Swap] = Field(default_factory=list)
    """Every variable tried alone, with its fix and cause rates."""
    interactions: list[list[str]] = Field(default_factory=list)
    """1-minimal failure-inducing sets from ddmin, each sorted; empty when a cause was found."""
    first_bad_version: list[FirstBad] = Field(default_factory=list)
    """For each cause with a version history: the first version in it that fails."""
    rollback_targets: list[RollbackTarget] = Field(default_factory=list)
    """For a first bad version whose variable has a label history: the live, passing version to roll back to."""
    culprit_chunks: list[str] | None = None
    """A 1-minimal set of chunks whose removal makes the run pass, in retrieval order."""
    culprit_chunks_reason: str = ""
    """Why `culprit_chunks` is what it is (or None); empty when no chunks were given."""
    replays: int = 0
    """Replays actually run (memo hits not counted)."""
    cache_hits: int = 0
    """Replays asked for again and answered from the memo."""
    unresolved: int = 0
    """Replays run that did not resolve."""
    steps: list[Step] = Field(default_factory=list)
    """Every replay run, in order (memo hits are not repeated here)."""
    stopped_because: str = ""
    """Why the search stopped, in words."""
    rollback: list[str] = Field(default_factory=list)
    """Filled by the caller: the labels to move back."""
    reproduce: str = ""
    """Filled by the caller: the command that reproduces this result."""
    elapsed_s: float = 0.0
    """Filled by the caller: wall time."""

    def independent_causes(self) -> list[str]:
        """Members of one-variable failure-inducing sets: each fails on its own (revert every one)."""
        return [group[0] for group in self.interactions if len(group) == 1]

    def true_interactions(self) -> list[list[str]]:
        """Failure-inducing sets of two or more variables: they fail only together."""
        return [group for group in self.interactions if len(group) > 1]

    def implicated(self) -> list[str]:
        """Every variable bisect names: the single causes and the members of each interaction, sorted."""
        return sorted({c.variable for c in self.causes} | {v for group in self.interactions for v in group})


def bisect(
    *,
    good: Mapping[str, Any],
    bad: Mapping[str, Any],
    outcome: Outcome,
    seeds: Sequence[int] = (0,),
    layers: Mapping[str, str] | None = None,
    histories: Mapping[str, Sequence[Any]] | None = None,
    chunks: Sequence[str] | None = None,
    chunk_outcome: ChunkOutcome | None = None,
    pass_threshold: float = 0.5,
    on_step: Callable[[Step], None] | None = None,
    live: Mapping[str, Collection[int]] | None = None,
) -> BisectResult:
    """Find which differing variables between `good` and `bad` make the replay fail.

    `outcome(assignment, seed)` runs one replay. `histories[v]` lists v's versions oldest
    first; `chunk_outcome(chunk_ids, seed)` replays the bad run with its context pinned
    to those chunks. `on_step` sees every replay as it is run. `live[v]` holds the
    positions in `histories[v]` that were ever deployed (a label pointed at them): after a
    first-bad-version search, the rollback target is the newest of them that passes.
    """
    seed_list = _check(good=good, bad=bad, seeds=seeds, pass_threshold=pass_threshold)
    differing = [v for v in good if canonical(good[v]) != canonical(bad[v])]
    world = _World(good=good, bad=bad, differing=differing)
    prober = Prober(outcome=outcome, seeds=seed_list, pass_threshold=pass_threshold, on_step=on_step)

    bad_v = prober.verdict(dict(bad), phase="reproduce", name="bad", bad=differing)
    good_v = prober.verdict(dict(good), phase="reproduce", name="good", bad=[])
    result = BisectResult(
        reproducible=False,
        bad_fail_rate=bad_v.fail_rate or 0.0,
        good_pass_rate=good_v.pass_rate or 0.0,
        seeds=seed_list,
        pass_threshold=pass_threshold,
        differing=differing,
    )
    problem = _reproduce_problem(bad_v=bad_v, good_v=good_v, differing=differing)
    if problem:
        return _finish(result, prober, problem)
    result.reproducible = True

    found, fixers = _one_at_a_time(result, prober, world, layers)
    if found:
        clauses = [causes_sentence(found, len(differing))]
    else:
        result.interactions = _interactions(world, prober)
        clauses = [interactions_sentence(result.interactions, fixers, len(differing))]

    # 4. first bad version, inside each cause that has a history, and where to roll back to
    for v in found:
        if histories is not None and v in histories:
            clauses += _version_search(result, prober, world, v, histories[v], (live or {}).get(v))

    # 5. culprit chunks: the caller passes chunks when the context is suspect
    if chunks is not None and chunk_outcome is not None:
        clauses.append(_culprit_chunks(result, prober, chunks, chunk_outcome))
    return _finish(result, prober, "; ".join(clauses))


def _one_at_a_time(
    result: BisectResult, prober: Prober, world: _World, layers: Mapping[str, str] | None
) -> tuple[list[str], list[str]]:
    """Phase 2: (causes, fixers). The whole fix sweep first, so that for k = 2 the cause check
    of one variable is a memo hit on the other's fix swap."""
    differing, good, bad = world.differing, world.good, world.bad
    fix = {v: world.verdict(prober, world.all_bad_but(v), phase="fix", name=v) for v in differing}
    fixers = [v for v in differing if fix[v].status == "pass"]
    cause = {v: world.verdict(prober, [v], phase="cause", name=v) for v in fixers}
    found = [v for v in fixers if cause[v].status == "fail"]
    result.swaps = [
        Swap(
            variable=v,
            fix_rate=fix[v].pass_rate,
            cause_rate=cause[v].fail_rate if v in cause else None,
            fixes=v in fixers,
            causes=v in found,
        )
        for v in differing
    ]
    result.causes = [
        Cause(
            variable=v,
            good_value=jsonable(good[v]),
            bad_value=jsonable(bad[v]),
            layer=(layers or {}).get(v),
            fix_rate=fix[v].pass_rate or 0.0,
            cause_rate=cause[v].fail_rate or 0.0,
        )
        for v in found
    ]
    return found, fixers


def _culprit_chunks(result: BisectResult, prober: Prober, chunks: Sequence[str], chunk_outcome: ChunkOutcome) -> str:
    """Phase 5: the chunks of the bad run whose removal makes it pass; returns the clause saying so."""
    finding = culprit_chunks(prober, chunks=chunks, chunk_outcome=chunk_outcome, bad=result.differing)
    result.culprit_chunks = finding.culprits
    result.culprit_chunks_reason = finding.reason
    return finding.reason


def _version_search(
    result: BisectResult, prober: Prober, world: _World, v: str, history: Sequence[Any], live: Collection[int] | None
) -> list[str]:
    """Phase 4 for one cause: the first bad version, then (with a label history) the rollback target."""
    others = world.all_bad_but(v)
    version = first_bad_version(
        prober,
        variable=v,
        history=history,
        good_value=world.good[v],
        bad_value=world.bad[v],
        world=world.failing_with(v),
        others=others,
    )
    if version.first is None:
        return [version.reason]
    result.first_bad_version.append(version.first)
    if live is None:
        return [version.reason]
    target = rollback_version(
        prober, variable=v, history=history, live=live, first=version.first, world=world.failing_with(v), others=others
    )
    result.rollback_targets.append(target)
    return [version.reason, "rollback: " + target.reason]


class _World:
    """The good and bad configurations, and the mixes of the two that bisect replays."""

    def __init__(self, *, good: Mapping[str, Any], bad: Mapping[str, Any], differing: list[str]) -> None:
        self.good = good
        self.bad = bad
        self.differing = differing

    def mix(self, bad_vars: Collection[str], *, pinned: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Good, with `bad_vars` at their bad values and `pinned` at the given values."""
        assignment = {v: (self.bad[v] if v in bad_vars else self.good[v]) for v in self.good}
        assignment.update(pinned or {})
        return assignment

    def failing_with(self, variable: str) -> Callable[[Any], dict[str, Any]]:
        """The failing world (every other variable bad) with `variable` set to a given value."""
        others = self.all_bad_but(variable)

        def assignment(value: Any) -> dict[str, Any]:
            return self.mix(others, pinned={variable: value})

        return assignment

    def all_bad_but(self, variable: str) -> list[str]:
        return [v for v in self.differing if v != variable]

    def verdict(self, prober: Prober, bad_vars: Sequence[str], *, phase: Phase, name: str) -> Verdict:
        bad_list = [v for v in self.differing if v in bad_vars]
        return prober.verdict(self.mix(bad_list), phase=phase, name=name, bad=bad_list)


def _interactions(world: _World, prober: Prober) -> list[list[str]]:
    """Disjoint 1-minimal failure-inducing sets: ddmin, then ddmin again on what is left."""

    def fails(bad_vars: list[str]) -> bool | None:
        name = "+".join(bad_vars) or "none"
        status = world.verdict(prober, bad_vars, phase="ddmin", name=name).status
        return None if status == "unresolved" else status == "fail"

    sets: list[list[str]] = []
    remaining = list(world.differing)
    # the first check is the bad configuration itself: a memo hit
    while remaining and fails(remaining):
        minimal = ddmin(remaining, fails)
        sets.append(sorted(minimal))
        remaining = [v for v in remaining if v not in minimal]
    return sets


def _check(*, good: Mapping[str, Any], bad: Mapping[str, Any], seeds: Sequence[int], pass_threshold: float) -> list[int]:
    """The seeds without repeats; ConfigError for inputs bisect cannot use."""
    if set(good) != set(bad):
        only_good, only_bad = sorted(set(good) - set(bad)), sorted(set(bad) - set(good))
        raise ConfigError(f"good and bad must name the same variables: only in good {only_good}, only in bad {only_bad}")
    seed_list = list(dict.fromkeys(seeds))
    if not seed_list:
        raise ConfigError("bisect needs at least one seed")
    if not 0.0 < pass_threshold <= 1.0:
        raise ConfigError(f"pass_threshold must be in (0, 1], got {pass_threshold}")
    return seed_list


def _reproduce_problem(*, bad_v: Verdict, good_v: Verdict, differing: list[str]) -> str:
    """Why the failure cannot be bisected, or "" when it can."""
    if not differing:
        return "good and bad are the same configuration (no variable differs): nothing to bisect"
    if bad_v.status == "unresolved":
        return f"not reproducible: the bad configuration was unresolved on all {bad_v.total} seeds"
    if bad_v.status == "pass":
        return f"not reproducible: bad fails {bad_v.tally('fail')}"
    if good_v.status == "unresolved":
        return f"good configuration unresolved on all {good_v.total} seeds: choose another --good"
    if good_v.status == "fail":
        return f"good configuration fails {good_v.tally('fail')}: choose another --good"
    return ""


def _finish(result: BisectResult, prober: Prober, stopped_because: str) -> BisectResult:
    result.replays = prober.replays
    result.cache_hits = prober.cache_hits
    result.unresolved = prober.unresolved
    result.steps = list(prober.steps)
    result.stopped_because = stopped_because
    return result
