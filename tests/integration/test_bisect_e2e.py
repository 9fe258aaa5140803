"""Bisect end to end on the real stack (MiniLM + FAISS, bundled corpus): faults made by hand,
each found as the sole cause in the right layer; and the CLI's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from replaylab.bisection.trace_bisector import TraceBisector
from replaylab.config import RunConfig, SamplingParams
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import golden_of
from replaylab.trace import save_trace

ROOT = Path(__file__).resolve().parents[2]
GOOD = RunConfig(prompt="rag-answer@4", top_k=5)


def _first_broken(stack, bad: RunConfig, *, model_check=None):  # type: ignore[no-untyped-def]
    """The first golden question that passes on GOOD and fails on `bad`: a real failing trace."""
    from replaylab.evals import verdict

    good = GOOD.model_copy(update={"model": bad.model})
    for item in load_golden()[:80]:
        if not verdict(stack.run(item.question, good, golden=golden_of(item))).passed:
            continue
        trace = stack.run(item.question, bad, golden=golden_of(item))
        if not verdict(trace).passed:
            return trace, good
    pytest.fail("no golden question breaks under this fault")


CASES = {
    "index rebuilt with the second embedder": (
        GOOD.model_copy(update={"index": GOOD.index.model_copy(update={"embedder": "minilm-l6-v2-l3"})}),
        "index",
        "retrieval",
    ),
    "prompt that forbids answering": (GOOD.model_copy(update={"prompt": "rag-answer@5"}), "prompt", "generation"),
    "top_k lowered below the answer": (GOOD.model_copy(update={"top_k": 1}), "top_k", "retrieval"),
}


@pytest.mark.minilm
@pytest.mark.parametrize("case", list(CASES))
def test_hand_made_fault_is_the_sole_cause(tiny_stack, case):
    bad, variable, layer = CASES[case]
    trace, good = _first_broken(tiny_stack, bad)
    result = TraceBisector(tiny_stack, trace).run(good=good, seeds=[0], seeded=False)
    assert result.reproducible
    assert [(c.variable, c.layer) for c in result.causes] == [(variable, layer)]
    assert result.replays <= 3 + 3  # k=1 differing variable: 2 replays, plus any version search


@pytest.mark.llm
def test_temperature_raised_on_gemma_is_found_over_seeds(tiny_stack):
    bad = GOOD.model_copy(update={"model": "gemma-3-270m", "sampling": SamplingParams(temperature=1.5, top_p=1.0)})
    trace, good = _first_broken(tiny_stack, bad)
    result = TraceBisector(tiny_stack, trace).run(good=good, seeds=[0, 1, 2, 3, 4], seeded=True)
    assert [(c.variable, c.layer) for c in result.causes] == [("sampling", "generation")]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REPLAYLAB_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "replaylab", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600
    )


@pytest.mark.minilm
def test_a_passing_trace_is_not_reproducible_exit_1(tiny_stack, tmp_path):
    item = load_golden()[0]
    trace = tiny_stack.run(item.question, GOOD, golden=golden_of(item))
    path = save_trace(trace, tmp_path / "passing.json")
    proc = _cli("bisect", str(path), home=tiny_stack.ws.root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NOT reproducible" in proc.stdout


def test_malformed_good_is_one_line_exit_2(tmp_path):
    bad_good = tmp_path / "good.yaml"
    bad_good.write_text("top_k: [not, a, number\n")
    proc = _cli("bisect", "cassettes/demo-reader/trace.json", "--good", str(bad_good), home=tmp_path / "ws")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "not valid YAML" in proc.stderr
    proc = _cli("bisect", "cassettes/demo-reader/trace.json", "--good", "prod@yesterday", home=tmp_path / "ws")
    assert proc.returncode == 2 and "prod@YYYY-MM-DD" in proc.stderr
