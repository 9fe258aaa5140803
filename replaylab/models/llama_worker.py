"""llama.cpp in a worker process, so that a native crash is an error line, not the end of the run.

A segmentation fault inside llama.cpp (its AMX path with Q4_K weights, a build for the wrong
CPU, a corrupt file) kills the process it runs in. The Gemma backend therefore loads the model
in a child process (`python -m replaylab.models.llama_worker MODEL THREADS`) and talks to it over
its standard input and output, one JSON object a line. When the child dies the parent raises
`ModelCrashed` ("model backend gemma-3-270m crashed (signal 11, SIGSEGV); run replaylab doctor"),
which the CLI prints as one line with exit code 2; nothing on disk is touched by the crash.

The protocol, one line each way per call:

    -> {"prompt": "...", "temperature": 0.0, "top_p": 1.0, "seed": 7, "max_tokens": 64, "stop": ["\\n"]}
    <- {"ok": true, "out": {<llama_cpp create_completion result>}, "perf": {"t_p_eval_ms": ..., ...}}
    <- {"ok": false, "error": "ValueError: ..."}          (a Python error: the worker lives on)

The first line the worker writes is `{"ok": true, "ready": true, "system_info": "..."}` once
the model is loaded. `REPLAYLAB_LLAMA_CRASH_TEST=1` makes the worker raise SIGSEGV on its first
completion: the test of the crash path, with no other use.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from replaylab.errors import ModelCrashed, ModelUnavailable

CRASH_TEST_VAR = "REPLAYLAB_LLAMA_CRASH_TEST"
START_TIMEOUT_S = 120.0


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def crash_message(model: str, returncode: int | None) -> str:
    """The one line a dead worker is reported with."""
    if returncode is not None and returncode < 0:
        how = f"signal {-returncode}, {_signal_name(-returncode)}"
    else:
        how = f"exit code {returncode}"
    return f"model backend {model} crashed ({how}); run replaylab doctor"


BUILD_NOTE = Path(sys.prefix) / "llama-build.txt"
"""Written by `make setup` into the virtual environment: the instruction set and CMake flags
replaylab's llama-cpp-python wheel was compiled with."""


def wheel_build() -> str:
    """What `make setup` compiled llama.cpp for, or `not built by make setup`."""
    try:
        return BUILD_NOTE.read_text().strip()
    except OSError:
        return "not built by make setup"


_CPU_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "bmi2",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)


