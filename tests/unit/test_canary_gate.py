"""The canary gate: paired replays of production and candidate, McNemar + bootstrap, label moves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replaylab.config import RunConfig
from replaylab.errors import InputError
from replaylab.golden.release_gate import (
    bootstrap_ci,
    gate_cases,
    mcnemar_exact,
    production_config,
    promote,
    run_gate,
)
from replaylab.golden.store import GoldenStore
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import load_trace, save_trace
from replaylab.workspace import Workspace

PROD = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index={"embedder": "hashing-test"})
YAML = "prompt: {prompt}\nembedder: hashing-test\nindex: {{embedder: hashing-test}}\n"


def test_mcnemar_exact_matches_the_binomial_by_hand() -> None:
    assert mcnemar_exact(0, 0) == (1.0, 1.0)
    two, one = mcnemar_exact(8, 0)  # 8 discordant pairs, all regressions: 2 * 0.5**8 and 0.5**8
    assert two == pytest.approx(0.0078125) and one == pytest.approx(0.00390625)
    two, one = mcnemar_exact(3, 3)
    assert two == pytest.approx(1.0) and one == pytest.approx(0.65625)  # P(X >= 3), X ~ Bin(6, 1/2)


def test_bootstrap_ci_is_seeded_and_brackets_the_mean() -> None:
    diffs = [-1.0] * 6 + [0.0] * 14
    lo, hi = bootstrap_ci(diffs)
    assert lo < -0.3 < hi < 0 and (lo, hi) == bootstrap_ci(diffs)
    assert bootstrap_ci([0.0] * 10) == (0.0, 0.0) and bootstrap_ci([]) == (0.0, 0.0)


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    return Stack(Workspace(tmp_path / "ws"))


def test_production_config_reads_the_label(stack: Stack) -> None:
    assert production_config(stack, PROD.model_copy(update={"prompt": "rag-answer@1"})).prompt == "rag-answer@4"
    stack.prompts.move_label(template="rag-answer", label="production", version=3)
    assert production_config(stack, PROD).prompt == "rag-answer@3"


def test_cases_are_the_golden_set_regression_cases_and_recent_traces(stack: Stack, tmp_path: Path) -> None:
    item = next(g for g in load_golden() if g.qid == "q001")
    failing = stack.run(item.question, PROD.model_copy(update={"prompt": "rag-answer@5"}), golden=golden_of(item))
    GoldenStore(stack.ws).add_trace(failing)
    recent = tmp_path / "recent"
    for g in load_golden()[200:203]:
        save_trace(stack.run(g.question, PROD, golden=golden_of(g)), recent / f"{g.qid}.json")
    (recent / "junk.json").write_text("{}")  # not a trace: skipped
    cases = gate_cases(stack, traces_dir=recent)
    assert len(cases) == len(load_golden()) + 1 and cases[-1].ref == "reg-001"
    assert all(c.source == "golden" for c in cases)  # the recent requests ask golden questions: not replayed twice
    sampled = gate_cases(stack, sample=10, traces_dir=recent)
    golden_refs = [c.ref for c in sampled if c.source == "golden"]
    assert len(golden_refs) == 10 and "reg-001" in golden_refs  # regression cases are always in the sample
    asked = {c.question for c in sampled if c.source == "golden"}
    assert [c.ref for c in sampled if c.source == "trace"] == [
        t.trace_id
        for t in sorted((load_trace(p) for p in recent.glob("q*.json")), key=lambda t: t.created_at, reverse=True)
        if t.question not in asked
    ]
    fresh = tmp_path / "fresh"
    t = stack.run("Does Harbor have a dark mode?", PROD)
    save_trace(t, fresh / "t.json")
    cases = gate_cases(stack, sample=5, traces_dir=fresh)
    assert [c.source for c in cases].count("trace") == 1 and cases[-1].ref == t.trace_id and cases[-1].golden is None
    with pytest.raises(InputError, match="is not a folder"):
        gate_cases(stack, traces_dir=tmp_path / "nope")


def test_a_regressing_candidate_is_refused_with_its_statistics(stack: Stack) -> None:
    cases = gate_cases(stack, sample=24, seed=1)
    bad = PROD.model_copy(update={"prompt": "rag-answer@5"})
    report = run_gate(stack, candidate=bad, baseline=PROD, cases=cases)
    assert not report.accepted and report.cases == 24 and report.golden_cases == 24
    verdict = report.evaluators[0]
    assert verdict.name == "verdict" and verdict.regressed
    assert verdict.regressions > 10 and verdict.improvements == 0
    assert verdict.mcnemar_p < 0.001 and verdict.regression_confidence > 0.999
    correct = next(c for c in report.evaluators if c.name == "correct")
    assert correct.regressed and correct.mean_diff is not None and correct.ci_high is not None
    assert correct.mean_diff < 0 and correct.ci_low <= correct.mean_diff <= correct.ci_high < 0  # type: ignore[operator]
    assert any(r.startswith("correct: pass rate") and "McNemar exact p=" in r for r in report.reasons)
    assert report.regressed_cases and report.regressed_cases[0].candidate_output.startswith("Please check")
    promote(stack, report)
    assert report.label_move is None and "NOT moved" in report.note
    assert stack.prompts.labels()["rag-answer"]["production"] == 4
    lenient = run_gate(stack, candidate=bad, baseline=PROD, cases=cases[:4], threshold=1.0)
    assert lenient.accepted  # nothing can drop by more than 100%


def test_an_equivalent_candidate_is_accepted_and_promoted(stack: Stack) -> None:
    v4 = stack.prompts.resolve("rag-answer@4")
    v6 = stack.prompts.create(template="rag-answer", system=v4.system, user=v4.user, note="reworded changelog only")
    cand = PROD.model_copy(update={"prompt": v6.id})
    report = run_gate(stack, candidate=cand, baseline=PROD, cases=gate_cases(stack, sample=12))
    assert report.accepted and report.reasons == [] and not report.regressed_cases
    assert all(c.regressions == 0 and c.mcnemar_p == 1.0 for c in report.evaluators)
    promote(stack, report)
    assert report.label_move is not None and (report.label_move.previous, report.label_move.version) == (4, 6)
    assert stack.prompts.labels()["rag-answer"]["production"] == 6 and report.note == "rag-answer:production moved 4 → 6"


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REPLAYLAB_HOME": str(home), "COLUMNS": "200"}
    code = "import replaylab.cli.teach_cmd; from replaylab.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_cli_refuses_with_exit_1_and_accepts_with_exit_0(tmp_path: Path) -> None:
    (tmp_path / "prod.yaml").write_text(YAML.format(prompt="rag-answer@4"))
    (tmp_path / "bad.yaml").write_text(YAML.format(prompt="rag-answer@5"))
    (tmp_path / "same.yaml").write_text(YAML.format(prompt="rag-answer@3"))
    home = tmp_path / "ws"
    refused = _cli(
        home,
        "canary-gate",
        "--candidate",
        str(tmp_path / "bad.yaml"),
        "--baseline",
        str(tmp_path / "prod.yaml"),
        "--sample",
        "12",
        "--json",
        str(tmp_path / "gate.json"),
    )
    assert refused.returncode == 1, refused.stderr
    assert "REFUSED" in refused.stdout and "REGRESSED" in refused.stdout and "production label NOT moved" in refused.stdout
    report = json.loads((tmp_path / "gate.json").read_text())
    assert report["accepted"] is False and report["cases"] == 12 and report["label_move"] is None
    dry = _cli(
        home,
        "canary-gate",
        "--candidate",
        str(tmp_path / "same.yaml"),
        "--baseline",
        str(tmp_path / "prod.yaml"),
        "--sample",
        "8",
        "--dry-run",
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "ACCEPTED dry run: production label not moved" in dry.stdout
    assert json.loads((home / "prompts" / "labels.json").read_text())["rag-answer"]["production"] == 4
    missing = _cli(home, "canary-gate", "--candidate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and missing.stderr.startswith("replaylab: error: Cannot read config")
