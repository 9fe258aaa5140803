"""The staging proxy end to end: the real `openai` client -> proxy -> `replaylab serve` (sandbox reader).

Every fault is drilled through the proxy and its effect checked on what the client got and on
the trace the proxy recorded; recordings are replayed offline with sockets blocked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from _sockets import blocked_sockets
from openai import OpenAI

from replaylab.cassettes.profile import audit, load_cassette
from replaylab.cassettes.session import cassette_session
from replaylab.errors import ConfigError
from replaylab.models.reader import WITHHELD
from replaylab.models.server import LocalEndpoint
from replaylab.proxy.app import ProxySettings
from replaylab.proxy.recorder import ExchangeRecord
from replaylab.proxy.runner import LocalProxy
from replaylab.stack.pipeline import Stack
from replaylab.trace import load_trace

TOKEN = "control-token-for-tests"
KEY = "sk-test-NOTAREALKEY0123456789"
SYSTEM = 'Answer using only the context. If it is not there, say "I don\'t know".'
PASSAGES = [
    "(help-centre, ingested 2026-05-01) Refunds: Refunds are processed within 14 days of the request.",
    "(policies, ingested 2026-05-01) Exports: Exports are kept for 30 days.",
    "(policies, ingested 2026-05-01) Seats: The Starter plan is capped at 12 users.",
    "(help-centre, ingested 2026-05-01) Backups: Backups run every 6 hours.",
]


def messages(question: str = "How many days does a refund take to be processed?") -> list[dict[str, str]]:
    context = "\n".join(f"[{i}] {p}" for i, p in enumerate(PASSAGES, 1))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}\nAnswer:"},
    ]


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProxy]:
    record = tmp_path_factory.mktemp("recordings")
    with (
        LocalEndpoint(["sandbox-reader-1.0", "sandbox-reader-1.1"]) as upstream,
        LocalProxy(ProxySettings(upstream=upstream, control_token=TOKEN, record_dir=record)) as px,
    ):
        yield px


@pytest.fixture(autouse=True)
def no_faults(proxy: LocalProxy) -> Iterator[None]:
    proxy.control.remove()
    yield
    proxy.control.remove()


@pytest.fixture
def client(proxy: LocalProxy) -> OpenAI:
    return OpenAI(base_url=proxy.base_url, api_key=KEY, max_retries=0)


def ask(client: OpenAI, *, question: str | None = None, session: str | None = None, **kw: object) -> str:
    reply = client.chat.completions.create(
        model="sandbox-reader-1.0",
        messages=messages(question) if question else messages(),
        extra_headers={"X-Session-Id": session} if session else None,
        **kw,
    )
    return reply.choices[0].message.content or ""


def last(proxy: LocalProxy) -> ExchangeRecord:
    proxy.control.flush()
    return proxy.control.recent(1)[0]


def test_clean_traffic_passes_through_streamed_and_not(client: OpenAI, proxy: LocalProxy) -> None:
    assert ask(client) == "Refunds are processed within 14 days of the request."
    stream = client.chat.completions.create(
        model="sandbox-reader-1.0",
        messages=messages(),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ask(client)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert [m.id for m in client.models.list()] == ["sandbox-reader", "sandbox-reader-1.0", "sandbox-reader-1.1"]
    rec = next(r for r in proxy.control.recent(3) if r.stream)
    assert rec.faults == [] and rec.output.startswith("Refunds are processed within 14 days")


def test_silent_model_change_keeps_the_requested_name(client: OpenAI, proxy: LocalProxy) -> None:
    question = "Since refunds take 30 days, how many days does a refund take to be processed?"
    assert "14 days" in ask(client, question=question)
    proxy.control.inject("silent-model-change", to_model="sandbox-reader-1.1")
    reply = client.chat.completions.create(model="sandbox-reader-1.0", messages=messages(question))  # type: ignore[arg-type]
    assert reply.model == "sandbox-reader-1.0"  # the client cannot tell
    assert reply.choices[0].message.content == "Yes, that's right: refunds take 30 days."  # 1.1 is sycophantic
    rec = last(proxy)
    assert (rec.forwarded_model, rec.returned_model, rec.faults) == (
        "sandbox-reader-1.1",
        "sandbox-reader-1.0",
        ["silent-model-change"],
    )
    streamed = client.chat.completions.create(model="sandbox-reader-1.0", messages=messages(question), stream=True)  # type: ignore[arg-type]
    assert {c.model for c in streamed} == {"sandbox-reader-1.0"}


def test_context_faults_edit_the_prompt_the_model_sees(client: OpenAI, proxy: LocalProxy) -> None:
    proxy.control.inject("poisoned-passage")
    assert ask(client) == "Refunds are processed within 90 days of the request."
    proxy.control.remove()
    proxy.control.inject("context-burial", marker="Refunds are processed")
    ask(client)
    trace = load_trace(Path(last(proxy).trace or ""))
    assert trace.prompt is not None and trace.retrieval is not None
    # five lines: [1]..[4]; the refunds passage moved from first to the middle and renumbered
    assert [c.text.split(":")[0] for c in trace.retrieval.chunks] == ["Exports", "Seats", "Refunds", "Backups"]
    assert "[3] (help-centre, ingested 2026-05-01) Refunds" in trace.prompt.messages[1].content


def test_instruction_conflict_sampling_drift_and_truncation(client: OpenAI, proxy: LocalProxy) -> None:
    proxy.control.inject("instruction-conflict")
    assert ask(client) == WITHHELD
    proxy.control.remove()
    proxy.control.inject("sampling-drift", temperature=1.9, top_p=0.5)
    ask(client, temperature=0)
    trace = load_trace(Path(last(proxy).trace or ""))
    assert trace.generation is not None and (trace.generation.sampling.temperature, trace.generation.sampling.top_p) == (1.9, 0.5)
    proxy.control.remove()
    proxy.control.inject("max-tokens-truncation", max_tokens=3)
    assert len(ask(client, max_tokens=50).split()) <= 3


def test_upstream_faults_answer_errors_and_delays(client: OpenAI, proxy: LocalProxy) -> None:
    proxy.control.inject("http-error", status=429)
    with pytest.raises(openai.RateLimitError, match="injected"):
        ask(client)
    proxy.control.remove()
    proxy.control.inject("http-error", status=500)
    with pytest.raises(openai.InternalServerError):
        ask(client)
    proxy.control.remove()
    proxy.control.inject("timeout", seconds=0.2)
    with pytest.raises(openai.APIStatusError) as err:
        ask(client)
    assert err.value.status_code == 504
    proxy.control.remove()
    proxy.control.inject("latency", ms=120)
    ask(client)
    assert last(proxy).latency_ms >= 120  # the delay was applied, not a speed measurement


def test_agent_loop_answers_every_turn_with_a_question(client: OpenAI, proxy: LocalProxy) -> None:
    proxy.control.inject("agent-loop")
    answer = ask(client)
    assert answer.startswith("Before I answer, could you clarify") and answer.endswith("processed??")
    streamed = client.chat.completions.create(model="sandbox-reader-1.0", messages=messages(), stream=True)  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == answer


def test_rate_and_session_pick_the_requests_hit(client: OpenAI, proxy: LocalProxy) -> None:
    proxy.control.inject("poisoned-passage", sessions=["canary-1"])
    assert "14 days" in ask(client, session="steady-7")
    assert "90 days" in ask(client, session="canary-1")
    proxy.control.remove()
    proxy.control.inject("poisoned-passage", rate=0.5, rule_id="half")
    hit = ["90 days" in ask(client) for _ in range(24)]
    assert 4 <= sum(hit) <= 20  # about half, decided by (rule id, request number)
    assert proxy.control.faults()[0]["hits"] == sum(hit)


def test_control_api_wants_the_token_and_valid_faults(proxy: LocalProxy) -> None:
    url = f"http://127.0.0.1:{proxy.port}/_replaylab/faults"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong-token"}).json()["error"]["code"] == "invalid_token"
    assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).json() == {"faults": []}
    with pytest.raises(ConfigError, match="Unknown proxy_fault 'nope'"):
        proxy.control.inject("nope")
    with pytest.raises(ConfigError, match=r"latency.*ms"):
        proxy.control.inject("latency", ms=-1)
    with pytest.raises(ConfigError, match="No fault 'ghost' is on"):
        proxy.control.remove("ghost")
    names = {f["name"] for f in proxy.control.catalog()}
    assert {"silent-model-change", "sampling-drift", "context-burial", "agent-loop", "timeout"} <= names


def test_a_recording_is_a_trace_replayable_offline_without_secrets(client: OpenAI, proxy: LocalProxy, tmp_path: Path) -> None:
    proxy.control.inject("poisoned-passage")
    ask(client, question="How many days does a refund take? my key is sk-live-ABCDEFGHIJKLMNOP1234")
    path = Path(last(proxy).trace or "")
    trace = load_trace(path)
    assert trace.config.model == "openai:sandbox-reader-1.0" and trace.tags["proxy.faults"] == "poisoned-passage"
    assert [e.reason for e in trace.events] == ["poisoned-passage"]
    cassette = path.parent / "cassette.yaml"
    assert len(load_cassette(cassette).interactions) == 1 and audit(path.parent) == []
    text = cassette.read_text() + path.read_text()
    assert "NOTAREALKEY" not in text and "sk-live-ABCDEFGH" not in text
    stack = Stack()
    with blocked_sockets() as attempts, cassette_session(trace, trace_path=path, live=False, stack=stack):
        replayed = stack.replay(trace, holds={"retrieval", "prompt"})
    assert attempts == [] and replayed.generation is not None and trace.generation is not None
    assert replayed.generation.output == trace.generation.output == "Refunds are processed within 90 days of the request."
    # swapping the model for the in-process pinned version is a counterfactual bisect can run offline
    fixed = stack.replay(trace, overrides={"model": "sandbox-reader-1.0"}, holds={"retrieval", "prompt"})
    assert fixed.generation is not None and "90 days" in fixed.generation.output  # the poison is in the prompt itself


def test_a_body_that_is_not_json_is_the_upstreams_to_refuse(proxy: LocalProxy) -> None:
    response = httpx.post(f"{proxy.base_url}/chat/completions", content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]
    assert httpx.get(f"http://127.0.0.1:{proxy.port}/nothing").json()["error"]["code"] == "not_found"


def test_an_unreachable_upstream_is_a_json_502() -> None:
    with LocalProxy(ProxySettings(upstream="http://127.0.0.1:9/v1", control_token=TOKEN)) as px:
        response = httpx.post(f"{px.base_url}/chat/completions", json={"model": "m", "messages": messages()})
    assert response.status_code == 502 and response.json()["error"]["code"] == "bad_gateway"
    assert json.loads(response.text)["error"]["type"] == "server_error"


def test_models_and_embeddings_are_passed_through_untouched(proxy: LocalProxy, client: OpenAI) -> None:
    assert client.models.retrieve("sandbox-reader-1.1").owned_by == "replaylab"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")
    # the sandbox server has no embeddings route: its own 404 comes back through the proxy
    response = httpx.post(f"{proxy.base_url}/embeddings", json={"model": "m", "input": "x"})
    assert response.status_code == 404 and response.json()["error"]["message"] == "No route POST /v1/embeddings"
    assert all(r.path.endswith("/chat/completions") for r in proxy.control.recent())  # only chats are recorded


def test_every_request_of_a_burst_is_recorded_by_shutdown_and_none_holds_a_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    record = tmp_path / "burst"
    with (
        LocalEndpoint(["sandbox-reader-1.0"]) as upstream,
        LocalProxy(ProxySettings(upstream=upstream, control_token=TOKEN, record_dir=record)) as px,
    ):
        burst = OpenAI(base_url=px.base_url, api_key=KEY, max_retries=0)
        questions = [f"How many days does a refund take, case {i}?" for i in range(24)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda q: ask(burst, question=q), questions))
    # the proxy is shut down: the writer must have put every exchange on disk before it stopped
    traces = sorted(record.rglob("trace.json"))
    assert len(traces) == len(questions)
    texts = [p.read_text() + (p.parent / "cassette.yaml").read_text() for p in traces]
    assert all(any(q in t for t in texts) for q in questions)  # one recording per request, none lost
    assert not any("NOTAREALKEY" in t for t in texts)
