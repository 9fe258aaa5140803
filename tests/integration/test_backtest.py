"""Backtests end to end: the same per-trace verdicts in-process, on a process pool and on a local Ray.

40 traces recorded from the bundled golden set (hashing-test stand-in embedder, sandbox reader,
real FAISS), replayed under a production and a candidate config. Ray runs locally with 2 CPUs,
no dashboard, on loopback, and is shut down by the engine that started it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaylab.backtest import BacktestJob, BacktestReport, collect_items, get_engine, run_backtest
from replaylab.config import RunConfig
from replaylab.golden.release_gate import gate_cases, run_gate
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import save_trace
from replaylab.workspace import Workspace

RECORDED = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index={"embedder": "hashing-test"})
PRODUCTION = {"top_k": 1}
CANDIDATE = {"model": "sandbox-reader-1.1", "top_k": 2}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Path]:
    root = tmp_path_factory.mktemp("backtest")
    stack = Stack(Workspace(root / "ws"))
    golden = load_golden()
    for g in golden[:38]:
        save_trace(stack.run(g.question, RECORDED, golden=golden_of(g)), root / "traces" / f"{g.qid}.json")
    lines = [stack.run(g.question, RECORDED, golden=golden_of(g)).model_dump_json() for g in golden[38:40]]
    (root / "traces" / "more.jsonl").write_text("\n".join(lines) + "\n")
    return stack, root / "traces"


def _per_trace(report: BacktestReport) -> list[tuple[str, bool, bool, dict[str, tuple[bool, bool]]]]:
    return [(o.ref, o.production_passed, o.candidate_passed, o.passes) for o in report.outcomes]


def _run(stack: Stack, traces: Path, engine: str, workers: int, **job: object) -> BacktestReport:
    spec = BacktestJob(workspace=str(stack.ws.root), production=PRODUCTION, candidate=CANDIDATE, **job)
    eng = get_engine(engine, workers=workers, stack=stack if engine == "local" else None)
    return run_backtest(spec, collect_items(str(traces)), engine=eng, keep_outcomes=True)


def test_local_pool_and_ray_give_the_same_per_trace_verdicts(recorded: tuple[Stack, Path]) -> None:
    ray = pytest.importorskip("ray")
    stack, traces = recorded
    inline = _run(stack, traces, "local", 0)
    assert inline.traces == 40 and inline.replayed == 40 and inline.error_count == 0
    assert 0 < inline.flipped < 40 and inline.flips  # a mixed case: some traces flip, some do not
    assert len({(o.production_passed, o.candidate_passed) for o in inline.outcomes}) >= 2
    pool = _run(stack, traces, "local", 2)
    assert pool.engine == "local x2" and len(pool.workers) == 2
    assert all(w.snapshot_loads >= 1 and w.snapshot_builds == 0 for w in pool.workers)  # loaded once per worker
    assert _per_trace(pool) == _per_trace(inline)
    on_ray = _run(stack, traces, "ray", 2)
    try:
        assert not ray.is_initialized()  # the engine started a local Ray and shut it down
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert _per_trace(on_ray) == _per_trace(inline)
    assert sum(w.items for w in on_ray.workers) == 40 and 1 <= len(on_ray.workers) <= 2
    assert [s.model_dump() for s in on_ray.evaluators] == [s.model_dump() for s in inline.evaluators]
    assert (on_ray.verdict, on_ray.flipped) == (inline.verdict, inline.flipped)


def test_held_retrieval_hides_an_embedder_change(recorded: tuple[Stack, Path]) -> None:
    stack, traces = recorded
    job = {"production": None, "candidate": {"embedder": "hashing-test-v2"}}
    spec = BacktestJob(workspace=str(stack.ws.root), **job)
    items = collect_items(str(traces))
    live = run_backtest(spec, items, engine=get_engine("local", workers=0, stack=stack))
    assert live.verdict == "regression" and live.evaluators[0].regressions > 20
    inline = get_engine("local", workers=0, stack=stack)
    held = run_backtest(spec.model_copy(update={"holds": ["retrieval"]}), items, engine=inline)
    assert held.verdict == "no significant difference" and held.flipped == 0 and held.evaluators[0].mcnemar_p == 1.0


def test_cli_backtest_writes_json_and_html_and_exits_1_on_regression(
    recorded: tuple[Stack, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replaylab.cli import app
    from replaylab.cli._common import get_stack

    stack, traces = recorded
    monkeypatch.setenv("REPLAYLAB_HOME", str(stack.ws.root))
    get_stack.cache_clear()
    cand = tmp_path / "cand.yaml"
    cand.write_text("prompt: rag-answer@5\n")
    out, page = tmp_path / "bt.json", tmp_path / "bt.html"
    args = ["backtest", "--traces", str(traces), "--candidate", str(cand), "--workers", "0"]
    args += ["--json", str(out), "--html", str(page)]
    try:
        result = CliRunner().invoke(app, args)
        bad = CliRunner().invoke(app, ["backtest", "--traces", str(tmp_path / "none*"), "--candidate", str(cand)])
    finally:
        get_stack.cache_clear()
    assert result.exit_code == 1, result.output
    assert "REGRESSION" in result.output and "McNemar" in result.output
    report = BacktestReport.model_validate(json.loads(out.read_text()))
    assert report.candidate == {"prompt": "rag-answer@5"} and report.production is None
    assert report.evaluators[0].name == "verdict" and report.evaluators[0].mcnemar_p < 1e-6
    html = page.read_text()
    assert "data:image/png;base64," in html and "significantly worse" in html
    assert bad.exit_code != 0 and "No trace matches" in str(bad.exception or bad.output)


def test_the_canary_gate_decides_the_same_on_a_process_pool(tmp_path: Path) -> None:
    stack = Stack(Workspace(tmp_path / "ws"))
    cases = gate_cases(stack, sample=12, seed=2)
    bad = RECORDED.model_copy(update={"prompt": "rag-answer@5"})
    inline = run_gate(stack, candidate=bad, baseline=RECORDED, cases=cases)
    pooled = run_gate(stack, candidate=bad, baseline=RECORDED, cases=cases, engine=get_engine("local", workers=2))
    assert not inline.accepted and inline.mcnemar_p < 0.01 and inline.significance.startswith("regression")
    assert pooled.engine == "local x2" and inline.engine == "local in-process"
    strip = {"engine"}
    assert pooled.model_dump(exclude=strip) == inline.model_dump(exclude=strip)


def test_importing_the_backtest_package_does_not_import_ray() -> None:
    code = "import sys, replaylab.backtest, replaylab.golden.release_gate; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
