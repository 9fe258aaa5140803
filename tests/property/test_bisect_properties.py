"""Bisect against synthetic outcomes whose ground truth is known.

Variables are v0..v{k-1}; good values are {"name": v, "version": 0} and bad ones
{"name": v, "version": 1}, so assignments go through the canonical-JSON memo. Every
outcome is wrapped in a Recorder that fails the test if an (assignment, seed) is ever
replayed twice.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from replaylab.bisection.engine import BisectResult, RunResult, bisect
from replaylab.bisection.probe import canonical

Assignment = Mapping[str, Any]
Predicate = Callable[[frozenset[str], int], bool | None]
"""Ground truth: (the variables at their bad value, seed) -> passed (None: unresolved)."""

SETTINGS = settings(deadline=None, max_examples=150)


def names(k: int) -> list[str]:
    return [f"v{i}" for i in range(k)]


def configs(k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    good = {v: {"name": v, "version": 0} for v in names(k)}
    bad = {v: {"name": v, "version": 1} for v in names(k)}
    return good, bad


class Recorder:
    """An outcome from a ground-truth predicate that asserts the memo works."""

    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate
        self.calls: Counter[tuple[str, int]] = Counter()

    def __call__(self, assignment: Assignment, seed: int) -> RunResult:
        key = (canonical(dict(assignment)), seed)
        assert key not in self.calls, f"replayed twice: {key}"
        self.calls[key] += 1
        bad_vars = frozenset(v for v, value in assignment.items() if value["version"] == 1)
        return RunResult(passed=self.predicate(bad_vars, seed))


def check_accounting(result: BisectResult, recorder: Recorder) -> None:
    assert result.replays == sum(recorder.calls.values()) == len(result.steps)
    assert result.unresolved == sum(s.result.passed is None for s in result.steps)


def expected_replays(k: int) -> int:
    """Per seed, for one cause among k differing variables."""
    return {1: 2, 2: 4}.get(k, k + 3)


# ---- (a) no cause ------------------------------------------------------------------


@SETTINGS
@given(k=st.integers(1, 8), seeds=st.lists(st.integers(0, 99), min_size=1, max_size=5, unique=True))
def test_bad_that_passes_is_not_reproducible(k: int, seeds: list[int]) -> None:
    good, bad = configs(k)
    recorder = Recorder(lambda bad_vars, seed: True)
    result = bisect(good=good, bad=bad, outcome=recorder, seeds=seeds)
    assert not result.reproducible
    assert result.causes == [] and result.interactions == [] and result.swaps == []
    assert result.stopped_because == f"not reproducible: bad fails 0/{len(seeds)} seeds"
    assert result.replays == 2 * len(seeds)
    check_accounting(result, recorder)


# ---- (b) exactly one cause ---------------------------------------------------------


@SETTINGS
@given(data=st.data(), k=st.integers(1, 8), n_seeds=st.integers(1, 3))
def test_single_cause_is_found_within_budget(data: st.DataObject, k: int, n_seeds: int) -> None:
    cause = data.draw(st.sampled_from(names(k)), label="cause")
    good, bad = configs(k)
    recorder = Recorder(lambda bad_vars, seed: cause not in bad_vars)
    result = bisect(good=good, bad=bad, outcome=recorder, seeds=range(n_seeds))
    assert result.reproducible
    assert [c.variable for c in result.causes] == [cause]
    assert result.interactions == []
    assert [s.variable for s in result.swaps if s.fixes] == [cause]
    assert result.replays == expected_replays(k) * n_seeds <= (k + 3) * n_seeds
    assert result.stopped_because.endswith(f"one ({cause}) fixes the failure and causes it in the good configuration")
    check_accounting(result, recorder)


# ---- (c) a pair that fails only together -------------------------------------------


@SETTINGS
@given(data=st.data(), k=st.integers(2, 8))
def test_pair_is_an_interaction(data: st.DataObject, k: int) -> None:
    a, b = data.draw(st.lists(st.sampled_from(names(k)), min_size=2, max_size=2, unique=True))
    good, bad = configs(k)
    recorder = Recorder(lambda bad_vars, seed: not {a, b} <= bad_vars)
    result = bisect(good=good, bad=bad, outcome=recorder)
    assert result.causes == []
    assert result.interactions == [sorted([a, b])]
    assert {s.variable for s in result.swaps if s.fixes} == {a, b}
    assert "(they fail only together)" in result.stopped_because
    check_accounting(result, recorder)


# ---- (d) first bad version ---------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(M, good index, first bad index, bad index) with good < first bad <= bad < M."""
    m = draw(st.integers(2, 64))
    first_bad = draw(st.integers(1, m - 1))
    good = draw(st.integers(0, first_bad - 1))
    bad = draw(st.integers(first_bad, m - 1))
    return m, good, first_bad, bad


