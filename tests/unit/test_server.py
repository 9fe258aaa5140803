"""The OpenAI-compatible server, driven by the `openai` Python client over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from replaylab.errors import ConfigError, UnknownPlugin
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.models.openai_http import OpenAIChat
from replaylab.models.server import LocalEndpoint, ModelServer, serve
from replaylab.trace import ChatMessage

SYSTEM = 'Answer using only the context. If it is not there, say "I don\'t know".'
USER = (
    "Context:\n[1] (help-centre, ingested 2026-05-01) Refunds: Refunds are processed within 14 days of the "
    "request.\n[2] (policies, ingested 2026-05-01) Exports: Exports are kept for 30 days.\n\n"
    "Question: How many days does a refund take to be processed?\nAnswer:"
)
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with LocalEndpoint("sandbox-reader-1.0", served_as={"sandbox-reader-stable": "sandbox-reader-1.1"}) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> OpenAI:
    return OpenAI(base_url=base_url, api_key="unused", max_retries=0)


def test_chat_completion_through_the_openai_client(client: OpenAI) -> None:
    reply = client.chat.completions.create(
        model="sandbox-reader-1.0",
        messages=MESSAGES,  # type: ignore[arg-type]
        temperature=0,
        seed=0,
        max_tokens=32,
    )
    assert reply.model == "sandbox-reader-1.0"
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-")
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == "Refunds are processed within 14 days of the request."
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.prompt_tokens > 20 and reply.usage.completion_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    again = client.chat.completions.create(
        model="sandbox-reader-1.0",
        messages=MESSAGES,  # type: ignore[arg-type]
        temperature=0,
        seed=0,
        max_tokens=32,
    )
    assert again.choices[0].message.content == reply.choices[0].message.content


def test_the_served_answer_is_the_in_process_answer(base_url: str) -> None:
    request = GenerationRequest(model="sandbox-reader-1.0", messages=[ChatMessage.model_validate(m) for m in MESSAGES])
    direct = get_generator("sandbox-reader-1.0").generate(request)
    served = OpenAIChat("sandbox-reader-1.0", base_url=base_url).generate(request)
    assert (served.output, served.model_returned, served.prompt_tokens, served.completion_tokens) == (
        direct.output,
        direct.model_returned,
        direct.prompt_tokens,
        direct.completion_tokens,
    )


def test_the_model_field_names_the_version_that_answered(client: OpenAI) -> None:
    swapped = client.chat.completions.create(model="sandbox-reader-stable", messages=MESSAGES)  # type: ignore[arg-type]
    assert swapped.model == "sandbox-reader-1.1"
    alias = client.chat.completions.create(model="sandbox-reader", messages=MESSAGES)  # type: ignore[arg-type]
    assert alias.model == "sandbox-reader-1.0"


def test_served_as_also_swaps_the_aliases_of_the_swapped_version() -> None:
    app = ModelServer("sandbox-reader-1.0", served_as={"sandbox-reader-1.0": "sandbox-reader-1.1"})
    assert app.routes == {"sandbox-reader": "sandbox-reader-1.1", "sandbox-reader-1.0": "sandbox-reader-1.1"}


def test_models_are_listed(client: OpenAI, base_url: str) -> None:
    assert sorted(m.id for m in client.models.list()) == ["sandbox-reader", "sandbox-reader-1.0", "sandbox-reader-stable"]
    assert client.models.retrieve("sandbox-reader-1.0").owned_by == "replaylab"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")
    assert httpx.get(base_url.removesuffix("/v1") + "/health").json() == {"status": "ok"}


def test_unknown_model_is_a_404_in_openai_shape(client: OpenAI, base_url: str) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-9", messages=MESSAGES)  # type: ignore[arg-type]
    assert "The model 'gpt-9' does not exist" in str(err.value)
    body = httpx.post(f"{base_url}/chat/completions", json={"model": "gpt-9", "messages": MESSAGES}).json()
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["code"] == "model_not_found"
    assert body["error"]["param"] == "model"


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"model": "sandbox-reader-1.0"}', "messages: Field required"),
        (b'{"model": "sandbox-reader-1.0", "messages": [{"role": "wizard", "content": "x"}]}', "messages.0.role"),
        (b'{"model": "sandbox-reader-1.0", "messages": [], "temperature": 9}', "Invalid temperature"),
        (b'{"model": "sandbox-reader-1.0", "messages": [], "stream": true}', "Invalid messages: empty array"),
        (b"[1, 2]", "Invalid request"),
    ],
)
def test_bad_requests_are_400_with_an_error_message(base_url: str, payload: bytes, needle: str) -> None:
    response = httpx.post(f"{base_url}/chat/completions", content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert needle in error["message"] and error["type"] == "invalid_request_error"


def test_unknown_routes_are_404(base_url: str) -> None:
    assert httpx.post(f"{base_url}/completions", json={}).status_code == 404
    assert httpx.get(f"{base_url}/nothing").json()["error"]["code"] == "not_found"


def test_server_refuses_unknown_models_and_non_loopback_hosts() -> None:
    with pytest.raises(UnknownPlugin, match="Unknown generator 'nope'"):
        ModelServer("nope")
    with pytest.raises(UnknownPlugin):
        ModelServer("sandbox-reader-1.0", served_as={"x": "nope"})
    with pytest.raises(ConfigError, match="loopback only"):
        serve("sandbox-reader-1.0", 0, host="0.0.0.0")


def test_the_served_runtime_reaches_the_callers_trace(base_url: str) -> None:
    """system_fingerprint and the `replaylab_runtime` extension land in the MRV of an `openai:` trace."""
    from replaylab.stack.pipeline import model_runtime
    from replaylab.trace import GenerationSpan

    body = httpx.post(f"{base_url}/chat/completions", json={"model": "sandbox-reader-1.0", "messages": MESSAGES}).json()
    assert body["system_fingerprint"].startswith("fp_") and isinstance(body["replaylab_runtime"], dict)
    request = GenerationRequest(model="sandbox-reader-1.0", messages=[ChatMessage.model_validate(m) for m in MESSAGES])
    served = OpenAIChat("sandbox-reader-1.0", base_url=base_url).generate(request)
    assert served.runtime["system_fingerprint"] == body["system_fingerprint"]
    # a remote server's facts override the client's own, and the client backend stays named
    span = GenerationSpan(
        model_requested="openai:m",
        model_returned="m",
        sampling=request.sampling,
        output="x",
        prompt_tokens=1,
        completion_tokens=1,
        latency_ms=1.0,
        runtime={
            "backend": "llama-cpp-python 0.3.16",
            "quantization": "Q4_K_M",
            "file_sha256": "ab" * 32,
            "system_fingerprint": "fp_0123456789",
        },
    )
    mrv = model_runtime("openai:m", OpenAIChat.runtime, span)
    assert mrv.backend.startswith("openai-compatible HTTP") and mrv.backend.endswith("-> llama-cpp-python 0.3.16")
    assert (mrv.quantization, mrv.file_sha256, mrv.system_fingerprint) == ("Q4_K_M", "ab" * 32, "fp_0123456789")
    assert model_runtime("m", {"backend": "Reader10"}, span.model_copy(update={"runtime": {}})).quantization == ""
