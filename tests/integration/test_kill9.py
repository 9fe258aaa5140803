"""kill -9 at chosen points of a label move and of a drill; concurrent label moves.

The label-move code has a test seam, `REPLAYLAB_TEST_KILL_AT=<point>[#N]` (replaylab.stack.prompts.
kill_point), that SIGKILLs the process at the N-th time it passes the named point. After each kill
the labels and their history must agree (one file, written atomically), no history entry may be
lost to concurrent movers, and a drill killed mid-run must leave the workspace's real production
label where it was (drills move labels in a scratch copy). Real processes, real SIGKILL; the
drill uses the hashing stand-in embedder and the sandbox reader.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from replaylab.stack.prompts import LABEL_STATE, PromptRegistry
from replaylab.workspace import Workspace

TESTS = Path(__file__).resolve().parents[1]

MOVER = """
import sys
from pathlib import Path
from replaylab.stack.prompts import PromptRegistry
from replaylab.workspace import Workspace
reg = PromptRegistry(Workspace(Path(sys.argv[1])))
for i in range(int(sys.argv[2])):
    reg.move_label(template="rag-answer", label=sys.argv[3], version=1 + i % 5)
"""


def _run(code: str, *args: str, kill_at: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REPLAYLAB_TEST_KILL_AT"}
    if kill_at:
        env["REPLAYLAB_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def _agree(reg: PromptRegistry) -> None:
    """The labels are exactly what replaying the history gives."""
    replayed: dict[str, dict[str, int]] = {}
    for m in reg.history():
        replayed.setdefault(m.template, {})[m.label] = m.version
    assert reg.labels() == replayed


@pytest.mark.parametrize("point", ["label-move:before-write#3", "label-move:after-write#3"])
def test_kill9_inside_a_label_move_leaves_labels_and_history_agreeing(tmp_path: Path, point: str) -> None:
    ws = tmp_path / "ws"
    reg = PromptRegistry(Workspace(ws))
    before = len(reg.history())
    proc = _run(MOVER, str(ws), "10", "production", kill_at=point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    reg = PromptRegistry(Workspace(ws))
    moves = len(reg.history()) - before
    assert moves == (2 if "before" in point else 3)  # the killed move is whole or absent
    _agree(reg)
    assert json.loads((ws / "prompts" / LABEL_STATE).read_text())["labels"] == reg.labels()
    assert not list((ws / "prompts").glob(".*.tmp"))  # the kill points sit outside the atomic write
    reg.move_label(template="rag-answer", label="production", version=4)  # and the registry still works
    _agree(reg)


def test_twenty_concurrent_moves_lose_no_history_entry(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    reg = PromptRegistry(Workspace(ws))
    _agree(reg)  # the seeded history replays to the seeded labels
    before = len(reg.history())
    procs = [subprocess.Popen([sys.executable, "-c", MOVER, str(ws), "5", f"l{i % 4}"], stderr=subprocess.PIPE) for i in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    reg = PromptRegistry(Workspace(ws))
    assert len(reg.history()) - before == 20
    _agree(reg)


DRILL = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.drills.runner import run
from replaylab.scenario import load_scenario
from replaylab.stack.pipeline import Stack
from replaylab.workspace import Workspace
tiny = RunConfig(prompt="rag-answer@4", corpus=CorpusSpec(source=sys.argv[3]),
                 index=IndexSpec(embedder="hashing-test"), embedder="hashing-test", top_k=3)
sc = load_scenario("bad-prompt-rollout")
small = {"sessions": 16, "turns": 4, "arrival_ticks": 8, "promote_at": 2, "detect_after": 2}
sc = sc.model_copy(update={"method": {**sc.method, **small}})
journal = run(sc, stack=Stack(Workspace(Path(sys.argv[1]))), base=tiny)
print(journal.status, sorted((e.name, e.met) for e in journal.expectations))
"""


@pytest.mark.parametrize("kill_at", ["label-move:after-write#2", None])
def test_a_killed_prompt_rollout_drill_leaves_production_untouched(tmp_path: Path, kill_at: str | None) -> None:
    ws = tmp_path / "ws"
    reg = PromptRegistry(Workspace(ws))
    labels, history = reg.labels(), reg.history()
    proc = _run(DRILL, str(ws), str(TESTS), str(TESTS / "data" / "tiny_corpus.jsonl"), kill_at=kill_at, timeout=300)
    if kill_at:  # killed just after the drill promoted the bad prompt
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    else:
        assert proc.returncode == 0 and proc.stdout.startswith("completed"), proc.stderr[-2000:]
    reg = PromptRegistry(Workspace(ws))
    assert reg.labels() == labels
    assert reg.history() == history


def test_two_drills_at_once_do_not_see_each_others_label_moves(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    reg = PromptRegistry(Workspace(ws))
    labels, history = reg.labels(), reg.history()
    env = {k: v for k, v in os.environ.items() if k != "REPLAYLAB_TEST_KILL_AT"}
    args = [sys.executable, "-c", DRILL, str(ws), str(TESTS), str(TESTS / "data" / "tiny_corpus.jsonl")]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1500:] for _, err in outs]
    alone = _run(DRILL, *args[3:], timeout=300)
    assert alone.returncode == 0 and alone.stdout.startswith("completed"), alone.stderr[-1500:]
    # each concurrent drill meets exactly the expectations the same drill meets alone
    assert [out for out, _ in outs] == [alone.stdout, alone.stdout]
    reg = PromptRegistry(Workspace(ws))
    assert reg.labels() == labels and reg.history() == history
    assert not any((ws / ".scratch").iterdir())  # each drill's scratch copy is removed when it ends
