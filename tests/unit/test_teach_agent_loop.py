"""The agent-loop game day: opened by the agent-loop drill through the one runner, played end to end
from a script (the same `--script` input the other game days use): the trainee sees looping
sessions, evaluates, diagnoses and replays them with one variable swapped, and the reveal names
the fault. Sandbox agents only (no model, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replaylab.config import IndexSpec, RunConfig
from replaylab.scenario import load_scenario
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.teach import GameSession, open_incident, run_script

BASE = RunConfig(embedder="hashing-test", index=IndexSpec(embedder="hashing-test"))


def _first_failing(incident) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, t in enumerate(incident.shown, 1) if not incident.verdicts[t.trace_id])


def test_the_incident_is_the_drills_window_and_is_rolled_back(tiny_stack: Stack) -> None:
    scenario = load_scenario("agent-loop")
    with open_incident(scenario, stack=tiny_stack, base=BASE, sample=4) as incident:
        assert incident.sandbox is not None and incident.key.layer == "routing"
        assert incident.key.variables == ["guards", "tools"] and incident.key.good_values["tools"] == "tools-v1"
        assert {"call-graph-cycle", "session-token-anomaly"} <= set(incident.fired)
        assert all(t.config.tools == "tools-v2" for t in incident.window) and incident.failing()
        assert all(incident.verdicts[t.trace_id] for t in incident.baseline)  # tools-v1: every session ends
        assert incident.injection.after.config.tools == "tools-v2"
    # the drill's rollback ran: the stack serves the deployment from before the fault again
    before = incident.injection.before
    assert before.config.tools == "tools-v1" and Deployment.capture(tiny_stack, before.config) == before


def test_a_scripted_game_day_finds_and_proves_the_interaction(tiny_stack: Stack) -> None:
    with open_incident(load_scenario("agent-loop"), stack=tiny_stack, base=BASE, sample=4) as incident:
        n = _first_failing(incident)
        game = GameSession(incident, stack=tiny_stack)
        script = [
            "traces",
            f"eval {n}",
            f"diagnose {n}",
            f"counterfactuals {n}",
            f"replay {n} top_k=3",
            f"replay {n} guards=playbook",
            f"replay {n} tools=tools-v1",
            "submit layer=routing variable=guards,tools rollback=tools",
        ]
        record = run_script(game, script)
    out = {e.command: e for e in record.transcript}
    assert "FAIL (session-within-bound)" in out[f"eval {n}"].output
    assert "call agents in a cycle" in out[f"diagnose {n}"].output
    assert out[f"counterfactuals {n}"].error and out[f"replay {n} top_k=3"].error  # nothing spent on RAG tools
    assert "The swap fixes" in out[f"replay {n} guards=playbook"].output  # the guards halt it within the bound
    assert "The swap fixes" in out[f"replay {n} tools=tools-v1"].output  # and so does the old tool schema
    card = record.score
    assert record.status == "submitted" and card.layer_ok and card.variable_ok and card.rollback_ok, card
    assert record.rollback_check is not None and record.rollback_check.restored == record.rollback_check.tried > 0
    assert any("tools-v2 dropped `context`" in line for line in record.debrief)  # the reveal names the fault


def test_a_wrong_diagnosis_scores_low(tiny_stack: Stack) -> None:
    with open_incident(load_scenario("agent-loop"), stack=tiny_stack, base=BASE, sample=4) as incident:
        record = run_script(GameSession(incident, stack=tiny_stack), ["submit layer=generation variable=prompt"])
    assert not record.score.layer_ok and not record.score.variable_ok and record.score.total == 0


def test_replaylab_teach_plays_it_from_a_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import replaylab.cli.teach_cmd  # noqa: F401  (registers the commands)
    from replaylab.cli import app
    from replaylab.cli._common import get_stack

    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    get_stack.cache_clear()
    (tmp_path / "base.yaml").write_text("embedder: hashing-test\nindex: {embedder: hashing-test}\n")
    (tmp_path / "play.txt").write_text("traces\nsubmit layer=routing variable=tools,guards rollback=tools=tools-v1\n")
    args = ["teach", "agent-loop", "--config", str(tmp_path / "base.yaml"), "--script", str(tmp_path / "play.txt")]
    try:
        result = CliRunner().invoke(app, [*args, "--json", str(tmp_path / "out.json"), "--sample", "4", "--no-record"])
    finally:
        get_stack.cache_clear()
    assert result.exit_code == 0, result.output
    assert "invoice went from $127 to $47,000" in " ".join(result.output.split()) and "SCORE 100/100" in result.output
    assert "fault rolled back" in result.output
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["scenario"] == "agent-loop" and data["score"]["total"] == 100 and data["answer"]["layer"] == "routing"