def cpu_flags() -> list[str]:
    """The SIMD features of this CPU that llama.cpp's kernels care about (from /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return []
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), [])
    return [f for f in _CPU_FLAGS if f in flags]


def build_flags(system_info: str | None = None) -> dict[str, str]:
    """What the installed llama.cpp was compiled with, from its system info (`AVX2 = 1 | AMX_INT8 = 0 | ...`)."""
    if system_info is None:
        try:
            import llama_cpp
        except ImportError:
            return {"error": "llama-cpp-python is not installed"}
        system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    flags: dict[str, str] = {}
    for part in system_info.replace("\n", "|").split("|"):
        name, sep, value = part.partition("=")
        if sep and name.strip() and " " not in name.strip().split(":")[-1].strip():
            flags[name.strip().split(":")[-1].strip()] = value.strip()
    return flags


class LlamaWorker:
    """One llama.cpp model in a child process; `create_completion` mirrors `llama_cpp.Llama`'s."""

    def __init__(self, path: Path, *, threads: int, model: str, extra_bufts: str = "auto") -> None:
        self.path = path
        self.model = model
        self._lock = threading.Lock()
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker, closed in close()
        cmd = [sys.executable, "-m", "replaylab.models.llama_worker", str(path), str(threads), extra_bufts]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        hello = self._read()
        if not hello.get("ok"):
            self.close()
            raise ModelUnavailable(f"{model}: the llama.cpp worker could not load {path.name}: {hello.get('error')}")
        self.system_info = str(hello.get("system_info", ""))
        self.perf: dict[str, float] = {}

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = [ln for ln in self._stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[-1].strip()[:200] if lines else ""

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            raise ModelCrashed(crash_message(self.model, code))
        try:
            data = json.loads(line)
        except ValueError:
            raise ModelCrashed(
                f"model backend {self.model} wrote junk on its protocol pipe: {line[:80]!r}; run replaylab doctor"
            ) from None
        return data if isinstance(data, dict) else {"ok": False, "error": repr(data)[:200]}

    def create_completion(self, prompt: str, **kw: Any) -> dict[str, Any]:
        """One completion in the worker; ModelCrashed when the worker is dead or dies."""
        with self._lock:
            if self._proc.poll() is not None:
                raise ModelCrashed(crash_message(self.model, self._proc.returncode))
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write((json.dumps({"prompt": prompt, **kw}) + "\n").encode())
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                raise ModelCrashed(crash_message(self.model, self._proc.wait())) from None
            reply = self._read()
        if not reply.get("ok"):
            from replaylab.errors import ReplayFailed

            raise ReplayFailed(f"model backend {self.model} failed: {reply.get('error')}")
        self.perf = {k: float(v) for k, v in (reply.get("perf") or {}).items()}
        out: dict[str, Any] = reply["out"]
        return out

    def reset(self) -> None:
        """The worker resets its context before every call: nothing to do here (kept for the Llama shape)."""

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                if self._proc.stdin:
                    self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        self._stderr.close()


N_CTX = 4096
"""Context window the model is loaded with: the assembled RAG prompt plus the answer."""


def build_has_amx(system_info: str) -> bool:
    """Whether llama.cpp's system info names an AMX backend (`AMX_INT8 = 1`, or an AMX buffer type)."""
    return "AMX_INT8 = 1" in system_info or "AMX = 1" in system_info or "CPU_AMX" in system_info


def open_llama(path: Path, *, threads: int, extra_bufts: str = "auto") -> Any:
    """A `llama_cpp.Llama` for `path` in *this* process (the worker's side of `load_llama`).

    `extra_bufts` is `auto`, `0` or `1` (see EXTRA_BUFTS_VAR); llama-cpp-python does not expose
    the model parameter `use_extra_bufts`, so the default parameters are wrapped for the load.
    """
    import llama_cpp
    import llama_cpp.llama as llama_module

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    use = extra_bufts == "1" or (extra_bufts == "auto" and not build_has_amx(info))
    defaults = llama_module.llama_cpp.llama_model_default_params  # type: ignore[attr-defined]

    def params() -> Any:
        p = defaults()
        if hasattr(p, "use_extra_bufts"):
            p.use_extra_bufts = use
        return p

    llama_module.llama_cpp.llama_model_default_params = params  # type: ignore[attr-defined]
    try:
        with _quiet_stderr():
            return llama_cpp.Llama(
                model_path=str(path), chat_format="gemma", n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False
            )
    finally:
        llama_module.llama_cpp.llama_model_default_params = defaults  # type: ignore[attr-defined]


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence llama.cpp's C-level notices while loading (verbose=False leaves one about its
    SWA cache); a load that fails still raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _exit_with_parent() -> None:
    """End this worker when the process that started it dies, even mid-completion: SIGKILL on the
    parent's death where Linux offers it (prctl PR_SET_PDEATHSIG), and a watchdog thread everywhere
    (stdin alone is not enough: a forked grandchild may still hold the pipe open)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="llama-worker-watchdog", daemon=True).start()


def _serve(path: str, threads: int, extra_bufts: str) -> int:
    """The worker's loop: load the model, then answer one request a line until stdin closes."""
    _exit_with_parent()
    # the protocol gets its own descriptor; anything llama.cpp or Python prints goes to stderr
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        import llama_cpp

        llm = open_llama(Path(path), threads=threads, extra_bufts=extra_bufts)
        info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    except Exception as exc:  # reported to the parent as one line
        proto.write(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return 1
    proto.write(json.dumps({"ok": True, "ready": True, "system_info": info}) + "\n")
    crash = os.environ.get(CRASH_TEST_VAR) == "1"
    for line in sys.stdin:
        try:
            req = json.loads(line)
            prompt = req.pop("prompt")
            if crash:
                os.kill(os.getpid(), signal.SIGSEGV)
            # a full prompt evaluation every call: reusing a cached prefix changes the batch
            # shapes, and with them the last bits of the logits, so outputs would depend on
            # what ran before
            llm.reset()
            llama_cpp.llama_perf_context_reset(llm.ctx)
            out = llm.create_completion(prompt, **req)
            p = llama_cpp.llama_perf_context(llm.ctx)
            perf = {"n_p_eval": p.n_p_eval, "t_p_eval_ms": p.t_p_eval_ms, "n_eval": p.n_eval, "t_eval_ms": p.t_eval_ms}
            proto.write(json.dumps({"ok": True, "out": out, "perf": perf}) + "\n")
        except Exception as exc:
            proto.write(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
