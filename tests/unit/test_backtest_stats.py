"""Backtest statistics (McNemar exact, paired bootstrap, verdict), traffic planning, trace collection."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replaylab.backtest import (
    PairOutcome,
    bootstrap_ci,
    collect_items,
    compare_pairs,
    flips_of,
    mcnemar_exact,
    overall_verdict,
    summarize,
)
from replaylab.backtest.traffic import PARAPHRASES, paraphrase, plan_traffic
from replaylab.errors import ConfigError, InputError
from replaylab.stack.corpus import load_golden

counts = st.integers(min_value=0, max_value=300)
pairs = st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=120)


def test_mcnemar_known_values() -> None:
    assert mcnemar_exact(0, 0) == (1.0, 1.0)
    two, one = mcnemar_exact(8, 0)  # all 8 discordant pairs regress: 2 * 0.5**8 and 0.5**8
    assert two == pytest.approx(0.0078125) and one == pytest.approx(0.00390625)
    two, one = mcnemar_exact(3, 3)
    assert two == pytest.approx(1.0) and one == pytest.approx(0.65625)  # P(X >= 3), X ~ Bin(6, 1/2)
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


@given(counts, counts)
def test_mcnemar_is_symmetric_and_a_probability(b: int, c: int) -> None:
    two, one = mcnemar_exact(b, c)
    assert 0.0 <= one <= 1.0 and 0.0 < two <= 1.0
    assert two == pytest.approx(mcnemar_exact(c, b)[0])
    assert one <= two or one > 0.5  # the one-sided p of the side the data leans to is at most the two-sided p
    assert mcnemar_exact(b + 1, c)[1] <= one + 1e-12  # one more regression never makes "worse" less likely


@given(pairs)
@settings(max_examples=60, deadline=None)
def test_compare_pairs_swapping_the_configs_mirrors_the_result(ps: list[tuple[bool, bool]]) -> None:
    fwd = compare_pairs("x", ps)
    back = compare_pairs("x", [(c, b) for b, c in ps])
    assert (fwd.regressions, fwd.improvements) == (back.improvements, back.regressions)
    assert fwd.mcnemar_p == pytest.approx(back.mcnemar_p)
    assert fwd.diff == pytest.approx(-(back.diff or 0.0), abs=1e-6)
    assert fwd.diff_ci is not None and -1.0 <= fwd.diff_ci[0] <= fwd.diff_ci[1] <= 1.0
    assert {fwd.direction, back.direction} in ({"same"}, {"worse", "better"})


@given(st.lists(st.booleans(), min_size=1, max_size=200))
@settings(max_examples=40, deadline=None)
def test_identical_outcomes_are_never_significant(outcomes: list[bool]) -> None:
    stat = compare_pairs("verdict", [(o, o) for o in outcomes])
    assert stat.mcnemar_p == 1.0 and stat.p_worse == 1.0 and not stat.significant and stat.direction == "same"
    assert stat.diff == 0.0 and stat.diff_ci == (0.0, 0.0)
    assert overall_verdict([stat])[0] == "no significant difference"


def test_a_large_flip_is_significant_and_a_small_one_is_not() -> None:
    big = compare_pairs("verdict", [(True, False)] * 30 + [(True, True)] * 70)
    assert big.significant and big.direction == "worse" and big.mcnemar_p < 1e-8
    assert big.diff == pytest.approx(-0.3) and big.diff_ci is not None and big.diff_ci[1] < 0
    assert overall_verdict([big]) == ("regression", "significantly worse on verdict")
    small = compare_pairs("verdict", [(True, False)] * 2 + [(False, True)] * 1 + [(True, True)] * 97)
    assert not small.significant and small.mcnemar_p == pytest.approx(1.0)
    assert small.diff_ci is not None and small.diff_ci[0] < 0 <= small.diff_ci[1] + 1e-9
    fixed = compare_pairs("verdict", [(False, True)] * 12 + [(True, True)] * 20)
    assert fixed.direction == "better" and overall_verdict([fixed])[0] == "improvement"


@given(st.lists(st.floats(min_value=-1, max_value=1, allow_nan=False), min_size=1, max_size=80))
@settings(max_examples=40, deadline=None)
def test_bootstrap_ci_is_seeded_and_brackets_the_mean(diffs: list[float]) -> None:
    lo, hi = bootstrap_ci(diffs, resamples=400)
    mean = sum(diffs) / len(diffs)
    assert lo - 1e-6 <= mean <= hi + 1e-6 or hi - lo < 1e-6
    assert (lo, hi) == bootstrap_ci(diffs, resamples=400)
    assert min(diffs) - 1e-6 <= lo <= hi <= max(diffs) + 1e-6


def _outcome(ref: str, p: bool, c: bool, *, error: str | None = None) -> PairOutcome:
    return PairOutcome(
        ref=ref, production_passed=p, candidate_passed=c, passes={"correct": (p, c)}, scores={"token_f1": (0.5, 0.4)}, error=error
    )


def test_summarize_orders_evaluators_and_leaves_errors_out() -> None:
    outs = [_outcome("a", True, False), _outcome("b", False, True), _outcome("c", True, True), _outcome("d", True, False)]
    outs.append(_outcome("e", True, False, error="boom"))
    stats = summarize(outs)
    assert [s.name for s in stats] == ["verdict", "correct", "token_f1"]
    assert stats[0].n == 4 and (stats[0].regressions, stats[0].improvements) == (2, 1)
    assert stats[2].production_rate is None and stats[2].mean_score_diff == pytest.approx(-0.1)
    flips = flips_of(outs)
    assert [f.direction for f in flips] == ["regressed", "regressed", "fixed"] and flips[0].evaluators == ["correct"]


def test_traffic_plan_is_seeded_skewed_and_paraphrased() -> None:
    golden = load_golden()
    plan = plan_traffic(golden, n=2000, seed=3)
    assert plan == plan_traffic(golden, n=2000, seed=3) and plan != plan_traffic(golden, n=2000, seed=4)
    freq = Counter(p.qid for p in plan)
    assert freq.most_common(1)[0][1] > 10 * 2000 / len(golden)  # popular questions dominate, as in production
    assert {p.paraphrase for p in plan} == set(PARAPHRASES)
    assert len({p.session_id for p in plan}) == 500 and plan[0].at < plan[-1].at
    by_qid = {g.qid: g.question for g in golden}
    for p in plan[:200]:
        words = set(by_qid[p.qid].lower().rstrip("?").split())
        assert len(words & set(p.question.lower().rstrip("?").split())) >= len(words) - 2  # the content words stay
    with pytest.raises(InputError):
        plan_traffic(golden, n=0)
    with pytest.raises(InputError, match="Unknown paraphrase"):
        paraphrase("What?", "shout", random.Random(0))


def test_collect_items_reads_folders_globs_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "t1.json").write_text("{}")
    (tmp_path / "a" / "t2.json").write_text("{}")
    (tmp_path / "b.jsonl").write_text('{"x": 1}\n\n{"x": 2}\n{"x": 3}\n')
    expected = [str((tmp_path / "a" / f"t{n}.json").resolve()) for n in (1, 2)]
    assert [i.path for i in collect_items(str(tmp_path / "a"))] == expected
    lines = collect_items(str(tmp_path / "b.jsonl"))
    assert [i.line for i in lines] == [0, 2, 3] and lines[0].ref.endswith("b.jsonl:1")
    assert len(collect_items(str(tmp_path / "**" / "*.json*"))) == 5
    with pytest.raises(InputError, match="No trace matches"):
        collect_items(str(tmp_path / "nothing*"))


def test_the_ray_engine_without_ray_is_one_line_with_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import replaylab.backtest  # noqa: F401  (importing the package never imports Ray)
    from replaylab.backtest.ray_engine import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ConfigError, match=r"pip install 'replaylab\[ray\]'") as err:
        import_ray()
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_a_trace_is_an_error_row_not_a_crash(tiny_stack, tiny_config, tiny_golden, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from replaylab.backtest import BacktestJob, get_engine, run_backtest
    from replaylab.stack.pipeline import golden_of
    from replaylab.trace import save_trace

    for g in tiny_golden:
        save_trace(tiny_stack.run(g.question, tiny_config, golden=golden_of(g)), tmp_path / "t" / f"{g.qid}.json")
    (tmp_path / "t" / "junk.json").write_text('{"not": "a trace"}')
    job = BacktestJob(workspace=str(tiny_stack.ws.root), candidate={"prompt": "rag-answer@5"})
    report = run_backtest(job, collect_items(str(tmp_path / "t")), engine=get_engine("local", workers=0, stack=tiny_stack))
    assert report.traces == len(tiny_golden) + 1 and report.replayed == len(tiny_golden) and report.error_count == 1
    assert "junk.json" in report.errors[0] and "\n" not in report.errors[0]
    assert report.evaluators[0].n == len(tiny_golden) and report.workers[0].items == len(tiny_golden) + 1
    with pytest.raises(InputError, match="alpha"):
        run_backtest(job, collect_items(str(tmp_path / "t")), engine=get_engine("local", workers=0), alpha=1.5)
