"""What a person reads from `replaylab bisect`: names kept, independent causes vs interactions,
1-based versions, untried swaps drawn as untried, `--fail-rate`, golden ids typed in capitals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from replaylab.bisection.engine import BisectResult, RunResult, bisect
from replaylab.bisection.narrow import FirstBad
from replaylab.cli._common import console
from replaylab.cli.bisect_cmd import fail_threshold, pinned_baseline, print_result
from replaylab.cli.core import golden_item
from replaylab.cli.report import bisect_html
from replaylab.errors import InputError
from replaylab.stack.corpus import load_golden

GOOD = {"index": "2026-11-01", "model": "sandbox-reader-1.0", "context_order": "rank", "top_k": 5}
BAD = {"index": "2026-11-01", "model": "sandbox-reader-1.1", "context_order": "reversed", "top_k": 3}


def _printed(result: BisectResult, **kw: Any) -> str:
    with console.capture() as cap:
        print_result(result, good_desc="test", **kw)
    return cap.get()


def _independent(a: Mapping[str, Any], seed: int) -> RunResult:
    return RunResult(passed=a["top_k"] == GOOD["top_k"] and a["context_order"] == GOOD["context_order"])


def test_two_independent_causes_are_not_called_an_interaction() -> None:
    result = bisect(good=GOOD, bad=BAD, outcome=_independent)
    assert result.independent_causes() == ["context_order", "top_k"] and result.true_interactions() == []
    text = _printed(result)
    assert "independent cause: context_order fails on its own" in text
    assert "independent cause: top_k fails on its own" in text
    assert "fail only together" not in text
    assert "[context_order], [top_k]" in " ".join(text.split())  # the names survive Rich markup


def test_a_true_interaction_keeps_its_names_in_the_summary_line() -> None:
    def outcome(a: Mapping[str, Any], seed: int) -> RunResult:
        return RunResult(passed=not (a["model"] == BAD["model"] and a["context_order"] == BAD["context_order"]))

    result = bisect(good=GOOD, bad=BAD, outcome=outcome)
    assert result.true_interactions() == [["context_order", "model"]]
    text = " ".join(_printed(result).split())
    assert "interaction: context_order, model fail only together" in text
    assert "minimal failure-inducing set: [context_order, model] (they fail only together)" in text


def test_mixed_sets_say_which_fails_alone_and_which_only_together() -> None:
    good = {**GOOD, "prompt": "p@4"}
    bad = {**BAD, "prompt": "p@5"}

    def outcome(a: Mapping[str, Any], seed: int) -> RunResult:
        pair = a["model"] == bad["model"] and a["context_order"] == bad["context_order"]
        return RunResult(passed=not (pair or a["prompt"] == bad["prompt"]))

    result = bisect(good=good, bad=bad, outcome=outcome)
    assert sorted(result.interactions) == [["context_order", "model"], ["prompt"]]
    assert "prompt fails alone; context_order + model fail only together" in result.stopped_because


def test_culprit_chunk_ids_and_version_numbers_are_printed_whole_and_one_based() -> None:
    result = bisect(good=GOOD, bad=BAD, outcome=_independent)
    result.stopped_because = "removing [hc-0011#0, pol-0003#1] (2 of 5 chunks) makes the run pass"
    result.culprit_chunks = ["hc-0011#0"]
    result.first_bad_version = [FirstBad(variable="prompt", index=24, value="rag-answer@25", last_good_index=23, replays=5)]
    history = [f"rag-answer@{i}" for i in range(1, 31)]
    text = " ".join(_printed(result, histories={"prompt": history}).split())
    assert "removing [hc-0011#0, pol-0003#1] (2 of 5 chunks)" in text
    assert "passes at rag-answer@24, fails from rag-answer@25" in text
    assert "#24" not in text and "#23" not in text


def test_html_draws_untried_swaps_as_untried_and_values_as_json(tiny_stack, tiny_config) -> None:  # type: ignore[no-untyped-def]
    def outcome(a: Mapping[str, Any], seed: int) -> RunResult:
        return RunResult(passed=a["top_k"] == GOOD["top_k"])

    good = {**GOOD, "sampling": {"temperature": 0.0, "seed": 0}}
    bad = {**BAD, "sampling": {"temperature": 0.7, "seed": 0}}
    result = bisect(good=good, bad=bad, outcome=outcome, layers={"top_k": "retrieval"})
    assert any(s.cause_rate is None for s in result.swaps)
    trace = tiny_stack.run("How long is the refund window?", tiny_config)
    page = bisect_html(result, trace=trace, evidence={}, good_desc="test")
    assert "not tried" in page
    assert "breaks 0" not in page and "{&#x27;" not in page and "{'" not in page
    untried = [s.variable for s in result.swaps if s.cause_rate is None]
    assert untried and all(f">{v}<" in page for v in untried)


def test_fail_rate_bisects_an_intermittent_failure_the_default_calls_not_reproducible() -> None:
    def outcome(a: Mapping[str, Any], seed: int) -> RunResult:  # the bad top_k fails on 2 seeds of 10
        return RunResult(passed=not (a["top_k"] == BAD["top_k"] and seed in {3, 7}))

    default = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=range(10), pass_threshold=fail_threshold(None))
    assert not default.reproducible and default.bad_fail_rate == pytest.approx(0.2)
    assert "--fail-rate 0.2 --seeds 20" in " ".join(_printed(default).split())
    lowered = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=range(10), pass_threshold=fail_threshold(0.2))
    assert lowered.reproducible and [c.variable for c in lowered.causes] == ["top_k"]
    stricter = bisect(good=GOOD, bad=BAD, outcome=outcome, seeds=range(10), pass_threshold=fail_threshold(0.3))
    assert not stricter.reproducible  # 20 % failing is below a 30 % threshold


def test_golden_ids_match_case_insensitively_and_a_typo_is_an_error() -> None:
    golden = {g.qid: g for g in load_golden()}
    item = golden_item("Q188", golden)
    assert item is not None and item.qid == "q188"
    with pytest.raises(InputError, match="No golden case 'q999'"):
        golden_item("q999", golden)
    assert golden_item("What is the refund window?", golden) is None
    assert golden_item("refunds", golden) is None  # one word that is not shaped like an id is a question


def test_the_default_baseline_pins_the_production_reader(tiny_stack, tiny_config) -> None:  # type: ignore[no-untyped-def]
    trace = tiny_stack.run("How long is the refund window?", tiny_config.model_copy(update={"model": "sandbox-reader-1.1"}))
    base, note = pinned_baseline(trace)
    assert base.model == "sandbox-reader-1.0" and "pinned" in note
    other = trace.model_copy(update={"config": trace.config.model_copy(update={"model": "openai:gemma-3-270m"})})
    base, note = pinned_baseline(other)
    assert base.model == "openai:gemma-3-270m" and "taken from the trace" in note
