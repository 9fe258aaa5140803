"""`replaylab serve` as OpenAI clients expect it: streaming, stop, n, JSON mode, tools, refusals,
limits and JSON errors at every layer (uvicorn + starlette under it)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from replaylab.models.asgi import ServerLimits
from replaylab.models.server import LocalEndpoint, stream_events

MESSAGES = [
    {"role": "system", "content": 'Answer using only the context. If it is not there, say "I don\'t know".'},
    {
        "role": "user",
        "content": "Context:\n[1] (help-centre, ingested 2026-05-01) Refunds: Refunds are processed within 14 days of "
        "the request.\n\nQuestion: How many days does a refund take to be processed?\nAnswer:",
    },
]
ANSWER = "Refunds are processed within 14 days of the request."
LIMITS = ServerLimits(max_body_bytes=64 * 1024, header_timeout_s=0.5, body_timeout_s=0.5)


def _read_all(s: socket.socket) -> str:
    """Everything the server sends until it closes the connection."""
    s.settimeout(5)
    parts = []
    while part := s.recv(4096):
        parts.append(part)
    return b"".join(parts).decode()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with LocalEndpoint("sandbox-reader-1.0", limits=LIMITS) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> OpenAI:
    return OpenAI(base_url=base_url, api_key="unused", max_retries=0)


def test_streaming_through_the_openai_client_matches_the_plain_answer(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="sandbox-reader-1.0",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert {c.model for c in chunks} == {"sandbox-reader-1.0"} and len({c.id for c in chunks}) == 1


def test_the_event_stream_is_server_sent_events_ending_in_done(base_url: str) -> None:
    with httpx.stream(
        "POST", f"{base_url}/chat/completions", json={"model": "sandbox-reader", "messages": MESSAGES, "stream": True}
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in r.iter_lines() if ln]
    assert lines[-1] == "data: [DONE]" and all(ln.startswith("data: ") for ln in lines)
    assert json.loads(lines[0][6:])["object"] == "chat.completion.chunk"
    completion = {"id": "x", "created": 0, "model": "m", "system_fingerprint": None, "usage": {},
                  "choices": [{"index": 0, "message": {"content": "a b"}, "finish_reason": "length"}]}  # fmt: skip
    events = [json.loads(e[6:]) for e in b"".join(stream_events(completion)).decode().split("\n\n") if e.startswith("data: {")]
    assert [e["choices"][0]["delta"].get("content") for e in events] == ["", "a", " b", None]
    assert events[-1]["choices"][0]["finish_reason"] == "length"


def test_stop_n_and_json_mode(client: OpenAI) -> None:
    cut = client.chat.completions.create(model="sandbox-reader-1.0", messages=MESSAGES, stop=[" within", "zzz"])  # type: ignore[arg-type]
    assert cut.choices[0].message.content == "Refunds are processed" and cut.choices[0].finish_reason == "stop"
    three = client.chat.completions.create(model="sandbox-reader-1.0", messages=MESSAGES, n=3)  # type: ignore[arg-type]
    assert [c.index for c in three.choices] == [0, 1, 2] and {c.message.content for c in three.choices} == {ANSWER}
    single = client.chat.completions.create(model="sandbox-reader-1.0", messages=MESSAGES)  # type: ignore[arg-type]
    assert three.usage is not None and single.usage is not None and cut.usage is not None
    assert three.usage.completion_tokens == 3 * single.usage.completion_tokens > 3 * cut.usage.completion_tokens
    as_json = [*MESSAGES[:1], {"role": "user", "content": MESSAGES[1]["content"] + " Reply in JSON."}]
    reply = client.chat.completions.create(
        model="sandbox-reader-1.0",
        messages=as_json,
        response_format={"type": "json_object"},
    )
    assert json.loads(reply.choices[0].message.content or "") == {"answer": ANSWER}
    with pytest.raises(openai.BadRequestError, match="must contain the word 'json'"):
        client.chat.completions.create(model="sandbox-reader-1.0", messages=MESSAGES, response_format={"type": "json_object"})


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"messages": []}, "Invalid messages: empty array"),
        ({"temperature": 2.5}, "Invalid temperature"),
        ({"top_p": 1.5}, "Invalid top_p"),
        ({"n": 0}, "Invalid n"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "Invalid stop"),
        ({"response_format": {"type": "yaml"}}, "Invalid response_format.type"),
        ({"tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]}, "does not support tools"),
        ({"messages": [{"role": "user", "content": "x" * 300_000}]}, "accepts at most"),
    ],
)
def test_requests_openai_refuses_are_400(client: OpenAI, base_url: str, extra: dict[str, object], needle: str) -> None:
    body = {"model": "sandbox-reader-1.0", "messages": MESSAGES, **extra}
    if "x" * 10 in json.dumps(extra):  # the long prompt needs a server whose body limit lets it through
        with LocalEndpoint("sandbox-reader-1.0") as url:
            response = httpx.post(f"{url}/chat/completions", json=body)
    else:
        response = httpx.post(f"{base_url}/chat/completions", json=body)
    assert response.status_code == 400, response.text
    assert needle in response.json()["error"]["message"]


def test_tools_with_tool_choice_none_reach_the_model(client: OpenAI) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
    reply = client.chat.completions.create(model="sandbox-reader-1.0", messages=MESSAGES, tools=tools, tool_choice="none")
    assert reply.choices[0].message.content == ANSWER


def test_limits_and_protocol_errors_are_json(base_url: str) -> None:
    big = httpx.post(f"{base_url}/chat/completions", content=b"x" * (70 * 1024), headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    assert httpx.get(f"{base_url}/chat/completions").json()["error"]["code"] == "method_not_allowed"
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        raw = _read_all(s)
    assert raw.startswith("HTTP/1.1 400") and "application/json" in raw
    assert json.loads(raw.split("\r\n\r\n", 1)[1])["error"]["code"] == "bad_http_request"
    with socket.create_connection(("127.0.0.1", port)) as s:  # a header block over the limit (32 KiB)
        s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 40_000 + b"\r\n\r\n")
        raw = _read_all(s)
    assert raw.startswith("HTTP/1.1 400") and "over 32768 bytes" in json.loads(raw.split("\r\n\r\n", 1)[1])["error"]["message"]
    assert httpx.get(f"{base_url}/models", headers={"X-Pad": "a" * 20_000}).status_code == 200  # under it: served


def test_stalled_clients_are_dropped_and_do_not_hold_others(base_url: str, client: OpenAI) -> None:
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    body_stall = socket.create_connection(("127.0.0.1", port))
    body_stall.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
    # meanwhile others are answered
    assert client.chat.completions.create(model="sandbox-reader-1.0", messages=MESSAGES).choices[0].message.content == ANSWER  # type: ignore[arg-type]
    stalled.settimeout(5)
    assert stalled.recv(100) == b""  # closed by the header timeout
    body_stall.settimeout(5)
    answer = _read_all(body_stall)
    assert answer.startswith("HTTP/1.1 408") and '"code":"timeout"' in answer
    stalled.close()
    body_stall.close()


def test_fifty_concurrent_clients_are_all_answered(base_url: str) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        r = httpx.post(f"{base_url}/chat/completions", json={"model": "sandbox-reader-1.0", "messages": MESSAGES}, timeout=30)
        with lock:
            results.append(r.status_code)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 50


def test_a_client_that_hangs_up_leaves_no_traceback(base_url: str, capfd: pytest.CaptureFixture[str]) -> None:
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    body = json.dumps({"model": "sandbox-reader-1.0", "messages": MESSAGES, "stream": True}).encode()
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
    time.sleep(0.3)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err
