"""The real interactive game day, driven through a pseudo-terminal: what the screen shows."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>]|\r")
CLI = "import replaylab.cli.teach_cmd; from replaylab.cli import main; main()"
TOPK = """
name: topk-tty
title: The answer ranks just below a lowered top_k
description: top_k lowered to 1
traffic: {sample: 6}
method: {kind: top-k-truncation, top_k: 1}
expect: {layer: retrieval, bisect: [top_k]}
teaching:
  first_seen: "PAGER: users report the assistant no longer knows the Starter plan limits."
  dashboards: "latency p95 410 ms (normal), error rate 0.1%, throughput normal"
  hints: ["Count the retrieved chunks."]
  debrief: "A config change lowered top_k from 5 to 1."
  earliest_signal: "retrieval_hit on a canary"
"""


class Screen:
    """A child process on a pseudo-terminal, read as plain text (ANSI stripped)."""

    def __init__(self, argv: list[str], env: dict[str, str], *, cols: int = 160, rows: int = 50) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.fd = master
        self.text = ""
        self.mark = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.text += ANSI.sub("", data.decode("utf-8", "replace"))
        return True

    def expect(self, needle: str, timeout: float = 120.0) -> str:
        """Everything shown since the last expect, up to and including `needle`."""
        deadline = time.monotonic() + timeout
        while needle not in self.text[self.mark :]:
            if time.monotonic() > deadline or (not self._read(0.5) and needle not in self.text[self.mark :]):
                raise AssertionError(f"{needle!r} never appeared; the screen shows:\n{self.text[self.mark :][-3000:]}")
        end = self.text.index(needle, self.mark) + len(needle)
        shown, self.mark = self.text[self.mark : end], end
        return shown

    def send(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")

    def close(self) -> int:
        try:
            while self._read(0.5):
                if self.proc.poll() is not None and not select.select([self.fd], [], [], 0)[0]:
                    break
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            os.close(self.fd)


@pytest.fixture
def game(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    (tmp_path / "topk.yaml").write_text(TOPK)
    (tmp_path / "base.yaml").write_text("prompt: rag-answer@4\nembedder: hashing-test\nindex: {embedder: hashing-test}\n")
    env = {
        **os.environ,
        "REPLAYLAB_HOME": str(tmp_path / "ws"),
        "TERM": "xterm-256color",
        "USER": "ana",
        "COLUMNS": "160",
        "LINES": "50",
    }
    env.pop("NO_COLOR", None)
    yield tmp_path, env


def test_a_whole_game_day_on_the_terminal(game: tuple[Path, dict[str, str]]) -> None:
    tmp, env = game
    screen = Screen(
        [sys.executable, "-c", CLI, "teach", str(tmp / "topk.yaml"), "--config", str(tmp / "base.yaml"), "--sample", "4"], env
    )
    opening = screen.expect("on-call> ")
    assert "PAGE" in opening and "PAGER: users report the assistant no longer knows the Starter plan limits." in opening
    assert "Dashboards: latency p95 410 ms (normal)" in opening and "you have a sample of 4" in opening
    assert "topk-tty" not in opening  # the page does not name the fault

    screen.send("traces")
    listing = screen.expect("on-call> ")
    assert "fault-window sample" in listing and all(f"#{i}" in listing for i in range(1, 5))
    ids = re.findall(r"tr-[0-9a-f]{16}", listing)
    assert len(set(ids)) == 4

    screen.send("show 1")
    shown = screen.expect("on-call> ")
    assert ids[0] in shown and "retrieved chunks (query embedded with hashing-test, top_k=1)" in shown
    assert "PPV (prompt)" in shown and "rendered prompt (rag-answer@4" in shown and "output (sandbox-reader-1.0" in shown

    screen.send("replay 1 top_k=1 model=x")
    assert "One variable at a time" in screen.expect("on-call> ")
    screen.send("hint")
    assert "Hint 1/1 (-10 points): Count the retrieved chunks." in screen.expect("on-call> ")

    screen.send("replay 1 top_k=5")
    replay = screen.expect("on-call> ")
    assert "R1 = #1 replayed with top_k=5 (retrieval layer)" in replay and "sandbox runs: 1 (6 free)" in replay

    screen.send("submit layer=retrieval variable=top_k rollback=top_k")
    end = screen.expect("fault rolled back")
    assert "SCORE 90/100" in end and "DEBRIEF" in end
    assert "Earliest signal: retrieval_hit on a canary" in end and "rollback: set top_k 1 -> 5" in end
    assert screen.close() == 0

    board = subprocess.run(
        [sys.executable, "-c", CLI, "teach", "--scoreboard"],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    ).stdout
    assert "ana" in board and "topk-tty" in board and "90/100" in board and "interactive" in board
    labels = (tmp / "ws" / "prompts" / "labels.json").read_text()
    assert '"production": 4' in labels


def test_end_of_input_quits_and_rolls_back(game: tuple[Path, dict[str, str]]) -> None:
    tmp, env = game
    screen = Screen(
        [
            sys.executable,
            "-c",
            CLI,
            "teach",
            str(tmp / "topk.yaml"),
            "--config",
            str(tmp / "base.yaml"),
            "--sample",
            "3",
            "--json",
            str(tmp / "quit.json"),
        ],
        env,
    )
    screen.expect("on-call> ")
    os.write(screen.fd, b"\x04")  # Ctrl-D at the prompt
    end = screen.expect("fault rolled back")
    assert "You left the incident without a submission." in end and "SCORE 0/100" in end
    assert screen.close() == 0
    assert '"status": "quit"' in (tmp / "quit.json").read_text()


@pytest.mark.minilm
def test_the_shipped_embedding_drift_scenario_opens_on_the_terminal(tmp_path: Path) -> None:
    if not (REPO / "scenarios" / "embedding-drift.yaml").exists():
        pytest.skip("scenarios/embedding-drift.yaml is not there yet")
    env = {**os.environ, "REPLAYLAB_HOME": str(tmp_path / "ws"), "TERM": "xterm-256color", "COLUMNS": "160"}
    screen = Screen([sys.executable, "-c", CLI, "teach", "embedding-drift", "--sample", "3", "--no-record"], env)
    opening = screen.expect("on-call> ", timeout=600)
    assert "PAGE" in opening and "Type `traces` to start" in opening
    screen.send("traces")
    assert "fault-window sample" in screen.expect("on-call> ")
    screen.send("quit")
    assert "DEBRIEF" in screen.expect("fault rolled back")
    assert screen.close() == 0