@SETTINGS
@given(h=histories(), others=st.integers(0, 3))
def test_first_bad_version_is_exact_and_logarithmic(h: tuple[int, int, int, int], others: int) -> None:
    m, good_i, first_bad, bad_i = h
    history = [f"p{i}" for i in range(m)]
    good = {"prompt": history[good_i], **{v: 0 for v in names(others)}}
    bad = {"prompt": history[bad_i], **{v: 1 for v in names(others)}}
    calls: Counter[tuple[str, int]] = Counter()

    def outcome(assignment: Assignment, seed: int) -> RunResult:
        calls[(canonical(dict(assignment)), seed)] += 1
        return RunResult(passed=history.index(assignment["prompt"]) < first_bad)

    result = bisect(good=good, bad=bad, outcome=outcome, histories={"prompt": history})
    assert max(calls.values()) == 1
    assert [c.variable for c in result.causes] == ["prompt"]
    [found] = result.first_bad_version
    assert (found.index, found.last_good_index) == (first_bad, first_bad - 1)
    assert found.value == history[first_bad] and found.skipped == []
    assert found.replays <= math.ceil(math.log2(m)) + 2
    assert found.replays <= math.ceil(math.log2(bad_i - good_i))  # endpoints are memo hits


@SETTINGS
@given(h=histories(), data=st.data())
def test_unresolved_versions_are_skipped_like_git_bisect(h: tuple[int, int, int, int], data: st.DataObject) -> None:
    m, good_i, first_bad, bad_i = h
    interior = list(range(good_i + 1, bad_i))
    skip = data.draw(st.sets(st.sampled_from(interior)) if interior else st.just(set[int]()))
    history = [f"p{i}" for i in range(m)]

    def outcome(assignment: Assignment, seed: int) -> RunResult:
        i = history.index(assignment["prompt"])
        return RunResult(passed=None if i in skip else i < first_bad)

    result = bisect(
        good={"prompt": history[good_i]},
        bad={"prompt": history[bad_i]},
        outcome=outcome,
        histories={"prompt": history},
    )
    [found] = result.first_bad_version
    # git bisect: the first bad version is `index` or one of the skipped ones before it
    assert found.last_good_index < first_bad <= found.index
    assert set(range(found.last_good_index + 1, found.index)) == set(found.skipped) <= skip
    if first_bad not in skip and first_bad - 1 not in skip:
        assert (found.index, found.skipped) == (first_bad, [])


# ---- (e) stochastic outcome over seeds ---------------------------------------------


@SETTINGS
@given(
    data=st.data(),
    k=st.integers(1, 6),
    n_seeds=st.integers(1, 8),
    threshold=st.sampled_from([0.5, 0.6, 0.8, 1.0]),
)
def test_rates_over_seeds(data: st.DataObject, k: int, n_seeds: int, threshold: float) -> None:
    cause = data.draw(st.sampled_from(names(k)), label="cause")
    failing_seeds = data.draw(st.sets(st.integers(0, n_seeds - 1)), label="failing seeds")
    good, bad = configs(k)
    recorder = Recorder(lambda bad_vars, seed: not (cause in bad_vars and seed in failing_seeds))
    result = bisect(good=good, bad=bad, outcome=recorder, seeds=range(n_seeds), pass_threshold=threshold)
    fail_rate = len(failing_seeds) / n_seeds
    pass_rate = (n_seeds - len(failing_seeds)) / n_seeds
    assert result.bad_fail_rate == fail_rate
    assert result.good_pass_rate == 1.0
    check_accounting(result, recorder)
    if not pass_rate < threshold:
        assert not result.reproducible
        assert result.stopped_because.startswith(f"not reproducible: bad fails {len(failing_seeds)}/")
        return
    assert [c.variable for c in result.causes] == [cause]
    swaps = {s.variable: s for s in result.swaps}
    assert swaps[cause].fix_rate == 1.0 and swaps[cause].cause_rate == fail_rate
    assert result.causes[0].cause_rate == fail_rate
    for v in names(k):
        if v != cause:
            assert swaps[v].fix_rate == pass_rate and swaps[v].cause_rate is None


