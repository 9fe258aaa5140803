"""The real Gemma 3 270M behind `replaylab serve`, through the proxy, driven by the `openai` client."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai import OpenAI

from replaylab.models.server import LocalEndpoint
from replaylab.proxy.app import ProxySettings
from replaylab.proxy.runner import LocalProxy
from replaylab.trace import load_trace

MESSAGES = [
    {"role": "system", "content": "Answer the question using only the context."},
    {
        "role": "user",
        "content": "Context:\n[1] (help-centre, ingested 2026-05-01) Refunds: Annual plans can be refunded within 60 days "
        "of purchase.\n\nQuestion: Within how many days can an annual plan be refunded?\nAnswer:",
    },
]


@pytest.mark.llm
def test_gemma_through_the_proxy_streamed_and_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAYLAB_LLAMA_MEMO", "0")  # the second call runs the model again
    with (
        LocalEndpoint("gemma-3-270m") as upstream,
        LocalProxy(ProxySettings(upstream=upstream, control_token="gemma-test-token", record_dir=tmp_path)) as proxy,
    ):
        client = OpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
        kw = {"model": "gemma-3-270m", "messages": MESSAGES, "temperature": 0, "seed": 7, "max_tokens": 24}
        plain = client.chat.completions.create(**kw)
        streamed = "".join(
            c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **kw) if c.choices
        )
        proxy.control.flush()
        records = proxy.control.recent(2)
    assert plain.model == "gemma-3-270m" and plain.choices[0].message.content
    assert streamed == plain.choices[0].message.content  # greedy, same seed: the same answer
    trace = load_trace(Path(records[0].trace or ""))
    assert trace.generation is not None and trace.generation.runtime["system_fingerprint"].startswith("fp_")
    assert trace.generation.output == plain.choices[0].message.content
