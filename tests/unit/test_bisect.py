"""Bisect, ddmin and the memoised prober on small hand-made examples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from replaylab.bisection.ddmin import DeltaDebugger, ddmin
from replaylab.bisection.engine import BisectResult, RunResult, Step, bisect
from replaylab.bisection.probe import Prober, canonical, jsonable
from replaylab.errors import ConfigError, ReplayFailed

Assignment = Mapping[str, Any]

GOOD = {"index": "2026-11-01", "prompt": "v3", "model": "m1", "top_k": 5}
BAD = {"index": "2026-10-01", "prompt": "v4", "model": "m1", "top_k": 3}


def fails_when(*variables: str) -> Callable[[Assignment, int], RunResult]:
    """An outcome that fails when every one of `variables` has its bad value."""

    def outcome(assignment: Assignment, seed: int) -> RunResult:
        broken = all(assignment[v] == BAD[v] for v in variables)
        return RunResult(passed=not broken, reason="broken" if broken else "ok")

    return outcome


class Recorder:
    """Wraps an outcome and counts calls per distinct (assignment, seed)."""

    def __init__(self, outcome: Callable[[Assignment, int], RunResult]) -> None:
        self.outcome = outcome
        self.calls: Counter[tuple[str, int]] = Counter()

    def __call__(self, assignment: Assignment, seed: int) -> RunResult:
        self.calls[(canonical(dict(assignment)), seed)] += 1
        return self.outcome(assignment, seed)


# ---- ddmin -------------------------------------------------------------------------


def test_ddmin_zeller_example_finds_the_three_items() -> None:
    items = list(range(1, 9))
    assert ddmin(items, lambda s: {1, 7, 8} <= set(s)) == [1, 7, 8]


def test_ddmin_single_culprit() -> None:
    assert ddmin(list("abcdefgh"), lambda s: "f" in s) == ["f"]


def test_ddmin_whole_list_when_everything_is_needed() -> None:
    assert ddmin(list("abcd"), lambda s: len(s) == 4) == list("abcd")


def test_ddmin_trivial_inputs() -> None:
    assert ddmin([], lambda s: True) == []
    assert ddmin(["x"], lambda s: True) == ["x"]


def test_ddmin_unresolved_counts_as_not_failing() -> None:
    # {a} alone would fail, but the test cannot tell: ddmin must not shrink to it
    def test(s: list[str]) -> bool | None:
        if s == ["a"]:
            return None
        return "a" in s

    result = ddmin(list("abcd"), test)
    assert "a" in result
    assert result != ["a"]
    for item in result:  # 1-minimal among resolved subsets
        assert test([x for x in result if x != item]) is not True


def test_ddmin_tests_each_subset_once() -> None:
    seen: Counter[tuple[int, ...]] = Counter()

    def test(s: list[int]) -> bool:
        seen[tuple(s)] += 1
        return {2, 5} <= set(s)

    search = DeltaDebugger(list(range(8)), test)
    assert search.run() == [2, 5]
    assert max(seen.values()) == 1
    assert search.tests == len(seen)


# ---- reproduce ---------------------------------------------------------------------


def test_bad_that_passes_is_not_reproducible() -> None:
    result = bisect(good=GOOD, bad=BAD, outcome=lambda a, s: RunResult(passed=True))
    assert not result.reproducible
    assert result.stopped_because == "not reproducible: bad fails 0/1 seeds"
    assert result.causes == [] and result.swaps == []


def test_flaky_bad_reports_its_rate() -> None:
    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=not (a == BAD and seed < 2))

    result = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=range(10))
    assert result.stopped_because == "not reproducible: bad fails 2/10 seeds"
    assert result.bad_fail_rate == pytest.approx(0.2)


def test_failing_good_asks_for_another_good() -> None:
    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=a != BAD and seed >= 3)

    result = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=range(5))
    assert result.stopped_because == "good configuration fails 3/5 seeds: choose another --good"
    assert result.good_pass_rate == pytest.approx(0.4)


def test_unresolved_bad_is_not_reproducible() -> None:
    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=None if a == BAD else True)

    result = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=[1, 2])
    assert result.stopped_because == ("not reproducible: the bad configuration was unresolved on all 2 seeds")
    assert result.unresolved == 2


def test_identical_configurations_have_nothing_to_bisect() -> None:
    recorder = Recorder(fails_when("index"))
    result = bisect(good=BAD, bad=dict(BAD), outcome=recorder, seeds=[0, 1])
    assert result.differing == []
    assert "no variable differs" in result.stopped_because
    assert result.replays == 2 and result.cache_hits == 2


# ---- one at a time -----------------------------------------------------------------


def test_single_cause_is_named_with_its_layer() -> None:
    recorder = Recorder(fails_when("index"))
    result = bisect(good=GOOD, bad=BAD, outcome=recorder, layers={"index": "retrieval", "prompt": "prompt"})
    assert result.reproducible
    assert result.differing == ["index", "prompt", "top_k"]
    assert [c.variable for c in result.causes] == ["index"]
    cause = result.causes[0]
    assert (cause.layer, cause.good_value, cause.bad_value) == ("retrieval", GOOD["index"], BAD["index"])
    assert (cause.fix_rate, cause.cause_rate) == (1.0, 1.0)
    assert result.stopped_because == (
        "every differing variable was tried alone (3 differing); one (index) fixes the failure "
        "and causes it in the good configuration"
    )
    assert result.replays == 3 + 3  # k + 3
    assert [(s.variable, s.fixes, s.causes) for s in result.swaps] == [
        ("index", True, True),
        ("prompt", False, False),
        ("top_k", False, False),
    ]
    assert result.swaps[1].cause_rate is None  # never tried: it does not fix


def test_memo_runs_each_assignment_and_seed_once() -> None:
    recorder = Recorder(fails_when("prompt", "top_k"))
    result = bisect(good=GOOD, bad=BAD, outcome=recorder, seeds=[0, 1, 2])
    assert max(recorder.calls.values()) == 1
    assert result.replays == sum(recorder.calls.values()) == len(result.steps)
    assert result.cache_hits > 0


@pytest.mark.parametrize(("keys", "replays"), [(["index"], 2), (["index", "prompt"], 4)])
def test_one_and_two_variables_are_cheaper_through_the_memo(keys: list[str], replays: int) -> None:
    good = {k: GOOD[k] for k in keys}
    bad = {k: BAD[k] for k in keys}
    result = bisect(good=good, bad=bad, outcome=fails_when("index"), seeds=[0, 1])
    assert [c.variable for c in result.causes] == ["index"]
    assert result.replays == replays * 2


def test_parity_outcome_has_three_causes() -> None:
    good, bad = {"a": 0, "b": 0, "c": 0}, {"a": 1, "b": 1, "c": 1}

    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=sum(a.values()) % 2 == 0)

    result = bisect(good=good, bad=bad, outcome=outcome)
    assert [c.variable for c in result.causes] == ["a", "b", "c"]
    assert "three (a, b, c) each fix the failure and cause it" in result.stopped_because


def test_pair_is_reported_as_an_interaction() -> None:
    result = bisect(good=GOOD, bad=BAD, outcome=fails_when("prompt", "top_k"))
    assert result.causes == []
    assert result.interactions == [["prompt", "top_k"]]
    assert result.stopped_because == (
        "no single variable both fixes the failure and causes it in the good configuration "
        "(prompt, top_k fix it but do not cause it alone); ddmin over the 3 differing "
        "variables found one minimal failure-inducing set: [prompt, top_k] "
        "(they fail only together)"
    )


def test_two_independent_causes_are_two_sets() -> None:
    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=a["index"] == GOOD["index"] and a["top_k"] == GOOD["top_k"])

    result = bisect(good=GOOD, bad=BAD, outcome=outcome)
    assert result.causes == []
    assert result.interactions == [["index"], ["top_k"]]
    assert result.stopped_because.endswith(
        "found two minimal failure-inducing sets: [index], [top_k] (each fails on its own: revert every one)"
    )


# ---- values, errors, callbacks -----------------------------------------------------


class Snapshot(BaseModel):
    as_of: str
    dim: int = 384


def test_pydantic_values_compare_by_content_and_serialise() -> None:
    good = {"index": Snapshot(as_of="2026-11-01"), "prompt": {"v": 3}}
    bad = {"index": Snapshot(as_of="2026-10-01"), "prompt": {"v": 3}}

    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=a["index"].as_of == "2026-11-01")

    result = bisect(good=good, bad=bad, outcome=outcome)
    assert result.differing == ["index"]
    assert result.causes[0].bad_value == {"as_of": "2026-10-01", "dim": 384}
    assert BisectResult.model_validate_json(result.model_dump_json()) == result


def test_jsonable_and_canonical() -> None:
    assert canonical({"b": 1, "a": {2, 1}}) == canonical({"a": {1, 2}, "b": 1})
    assert jsonable({"s": Snapshot(as_of="x"), "t": (1, 2)}) == {
        "s": {"as_of": "x", "dim": 384},
        "t": [1, 2],
    }


def test_mismatched_variables_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="only in good \\['model'\\]"):
        bisect(good=GOOD, bad={k: v for k, v in BAD.items() if k != "model"}, outcome=fails_when())


@pytest.mark.parametrize("options", [{"seeds": []}, {"pass_threshold": 0.0}])
def test_unusable_options_are_config_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        bisect(good=GOOD, bad=BAD, outcome=fails_when("index"), **options)


def test_replay_failed_is_unresolved_not_a_crash() -> None:
    def outcome(a: Assignment, seed: int) -> RunResult:
        if a["prompt"] == BAD["prompt"] and a["index"] == GOOD["index"] and seed == 1:
            raise ReplayFailed("model error: 500\nbody")
        return fails_when("index")(a, seed)

    result = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=[0, 1])
    assert [c.variable for c in result.causes] == ["index"]
    unresolved = [s for s in result.steps if s.result.passed is None]
    assert len(unresolved) == result.unresolved == 1
    assert unresolved[0].result.reason == "ReplayFailed: model error: 500"
    swap = next(s for s in result.swaps if s.variable == "index")
    assert swap.fix_rate == 1.0  # the unresolved seed is not a pass or a fail


def test_on_step_sees_every_replay() -> None:
    seen: list[Step] = []
    result = bisect(good=GOOD, bad=BAD, outcome=fails_when("index"), on_step=seen.append)
    assert seen == result.steps
    assert [(s.phase, s.name) for s in seen[:2]] == [("reproduce", "bad"), ("reproduce", "good")]


def test_prober_counts_hits() -> None:
    prober = Prober(outcome=fails_when("index"), seeds=[0, 1])
    first = prober.verdict(BAD, phase="reproduce", name="bad", bad=[])
    again = prober.verdict(dict(reversed(list(BAD.items()))), phase="fix", name="x", bad=[])
    assert first == again and first.status == "fail"
    assert (prober.replays, prober.cache_hits) == (2, 2)


# ---- first bad version -------------------------------------------------------------

HISTORY = [f"v{i}" for i in range(9)]


def prompt_outcome(first_bad: int) -> Callable[[Assignment, int], RunResult]:
    def outcome(a: Assignment, seed: int) -> RunResult:
        return RunResult(passed=HISTORY.index(a["prompt"]) < first_bad)

    return outcome


def test_first_bad_version_is_found_by_binary_search() -> None:
    result = bisect(
        good={"prompt": "v1", "model": "m1"},
        bad={"prompt": "v8", "model": "m2"},
        outcome=prompt_outcome(5),
        histories={"prompt": HISTORY},
    )
    [first] = result.first_bad_version
    assert (first.index, first.value, first.last_good_index) == (5, "v5", 4)
    assert first.replays <= 3  # ceil(log2(8 - 1)), endpoints are memo hits
    assert "the first bad version of prompt is version 6 (v5) (last good: version 5 (v4); numbered from 1" in (
        result.stopped_because
    )


def test_unresolved_versions_are_skipped() -> None:
    def outcome(a: Assignment, seed: int) -> RunResult:
        if a["prompt"] in {"v4", "v5"}:
            return RunResult(passed=None)
        return prompt_outcome(5)(a, seed)

    result = bisect(good={"prompt": "v0"}, bad={"prompt": "v8"}, outcome=outcome, histories={"prompt": HISTORY})
    [first] = result.first_bad_version
    assert first.index == 6 and first.last_good_index == 3 and first.skipped == [4, 5]
    assert "or one of the unresolved versions 5, 6" in result.stopped_because  # indices 4, 5, numbered from 1


def test_history_without_the_good_value_is_explained() -> None:
    result = bisect(
        good={"prompt": "v-hotfix"},
        bad={"prompt": "v8"},
        outcome=lambda a, s: RunResult(passed=a["prompt"] != "v8"),
        histories={"prompt": HISTORY},
    )
    assert result.first_bad_version == []
    assert "holds no good value before its bad value" in result.stopped_because


# ---- culprit chunks ----------------------------------------------------------------


def test_culprit_chunks_found() -> None:
    chunks = [f"c{i}" for i in range(10)]
    result = bisect(
        good=GOOD,
        bad=BAD,
        outcome=fails_when("index"),
        chunks=chunks,
        chunk_outcome=lambda ids, s: RunResult(passed=not {"c3", "c7"} & set(ids)),
    )
    assert result.culprit_chunks == ["c3", "c7"]
    assert result.culprit_chunks_reason == "removing [c3, c7] (2 of 10 chunks) makes the run pass"


def test_chunks_that_do_not_reproduce_give_no_culprits() -> None:
    result = bisect(
        good=GOOD,
        bad=BAD,
        outcome=fails_when("index"),
        chunks=["c1", "c2"],
        chunk_outcome=lambda ids, s: RunResult(passed=True),
    )
    assert result.culprit_chunks is None
    assert "the chunks alone do not reproduce the failure" in result.culprit_chunks_reason


def test_a_poisoned_chunk_next_to_the_answer_chunk_is_found() -> None:
    # removing every chunk fails (the answer goes too); leaving out the poison alone passes
    def chunk_outcome(ids: Sequence[str], seed: int) -> RunResult:
        return RunResult(passed="answer" in ids and "poison" not in ids)

    result = bisect(
        good=GOOD,
        bad=BAD,
        outcome=fails_when("index"),
        chunks=["answer", "poison", "other"],
        chunk_outcome=chunk_outcome,
    )
    assert result.culprit_chunks == ["poison"]
    assert result.culprit_chunks_reason.startswith("removing [poison] (1 of 3 chunks) makes the run pass")
    assert "removing all of them does not" in result.culprit_chunks_reason


def test_a_context_no_removal_fixes_gives_no_culprits() -> None:
    result = bisect(
        good=GOOD,
        bad=BAD,
        outcome=fails_when("index"),
        chunks=["c1", "c2", "c3"],
        chunk_outcome=lambda ids, s: RunResult(passed=False),
    )
    assert result.culprit_chunks is None
    assert "no removal tried makes the run pass" in result.culprit_chunks_reason
