"""The workspace golden set (`golden add`) and the pytest plugin that replays it as tests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replaylab.config import RunConfig
from replaylab.errors import InputError
from replaylab.golden.store import GoldenStore
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace, save_trace
from replaylab.workspace import BUNDLED_GOLDEN, Workspace

GOOD = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index={"embedder": "hashing-test"})
BAD = GOOD.model_copy(update={"prompt": "rag-answer@5"})  # the privacy line withholds every figure
CONFIG_YAML = "prompt: {prompt}\nembedder: hashing-test\nindex: {{embedder: hashing-test}}\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("golden") / "ws")


@pytest.fixture(scope="module")
def failing(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Trace, Path]:
    item = next(g for g in load_golden() if g.qid == "q001")
    trace = Stack(ws).run(item.question, BAD, golden=golden_of(item))
    path = save_trace(trace, tmp_path_factory.mktemp("traces") / "failing.json")
    return trace, path


def test_golden_add_versions_the_workspace_set_and_leaves_the_bundled_one_alone(
    ws: Workspace, failing: tuple[Trace, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import replaylab.cli.teach_cmd  # noqa: F401  (registers the commands)
    from replaylab.cli import app
    from replaylab.cli._common import get_stack

    bundled_sha = hashlib.sha256(BUNDLED_GOLDEN.read_bytes()).hexdigest()
    store = GoldenStore(ws)
    assert store.load().version == 1 and store.load().id == "golden@1" and not store.load().added
    monkeypatch.setenv("REPLAYLAB_HOME", str(ws.root))
    get_stack.cache_clear()
    try:
        result = CliRunner().invoke(app, ["golden", "add", str(failing[1]), "--note", "INC-42"])
        assert result.exit_code == 0, result.output
        assert "added reg-001 to golden@2" in result.output and "checks: correct" in result.output
        listing = CliRunner().invoke(app, ["golden", "list"])
        assert "golden@2: 253 cases (1 added)" in listing.output and "INC-42" in listing.output
    finally:
        get_stack.cache_clear()
    gs = store.load()
    case = gs.case("reg-001")
    assert gs.version == 2 and len(gs.cases) == len(load_golden()) + 1
    assert (case.question, case.answer, case.doc_ids) == (failing[0].question, "12 users", ("hc-0001",))
    assert case.checks == ("correct",) and case.regression_of == "q001" and case.source_trace == failing[0].trace_id
    assert "must answer '12 users' from hc-0001" in case.behaviour and "rag-answer@5" in case.behaviour
    assert [(h.version, h.added, h.note) for h in gs.history] == [(2, ["reg-001"], "INC-42")]
    with pytest.raises(InputError, match="already in golden@2 as reg-001"):
        store.add_trace(failing[0])
    assert hashlib.sha256(BUNDLED_GOLDEN.read_bytes()).hexdigest() == bundled_sha
    assert json.loads(store.path.read_text())["version"] == 2


def test_golden_add_refuses_a_passing_trace_and_a_trace_without_an_answer(ws: Workspace, tmp_path: Path) -> None:
    item = next(g for g in load_golden() if g.qid == "q002")
    stack = Stack(Workspace(tmp_path / "other"))
    passing = stack.run(item.question, GOOD, golden=golden_of(item))
    store = GoldenStore(Workspace(tmp_path / "other"))
    with pytest.raises(InputError, match="passes every regression check"):
        store.add_trace(passing)
    with pytest.raises(InputError, match="no golden answer: give the expected one with --answer"):
        store.add_trace(passing.model_copy(update={"golden": None}))
    case = store.add_trace(passing.model_copy(update={"golden": None}), answer="a figure nobody wrote", doc_ids=["hc-0001"])
    assert case.qid == "reg-001" and case.regression_of is None and case.checks == ("correct", "answer_in_context")


def _pytest(tmp: Path, ws: Workspace, config: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp / f"{config}.yaml"
    cfg.write_text(CONFIG_YAML.format(prompt="rag-answer@4" if config == "good" else "rag-answer@5"))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "replaylab.golden.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "--replaylab-golden",
            str(cfg),
            "--replaylab-home",
            str(ws.root),
            "-m",
            "replaylab_golden",
            *extra,
        ],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_plugin_runs_the_golden_set_and_fails_when_the_fixed_failure_returns(
    ws: Workspace, failing: tuple[Trace, Path], tmp_path: Path
) -> None:
    if not GoldenStore(ws).load().added:  # order-independent: the case added by `golden add`
        GoldenStore(ws).add_trace(failing[0])
    listed = _pytest(tmp_path, ws, "good", "--collect-only", "-q")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "replaylab-golden::reg-001" in listed.stdout and "replaylab-golden::q001" in listed.stdout
    assert f"{len(load_golden()) + 1} tests collected" in listed.stdout

    fixed = _pytest(tmp_path, ws, "good", "-k", "reg-001 or q001 or q003")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "3 passed" in fixed.stdout

    broken = _pytest(tmp_path, ws, "bad", "-k", "reg-001")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    out = broken.stdout
    assert "1 failed, 252 deselected" in out and "replaylab-golden::reg-001 - golden case reg-001" in out
    assert "golden case reg-001 (golden@2) fails under" in out
    assert "expected: '12 users' from hc-0001" in out
    assert "output:   'Please check the help centre for the exact details.'" in out
    assert "✗ correct: output lacks '12 users'" in out and "rag-answer@5" in out
    assert "Traceback" not in out


def test_plugin_is_inert_without_its_option(tmp_path: Path) -> None:
    code = (
        "import sys; before = set(sys.modules); import replaylab.golden.pytest_plugin as p; "
        "print(sorted(m for m in set(sys.modules) - before if not m.startswith('replaylab')))"
    )
    added = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy = {"numpy", "faiss", "torch", "scipy", "pydantic", "sentence_transformers", "yaml"}
    package_init = subprocess.run(
        [sys.executable, "-c", "import sys, replaylab; print('numpy' in sys.modules)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if package_init == "False":  # the package's own __init__ is lazy: the plugin must add nothing heavy
        assert not heavy & set(eval(added)), added
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "replaylab.golden.pytest_plugin", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
    helptext = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "replaylab.golden.pytest_plugin", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert "--replaylab-golden=CONFIG" in helptext


def test_plugin_reports_a_missing_config_as_a_usage_error(tmp_path: Path) -> None:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "replaylab.golden.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "--replaylab-golden",
            str(tmp_path / "nope.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 4 and "no such config file" in run.stderr
