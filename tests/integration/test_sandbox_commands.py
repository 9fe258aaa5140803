"""Every command on a trace recorded over HTTP answers from the trace's cassette, like bisect, with
every socket refused; a request the cassette does not hold is a CassetteMiss naming the closest
recording; nothing calls the endpoint in the environment with the user's key unless `--live`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from _sockets import blocked_sockets

from replaylab.errors import NetworkBlocked, ReplayFailed

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "cassettes" / "demo" / "trace.json"

pytestmark = pytest.mark.minilm


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process (so the sockets stay blocked) and return (exit code, stdout, stderr)."""
    from replaylab.cli import main

    monkeypatch.setattr(sys, "argv", ["replaylab", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch, workspace: Any) -> None:
    """An endpoint and a key in the environment, as a user's shell has: a sandbox command must use neither."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-USERKEY0123456789abcdef")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.mark.usefixtures("hostile_env")
@pytest.mark.parametrize(("command", "code"), [("replay", 0), ("eval", 1), ("counterfactuals", 0), ("diagnose", 0)])
def test_each_command_answers_from_the_cassette_with_sockets_blocked(
    command: str, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / f"{command}.json"
    with blocked_sockets() as attempts:
        got, out, err = _main(monkeypatch, capsys, command, str(DEMO), "--json", str(out_json))
    assert attempts == [], attempts
    assert got == code, err
    assert "Cannot connect" not in out + err and "NetworkBlocked" not in out + err
    data = json.loads(out_json.read_text())
    if command == "replay":  # the recorded request, answered from its recording
        assert data["generation"]["output"] == json.loads(DEMO.read_text())["generation"]["output"]
        assert "identical to the recording" in out
    if command == "counterfactuals":
        ran = [r for r in data["runs"] if not r.get("skipped")]
        assert len(ran) >= 3 and all(not r.get("error") for r in ran), ran  # recorded, oracle, no context (+ moves)
        assert any(r["passed"] for r in ran)  # the oracle context fixes the answer: the evidence is real
    if command == "diagnose":
        assert data["layer"] == "retrieval"
        assert "CassetteMiss" not in json.dumps(data) and "connection refused" not in json.dumps(data)


@pytest.mark.usefixtures("hostile_env")
def test_an_unrecorded_request_is_a_cassette_miss_naming_the_closest_recording(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with blocked_sockets() as attempts:
        code, _, err = _main(monkeypatch, capsys, "replay", str(DEMO), "--set", "sampling=max_tokens=17", "--hold", "retrieval")
    assert attempts == []
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "No recorded call matches" in err and "max_tokens" in err


@pytest.mark.usefixtures("hostile_env")
def test_a_bisect_whose_every_replay_misses_says_so_on_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(DEMO.read_text())
    (tmp_path / "cassette.yaml").write_text("interactions: []\nversion: 1\n")  # an empty recording
    data["config"]["sampling"]["max_tokens"] = 17
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(data))
    with blocked_sockets() as attempts:
        code, out, _ = _main(monkeypatch, capsys, "bisect", str(trace))
    assert attempts == [] and code == 1
    out = " ".join(out.split())
    assert "NOT reproducible" in out and "all 2 replays unresolved" in out and "CassetteMiss" in out
    assert "re-run with --live" in out


def test_an_openai_model_with_no_cassette_is_refused_not_called(monkeypatch: pytest.MonkeyPatch) -> None:
    from replaylab.cassettes.profile import allow_live
    from replaylab.config import SamplingParams
    from replaylab.models.base import GenerationRequest
    from replaylab.models.openai_http import OpenAIChat
    from replaylab.trace import ChatMessage

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-USERKEY0123456789abcdef")
    request = GenerationRequest(model="openai:m", messages=[ChatMessage(role="user", content="hi")], sampling=SamplingParams())
    gen = OpenAIChat("m")
    with blocked_sockets() as attempts, pytest.raises(NetworkBlocked, match=r"re-run with --live"):
        gen.generate(request)
    assert attempts == []
    with allow_live(), pytest.raises(ReplayFailed, match="Cannot connect"):  # --live: the call goes out
        gen.generate(request)


@pytest.mark.usefixtures("hostile_env")
def test_a_game_day_on_an_http_model_never_calls_out_without_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("model: openai:gemma-3-270m\n")
    script = tmp_path / "script.txt"
    script.write_text("diagnose retrieval\n")
    with blocked_sockets() as attempts:
        code, _, err = _main(
            monkeypatch, capsys, "teach", "top-k-truncation", "--config", str(cfg), "--script", str(script), "--no-record"
        )
    assert attempts == []
    assert code == 2 and err.count("\n") == 1 and "re-run with --live" in err
