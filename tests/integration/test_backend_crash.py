"""The real Gemma runs in a worker process: it completes there, and a native crash in it is one
error line with exit code 2, never the end of the process that called it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from replaylab.config import SamplingParams
from replaylab.errors import ModelCrashed
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.models.llama import Gemma270M, completion_prompt, model_file
from replaylab.models.llama_worker import CRASH_TEST_VAR, LlamaWorker
from replaylab.trace import ChatMessage

ROOT = Path(__file__).resolve().parents[2]
REQUEST = GenerationRequest(
    model="gemma-3-270m",
    sampling=SamplingParams(temperature=0.0, seed=0, max_tokens=8),
    messages=[
        ChatMessage(
            role="user",
            content="Context:\n[1] The spooler listens on port 6310."
            "\n\nQuestion: Which port does the spooler listen on?\nAnswer:",
        )
    ],
)
CRASH_LINE = "replaylab: error: model backend gemma-3-270m crashed (signal 11, SIGSEGV); run replaylab doctor"


@pytest.mark.llm
def test_gemma_completes_in_a_worker_process_built_without_amx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAYLAB_LLAMA_MEMO", "0")
    gen = get_generator("gemma-3-270m")
    worker = gen._llm  # type: ignore[attr-defined]
    assert isinstance(worker, LlamaWorker) and worker.pid != os.getpid()
    out = gen.generate(REQUEST)
    assert out.completion_tokens > 0 and "6310" in out.output
    assert "AVX2 = 1" in worker.system_info and "AMX_INT8 = 1" not in worker.system_info
    assert worker.perf["n_p_eval"] > 10


@pytest.mark.llm
def test_a_dead_worker_raises_model_crashed_on_every_call(monkeypatch: pytest.MonkeyPatch, workspace: Any) -> None:
    monkeypatch.setenv(CRASH_TEST_VAR, "1")
    worker = LlamaWorker(model_file(workspace), threads=1, model=Gemma270M.id)
    try:
        for _ in range(2):
            with pytest.raises(
                ModelCrashed,
                match=r"^model backend gemma-3-270m crashed \(signal 11, SIGSEGV\); run "
                r"replaylab doctor$",
            ):
                worker.create_completion(completion_prompt(REQUEST.messages), max_tokens=4)
    finally:
        worker.close()


def _gemma_trace(tmp_path: Path) -> Path:
    data = json.loads((ROOT / "cassettes" / "demo" / "trace.json").read_text())
    data["config"]["model"] = "gemma-3-270m"  # in-process, through the worker
    data["generation"]["cassette"] = None
    path = tmp_path / "gemma-trace.json"
    path.write_text(json.dumps(data))
    return path


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REPLAYLAB_HOME": str(tmp_path / "ws"),
        "HF_HUB_OFFLINE": "1",
        CRASH_TEST_VAR: "1",
        "REPLAYLAB_LLAMA_MEMO": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "replaylab", *args], capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path
    )


@pytest.mark.llm
def test_a_backend_segfault_during_replay_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trace = _gemma_trace(tmp_path)
    before = trace.read_bytes()
    out = tmp_path / "replayed.json"
    proc = _run(tmp_path, "replay", str(trace), "--hold", "retrieval", "--json", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == CRASH_LINE
    assert trace.read_bytes() == before and not out.exists()


@pytest.mark.llm
@pytest.mark.minilm
def test_a_backend_segfault_during_bisect_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trace = _gemma_trace(tmp_path)
    report = tmp_path / "bisect.json"
    proc = _run(tmp_path, "bisect", str(trace), "--json", str(report))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == CRASH_LINE
    assert not report.exists()


@pytest.mark.llm
def test_every_shipped_recording_is_what_this_build_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixed-ISA build gives the same greedy answers on every machine: the shipped demo cassette,
    recorded over HTTP, is reproduced call for call by Gemma in-process here."""
    import yaml

    monkeypatch.setenv("REPLAYLAB_LLAMA_MEMO", "0")
    gen = get_generator("gemma-3-270m")
    interactions = yaml.safe_load((ROOT / "cassettes" / "demo" / "cassette.yaml").read_text())["interactions"]
    assert len(interactions) >= 5
    for it in interactions:
        body = json.loads(it["request"]["body"])
        recorded = json.loads(it["response"]["body"]["string"])["choices"][0]["message"]["content"]
        request = GenerationRequest(
            model="gemma-3-270m",
            messages=[ChatMessage(**m) for m in body["messages"]],
            sampling=SamplingParams(
                temperature=body["temperature"], top_p=body["top_p"], seed=body["seed"], max_tokens=body["max_tokens"]
            ),
        )
        assert gen.generate(request).output == recorded


@pytest.mark.llm
def test_the_worker_ends_when_the_process_that_started_it_is_killed(workspace: Any) -> None:
    import signal
    import time

    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from replaylab.models.llama_worker import LlamaWorker\n"
        "w = LlamaWorker(Path(sys.argv[1]), threads=1, model='gemma-3-270m')\n"
        "print(w.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(model_file(workspace))], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker_pid, signal.SIGKILL)
    pytest.fail("the llama.cpp worker outlived the process that started it")
