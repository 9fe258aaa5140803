"""Cassettes: the chat-body matcher, record-time scrubbing, the audit, `none`-mode misses.

Recordings are made against the sandbox reader served by LocalEndpoint on loopback; replays
run with every outgoing socket refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _sockets import blocked_sockets
from openai import OpenAI
from typer.testing import CliRunner
from vcr.request import Request

from replaylab.bisection.probe import Prober, RunResult
from replaylab.cassettes.profile import (
    RecordMode,
    audit,
    chat_body,
    load_cassette,
    parse_record_mode,
    request_differences,
    use_cassette,
    working_copy,
)
from replaylab.cassettes.redaction import scrub_request, scrub_text
from replaylab.config import SamplingParams
from replaylab.errors import CassetteError, CassetteMiss, ConfigError, ReplayFailed
from replaylab.models.base import GenerationRequest
from replaylab.models.openai_http import OpenAIChat, endpoint_from_env
from replaylab.models.server import LocalEndpoint
from replaylab.trace import ChatMessage

FAKE_KEY = "sk-test-FAKEKEY0123456789abcdef"
BODY_KEY = "sk-body-ANOTHERFAKE0123456789"
COOKIE = "session=cookievalue-0123456789"
MESSAGES = [
    ChatMessage(role="system", content='Answer using only the context. If it is not there, say "I don\'t know".'),
    ChatMessage(
        role="user",
        content="Context:\n[1] (help-centre, ingested 2026-05-01) Refunds: Refunds are "
        "processed within 14 days of the request.\n\nQuestion: How many days does a refund take to "
        "be processed?\nAnswer:",
    ),
]


def _request(**sampling: Any) -> GenerationRequest:
    return GenerationRequest(model="openai:sandbox-reader-1.0", messages=MESSAGES, sampling=SamplingParams(**sampling))


def _vcr_request(
    body: dict[str, Any], *, uri: str = "http://127.0.0.1:1234/v1/chat/completions", headers: dict[str, str] | None = None
) -> Request:
    return Request("POST", uri, json.dumps(body).encode(), headers or {})


@pytest.fixture
def endpoint() -> Iterator[str]:
    with LocalEndpoint("sandbox-reader-1.0") as url:
        yield url


@pytest.fixture
def recorded(tmp_path: Path, endpoint: str) -> Path:
    """A cassette with two calls recorded through OpenAIChat with a fake key."""
    path = tmp_path / "cassettes" / "reader.yaml"
    gen = OpenAIChat("sandbox-reader-1.0", base_url=endpoint, api_key=FAKE_KEY)
    with use_cassette(path, RecordMode.NEW_EPISODES):
        gen.generate(_request(temperature=0.0, seed=0))
        gen.generate(_request(temperature=0.0, seed=1, max_tokens=32))
    return path


def test_record_mode_is_checked_at_the_edge() -> None:
    assert parse_record_mode("none") is RecordMode.NONE
    assert parse_record_mode(RecordMode.NEW_EPISODES) is RecordMode.NEW_EPISODES
    with pytest.raises(ConfigError, match=r"Unknown record mode 'sometimes'\. Valid: .*'none'.*'new_episodes'"):
        parse_record_mode("sometimes")


def test_matcher_reads_the_deciding_body_fields_not_bytes_headers_or_port() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.0, "seed": 1}
    same = _vcr_request(
        {**body, "user": "someone", "stream": False}, uri="http://10.0.0.1:9/v1/chat/completions", headers={"X-Trace": "abc"}
    )
    recorded = _vcr_request(body)
    chat_body(same, recorded)  # extra body keys, headers, host and port do not matter
    assert request_differences(_vcr_request(dict(reversed(list(body.items())))), recorded) == []
    with pytest.raises(AssertionError, match=r"temperature \(0.0 recorded, 0.7 requested\)"):
        chat_body(_vcr_request({**body, "temperature": 0.7}), recorded)
    changed = {**body, "messages": [{"role": "user", "content": "hello"}], "stop": ["\n"]}
    assert request_differences(_vcr_request(changed), recorded) == [
        "messages[0].content",
        'stop (null recorded, ["\\n"] requested)',
    ]


def test_recording_holds_no_secret_and_the_audit_passes(tmp_path: Path, endpoint: str) -> None:
    path = tmp_path / "cassettes" / "secrets.yaml"
    with use_cassette(path, "new_episodes"):
        OpenAIChat("sandbox-reader-1.0", base_url=endpoint, api_key=FAKE_KEY).generate(_request())
        client = OpenAI(base_url=endpoint, api_key=FAKE_KEY, max_retries=0)
        reply = client.chat.completions.create(
            model="sandbox-reader-1.0",
            messages=[m.model_dump() for m in MESSAGES],  # type: ignore[misc]
            temperature=0,
            seed=0,
            max_tokens=32,
            extra_headers={"Cookie": COOKIE, "X-Api-Key": FAKE_KEY},
            extra_body={"api_key": BODY_KEY, "password": "hunter2-password", "metadata": {"token": "tok-123456"}},
        )
    assert reply.choices[0].message.content == "Refunds are processed within 14 days of the request."
    text = path.read_text()
    for secret in (FAKE_KEY, BODY_KEY, COOKIE, "cookievalue", "hunter2", "tok-123456", "FAKEKEY"):
        assert secret not in text
    assert "<REDACTED>" in text and "authorization" not in text.lower() and "cookie" not in text.lower()
    assert len(load_cassette(path).interactions) == 2
    assert audit(path.parent) == []


def test_audit_names_file_and_line_of_a_planted_secret(recorded: Path) -> None:
    lines = recorded.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "headers:")
    lines.insert(at + 1, "      Authorization:")
    lines.insert(at + 2, f"      - Bearer {FAKE_KEY}")
    recorded.write_text("\n".join(lines) + "\n")
    findings = audit(recorded.parent)
    assert {(f.file, f.line) for f in findings} >= {(recorded, at + 2), (recorded, at + 3)}
    assert any("credential header 'Authorization'" in f.what for f in findings)
    assert any("bearer token" in f.what for f in findings)
    assert all(FAKE_KEY not in f.what for f in findings)  # the finding does not repeat the secret

    import replaylab.cli.models  # noqa: F401  (registers the commands)
    from replaylab.cli import app

    result = CliRunner().invoke(app, ["cassettes", "audit", str(recorded.parent)])
    assert result.exit_code == 1
    assert f"{recorded}:{at + 3}:" in result.output.replace("\n", "")


def test_audit_finds_a_secret_field_inside_a_recorded_json_body(tmp_path: Path, recorded: Path) -> None:
    text = recorded.read_text().replace('"seed":1', f'"seed":1,"api_key":"{BODY_KEY}"', 1)
    planted = tmp_path / "planted.yaml"
    planted.write_text(text)
    findings = audit(planted)
    assert findings and all(f.file == planted for f in findings)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if BODY_KEY[:10] in row)
    assert any(f.line == line for f in findings)


def test_none_mode_replays_offline_and_a_miss_names_the_closest_call_and_fields(recorded: Path) -> None:
    before = recorded.read_bytes()
    gen = OpenAIChat("sandbox-reader-1.0", base_url="http://127.0.0.1:9/v1")  # nothing listens there
    with blocked_sockets() as attempts, use_cassette(recorded, RecordMode.NONE) as use:
        result = gen.generate(_request(temperature=0.0, seed=0))
        again = gen.generate(_request(temperature=0.0, seed=0))  # playback repeats are allowed
        with pytest.raises(CassetteMiss) as miss:
            gen.generate(_request(temperature=0.7, seed=1, max_tokens=32))
    assert result == again and result.output.startswith("Refunds are processed within 14 days")
    assert result.model_returned == "sandbox-reader-1.0" and result.cassette == str(recorded)
    assert use.played == 2 and attempts == []
    first = str(miss.value).splitlines()[0]
    assert "POST /v1/chat/completions (model='sandbox-reader-1.0')" in first
    assert "closest recording differs in: temperature (0.0 recorded, 0.7 requested)" in first
    assert "recording #2 of 2" in str(miss.value) and "no live call was made" in str(miss.value)
    assert recorded.read_bytes() == before  # `none` never writes


def test_none_mode_without_a_cassette_is_a_clear_miss(tmp_path: Path) -> None:
    gen = OpenAIChat("sandbox-reader-1.0", base_url="http://127.0.0.1:9/v1")
    with (
        blocked_sockets() as attempts,
        use_cassette(tmp_path / "absent.yaml"),
        pytest.raises(CassetteMiss, match=r"no cassette at .*absent\.yaml"),
    ):
        gen.generate(_request())
    assert attempts == [] and not (tmp_path / "absent.yaml").exists()


def test_a_bisect_style_swap_of_temperature_is_unresolved_not_a_crash(recorded: Path) -> None:
    gen = OpenAIChat("sandbox-reader-1.0", base_url="http://127.0.0.1:9/v1")

    def outcome(assignment: Any, seed: int) -> RunResult:
        out = gen.generate(_request(temperature=assignment["temperature"], seed=seed))
        return RunResult(passed="14 days" in out.output, reason=out.output)

    prober = Prober(outcome=outcome, seeds=[0])
    with blocked_sockets() as attempts, use_cassette(recorded, "none"):
        good = prober.verdict({"temperature": 0.0}, phase="reproduce", name="good", bad=[])
        bad = prober.verdict({"temperature": 0.9}, phase="reproduce", name="bad", bad=["sampling"])
    assert good.status == "pass" and bad.status == "unresolved"
    assert prober.unresolved == 1 and attempts == []
    reason = prober.steps[-1].result.reason
    assert reason.startswith("CassetteMiss: No recorded call matches")
    assert "temperature (0.0 recorded, 0.9 requested)" in reason


def test_junk_cassette_is_one_error_and_is_never_overwritten(tmp_path: Path, endpoint: str) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_text("interactions: [1, 2\n")
    gen = OpenAIChat("sandbox-reader-1.0", base_url=endpoint)
    with pytest.raises(CassetteError, match=r"junk.yaml is not valid YAML \(line 2"), use_cassette(junk, "new_episodes"):
        gen.generate(_request())
    assert junk.read_text() == "interactions: [1, 2\n"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("version: 1\ninteractions:\n- request: {method: POST}\n")
    with pytest.raises(CassetteError, match=r"wrong.yaml is not a vcrpy cassette: interactions.0.request.uri"):
        load_cassette(wrong)


def test_working_copy_keeps_the_shipped_cassette_untouched(recorded: Path, endpoint: str, workspace: Any) -> None:
    shipped = recorded.read_bytes()
    copy = working_copy(recorded, ws=workspace)
    assert copy.parent == workspace.root / "cassettes" and copy.read_bytes() == shipped
    gen = OpenAIChat("sandbox-reader-1.0", base_url=endpoint)
    with use_cassette(copy, "new_episodes") as use:
        gen.generate(_request(temperature=0.0, seed=0))  # replayed
        gen.generate(_request(temperature=0.5, seed=3))  # a new episode, recorded once
        gen.generate(_request(temperature=0.5, seed=3))  # and reused
    assert use.recorded == 3 and use.played == 2
    assert recorded.read_bytes() == shipped and len(load_cassette(copy).interactions) == 3
    assert working_copy(recorded, ws=workspace) == copy  # the appended copy is reused


def test_openai_errors_are_one_line_replay_failures(endpoint: str) -> None:
    with pytest.raises(ReplayFailed, match=r"Cannot connect to http://127.0.0.1:9/v1/chat/completions"):
        OpenAIChat("m", base_url="http://127.0.0.1:9/v1").generate(_request())
    with pytest.raises(ReplayFailed, match=r"answered 404: The model 'no-such-model' does not exist"):
        OpenAIChat("no-such-model", base_url=endpoint).generate(_request())
    junk = httpx.MockTransport(lambda req: httpx.Response(200, json={"choices": []}))
    with pytest.raises(ReplayFailed, match="not a chat completion"):
        OpenAIChat("m", base_url="http://x.invalid/v1", transport=junk).generate(_request())


def test_endpoint_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert endpoint_from_env({}) == ("http://127.0.0.1:8000/v1", None)
    env = {"OPENAI_BASE_URL": "http://a/v1/", "OPENAI_API_KEY": "k1", "REPLAYLAB_OPENAI_BASE_URL": "http://b/v1"}
    assert endpoint_from_env(env) == ("http://b/v1", "k1")
    seen: list[httpx.Request] = []

    def answer(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(
            200,
            json={
                "model": "remote-1.2",
                "choices": [{"message": {"content": "ok"}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1},
            },
        )

    monkeypatch.setenv("REPLAYLAB_OPENAI_BASE_URL", "http://provider.test/v1")
    monkeypatch.setenv("REPLAYLAB_OPENAI_API_KEY", FAKE_KEY)
    out = OpenAIChat("remote", transport=httpx.MockTransport(answer)).generate(_request(seed=4))
    assert (out.output, out.model_returned, out.prompt_tokens, out.completion_tokens) == ("ok", "remote-1.2", 5, 1)
    assert str(seen[0].url) == "http://provider.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert json.loads(seen[0].content) == {
        "model": "remote",
        "messages": [m.model_dump() for m in MESSAGES],
        "temperature": 0.0,
        "top_p": 1.0,
        "seed": 4,
        "max_tokens": 96,
    }


def test_scrubbers_cover_strings_anywhere_and_query_keys() -> None:
    assert scrub_text(f"use {FAKE_KEY} or Bearer abc.def-123456") == "use <REDACTED> or Bearer <REDACTED>"
    req = scrub_request(
        Request(
            "GET",
            f"https://h.test/v1/models?key=AIzaSECRET&limit=5&note={FAKE_KEY}",
            None,
            {"Authorization": f"Bearer {FAKE_KEY}", "Accept": "application/json", "X-Session-Token": "abc"},
        )
    )
    assert FAKE_KEY not in req.uri and "AIzaSECRET" not in req.uri and "limit=5" in req.uri
    assert dict(req.headers) == {"Accept": "application/json"}
