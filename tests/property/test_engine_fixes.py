"""The engine behaviours issue #18 fixed, against synthetic outcomes whose truth is known.

- culprit chunks: a planted poisoned chunk among k retrieved chunks is always found, also
  when the answer's own chunk is among them (so removing every chunk fails too); several
  planted culprits are found as a set when the answer lives in one chunk;
- rollback: after a first-bad-version search the rollback target is always a version
  that was live (in the label history) and passes, or None with a reason - and None only
  when no live version before the first bad one passes.

Every chunk outcome counts its calls: no (chunk list, seed) is ever replayed twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from replaylab.bisection.engine import BisectResult, RunResult, bisect

SETTINGS = settings(deadline=None, max_examples=150)
GOOD = {"index": "good", "prompt": "p1"}
BAD = {"index": "bad", "prompt": "p1"}


def index_cause(assignment: Mapping[str, Any], seed: int) -> RunResult:
    return RunResult(passed=assignment["index"] == "good")


def chunk_search(chunks: list[str], passes: Any, n_seeds: int) -> tuple[BisectResult, Counter[tuple[tuple[str, ...], int]]]:
    seen: Counter[tuple[tuple[str, ...], int]] = Counter()

    def chunk_outcome(ids: Sequence[str], seed: int) -> RunResult:
        seen[(tuple(ids), seed)] += 1
        return RunResult(passed=passes(set(ids)))

    result = bisect(good=GOOD, bad=BAD, outcome=index_cause, seeds=range(n_seeds), chunks=chunks, chunk_outcome=chunk_outcome)
    return result, seen


# ---- culprit chunks ----------------------------------------------------------------


@SETTINGS
@given(data=st.data(), n=st.integers(2, 16), n_seeds=st.integers(1, 2))
def test_a_single_planted_culprit_is_always_found(data: st.DataObject, n: int, n_seeds: int) -> None:
    chunks = [f"c{i:02d}" for i in range(n)]
    poison = data.draw(st.sampled_from(chunks), label="poison")
    # whatever the answer needs - nothing, its own chunk, or several - as long as it is not the poison
    needed = data.draw(st.sets(st.sampled_from([c for c in chunks if c != poison]), max_size=n - 1), label="needed")

    result, seen = chunk_search(chunks, lambda kept: needed <= kept and poison not in kept, n_seeds)
    assert max(seen.values()) == 1
    assert result.culprit_chunks == [poison]
    assert result.culprit_chunks_reason.startswith(f"removing [{poison}] (1 of {n} chunks) makes the run pass")
    if needed:
        assert "removing all of them does not" in result.culprit_chunks_reason


@SETTINGS
@given(data=st.data(), n=st.integers(2, 16), n_seeds=st.integers(1, 2))
def test_several_planted_culprits_are_found_as_a_set_next_to_the_answer_chunk(data: st.DataObject, n: int, n_seeds: int) -> None:
    chunks = [f"c{i:02d}" for i in range(n)]
    answer = data.draw(st.sampled_from([*chunks, None]), label="answer")
    others = [c for c in chunks if c != answer]
    poison = data.draw(st.sets(st.sampled_from(others), min_size=1), label="poison")

    def passes(kept: set[str]) -> bool:
        return (answer is None or answer in kept) and not poison & kept

    result, seen = chunk_search(chunks, passes, n_seeds)
    assert max(seen.values()) == 1
    assert result.culprit_chunks == [c for c in chunks if c in poison]


@SETTINGS
@given(n=st.integers(1, 10))
def test_a_context_no_removal_fixes_names_no_culprit(n: int) -> None:
    result, _ = chunk_search([f"c{i}" for i in range(n)], lambda kept: False, 1)
    assert result.culprit_chunks is None
    assert result.culprit_chunks_reason


# ---- rollback target ---------------------------------------------------------------


@SETTINGS
@given(data=st.data(), m=st.integers(2, 24))
def test_the_rollback_target_is_live_and_passing_or_none_with_a_reason(data: st.DataObject, m: int) -> None:
    history = [f"p{i}" for i in range(m)]
    good_i = data.draw(st.integers(0, m - 2), label="good")
    bad_i = data.draw(st.integers(good_i + 1, m - 1), label="bad")
    # any pass/fail pattern (not only monotone) in which good passes and bad fails
    passing = data.draw(st.sets(st.integers(0, m - 1)), label="passing") | {good_i}
    passing.discard(bad_i)
    live = data.draw(st.sets(st.integers(0, m - 1)), label="live")

    def outcome(assignment: Mapping[str, Any], seed: int) -> RunResult:
        return RunResult(passed=history.index(assignment["prompt"]) in passing)

    result = bisect(
        good={"prompt": history[good_i]},
        bad={"prompt": history[bad_i]},
        outcome=outcome,
        histories={"prompt": history},
        live={"prompt": live},
    )
    assume(result.first_bad_version)
    first = result.first_bad_version[0]
    [target] = result.rollback_targets
    assert target.reason
    if target.index is None:
        assert not any(i in passing for i in live if i < first.index)
        assert target.value is None
    else:
        assert target.index in live and target.index in passing and target.index < first.index
        assert target.value == history[target.index]
        # the newest such version: no newer live passing version before the first bad one
        assert not any(i in passing for i in live if target.index < i < first.index)


def test_a_draft_last_good_version_is_not_the_rollback_target() -> None:
    # p0 live, p1 a draft never deployed, p2 live and bad: roll back to p0, not p1
    history = ["p0", "p1", "p2"]
    result = bisect(
        good={"prompt": "p0"},
        bad={"prompt": "p2"},
        outcome=lambda a, s: RunResult(passed=a["prompt"] != "p2"),
        histories={"prompt": history},
        live={"prompt": {0, 2}},
    )
    assert result.first_bad_version[0].last_good_index == 1
    target = result.rollback_targets[0]
    assert (target.index, target.value) == (0, "p0")
    assert "the last passing version #1 was never live" in target.reason


def test_no_live_passing_version_gives_none_and_says_why() -> None:
    history = ["p0", "p1", "p2"]
    result = bisect(
        good={"prompt": "p1"},
        bad={"prompt": "p2"},
        outcome=lambda a, s: RunResult(passed=a["prompt"] == "p1"),
        histories={"prompt": history},
        live={"prompt": {0, 2}},
    )
    target = result.rollback_targets[0]
    assert target.index is None and target.tried == [0]
    assert "no live version of prompt before #2 passes (#0 fails)" in target.reason


def test_the_trace_rollback_names_the_live_version_or_says_there_is_none() -> None:
    from replaylab.bisection.trace_bisector import rollback_for
    from replaylab.config import RunConfig

    history = {"prompt": ["rag-answer@1", "rag-answer@2", "rag-answer@3"]}
    good, bad = RunConfig(prompt="rag-answer@1"), RunConfig(prompt="rag-answer@3")

    def result(live: set[int]) -> BisectResult:
        return bisect(
            good={"prompt": good.prompt},
            bad={"prompt": bad.prompt},
            outcome=lambda a, s: RunResult(passed=a["prompt"] != "rag-answer@3"),
            histories=history,
            live={"prompt": live},
        )

    steps = rollback_for(result({0, 2}), good=good, bad=bad, stack=None, history=history)  # type: ignore[arg-type]
    assert steps[0].startswith("move rag-answer:production back to rag-answer@1 ")
    steps = rollback_for(result({2}), good=good, bad=bad, stack=None, history=history)  # type: ignore[arg-type]
    assert steps[0].startswith("no prompt version to roll back to: no version of prompt older than the first bad one")
