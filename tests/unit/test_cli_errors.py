"""Bad input: one clear line on stderr, exit 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TINY_CORPUS


def _cli(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "REPLAYLAB_HOME": str(env_home), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "replaylab", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def good_trace(tiny_stack, tiny_config, tmp_path):
    from replaylab.trace import save_trace

    trace = tiny_stack.run("When do password reset links expire?", tiny_config)
    return save_trace(trace, tmp_path / "good.json")


def _one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in lines[0]


def test_malformed_trace_json(tmp_path):
    bad = tmp_path / "t.json"
    bad.write_text("{not json")
    _one_line_error(_cli("replay", str(bad), env_home=tmp_path / "ws"), "not valid JSON")


def test_missing_trace_file(tmp_path):
    _one_line_error(_cli("replay", str(tmp_path / "nope.json"), env_home=tmp_path / "ws"), "Cannot read trace")


def test_off_schema_trace(tmp_path):
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"version": 1, "trace_id": "x"}))
    _one_line_error(_cli("replay", str(bad), env_home=tmp_path / "ws"), "does not match the schema")


def test_unknown_variable_in_set(good_trace, tmp_path):
    proc = _cli("replay", str(good_trace), "--set", "colour=blue", env_home=tmp_path / "ws")
    _one_line_error(proc, "Unknown variable 'colour'")


def test_bad_value_in_set(good_trace, tmp_path):
    _one_line_error(_cli("replay", str(good_trace), "--set", "top_k=-3", env_home=tmp_path / "ws"), "Invalid value for top_k")


def test_dimension_mismatch(good_trace, tmp_path):
    proc = _cli("replay", str(good_trace), "--set", "embedder=hashing-test-128", env_home=tmp_path / "ws")
    _one_line_error(proc, "128-d")


def test_unknown_hold_stage(good_trace, tmp_path):
    _one_line_error(_cli("replay", str(good_trace), "--hold", "everything", env_home=tmp_path / "ws"), "Unknown stage")


def test_missing_model_package(good_trace, tmp_path):
    proc = _cli("replay", str(good_trace), "--set", "model=no-such-model", env_home=tmp_path / "ws")
    _one_line_error(proc, "Unknown generator 'no-such-model'")


def test_replay_of_a_good_trace_succeeds(good_trace, tmp_path):
    proc = _cli("replay", str(good_trace), env_home=tmp_path / "ws")
    assert proc.returncode == 0, proc.stderr
    assert "identical to the recording" in proc.stdout
    assert str(TINY_CORPUS) in good_trace.read_text()


def test_drill_needs_scenarios_or_all(tmp_path):
    _one_line_error(_cli("drill", env_home=tmp_path), "Give SCENARIO names or --all")
    _one_line_error(_cli("drill", "embedding-drift", "--all", env_home=tmp_path), "Give SCENARIO names or --all")


def test_drill_checks_every_scenario_before_running_any(tmp_path):
    proc = _cli("drill", "gemma/context-position-burial", "no-such-drill", env_home=tmp_path)
    _one_line_error(proc, "Unknown scenario 'no-such-drill'")
    assert proc.stdout.strip() == ""  # nothing ran