# ---- (f) unresolved results are never counted --------------------------------------


def unresolved_for(salt: int, fraction: int) -> Callable[[frozenset[str], int], bool]:
    """A deterministic pseudo-random set of (bad variables, seed) that do not resolve."""

    def unresolved(bad_vars: frozenset[str], seed: int) -> bool:
        text = f"{salt}:{sorted(bad_vars)}:{seed}".encode()
        return hashlib.sha256(text).digest()[0] % fraction == 0

    return unresolved


@SETTINGS
@given(
    k=st.integers(1, 6),
    n_seeds=st.integers(1, 6),
    salt=st.integers(0, 10**6),
    fraction=st.integers(2, 4),
    truth=st.sampled_from(["one", "pair", "any"]),
)
def test_unresolved_is_never_a_pass_or_a_fail(k: int, n_seeds: int, salt: int, fraction: int, truth: str) -> None:
    assume(truth != "pair" or k >= 2)
    unresolved = unresolved_for(salt, fraction)

    def passes(bad_vars: frozenset[str], seed: int) -> bool:
        if truth == "one":
            return "v0" not in bad_vars
        if truth == "pair":
            return not {"v0", "v1"} <= bad_vars
        return not bad_vars

    def predicate(bad_vars: frozenset[str], seed: int) -> bool | None:
        return None if unresolved(bad_vars, seed) else passes(bad_vars, seed)

    def rate(bad_vars: frozenset[str], *, of: bool) -> float | None:
        """Brute force: the pass (of=True) or fail rate over resolved seeds only."""
        answers = [predicate(bad_vars, s) for s in range(n_seeds)]
        resolved = [a for a in answers if a is not None]
        return sum(a is of for a in resolved) / len(resolved) if resolved else None

    good, bad = configs(k)
    recorder = Recorder(predicate)
    result = bisect(good=good, bad=bad, outcome=recorder, seeds=range(n_seeds))
    check_accounting(result, recorder)
    everything = frozenset(names(k))
    assert result.bad_fail_rate == (rate(everything, of=False) or 0.0)
    assert result.good_pass_rate == (rate(frozenset(), of=True) or 0.0)
    if rate(everything, of=False) is None:
        assert "unresolved on all" in result.stopped_because
    for swap in result.swaps:
        assert swap.fix_rate == rate(everything - {swap.variable}, of=True)
        assert swap.fix_rate is not None or not swap.fixes
        if swap.cause_rate is not None:
            assert swap.cause_rate == rate(frozenset({swap.variable}), of=False)
    for step in result.steps:  # what each step recorded is the truth, unresolved included
        assert step.result.passed == predicate(frozenset(step.bad), step.seed)


# ---- (g) culprit chunks ------------------------------------------------------------


@SETTINGS
@given(data=st.data(), n=st.integers(1, 24), n_seeds=st.integers(1, 2))
def test_poison_chunks_are_found_exactly(data: st.DataObject, n: int, n_seeds: int) -> None:
    chunks = [f"c{i:02d}" for i in range(n)]
    poison = data.draw(st.sets(st.sampled_from(chunks), min_size=1), label="poison")
    good, bad = configs(2)
    seen: Counter[tuple[tuple[str, ...], int]] = Counter()

    def chunk_outcome(ids: Sequence[str], seed: int) -> RunResult:
        seen[(tuple(ids), seed)] += 1
        return RunResult(passed=not poison & set(ids))

    result = bisect(
        good=good,
        bad=bad,
        outcome=Recorder(lambda bad_vars, seed: "v0" not in bad_vars),
        seeds=range(n_seeds),
        chunks=chunks,
        chunk_outcome=chunk_outcome,
    )
    assert max(seen.values()) == 1
    assert result.culprit_chunks == [c for c in chunks if c in poison]
    assert result.culprit_chunks_reason.startswith(f"removing [{', '.join(result.culprit_chunks)}]")


@SETTINGS
@given(n=st.integers(0, 8))
def test_clean_chunks_give_no_culprits(n: int) -> None:
    good, bad = configs(1)
    result = bisect(
        good=good,
        bad=bad,
        outcome=Recorder(lambda bad_vars, seed: not bad_vars),
        chunks=[f"c{i}" for i in range(n)],
        chunk_outcome=lambda ids, seed: RunResult(passed=True),
    )
    assert result.culprit_chunks is None
    assert "do not reproduce the failure" in result.culprit_chunks_reason
