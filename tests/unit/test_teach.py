"""Game days: whole scripted sessions over three scenarios, scoring, debrief, rollback, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from replaylab.config import RunConfig
from replaylab.scenario import Scenario, load_scenario
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.teach import GameSession, Incident, Scoreboard, SessionRecord, open_incident, run_script
from replaylab.workspace import Workspace

BASE = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index={"embedder": "hashing-test"})

SCENARIOS = {
    "prompt-conflict": """
name: prompt-conflict
title: A prompt version that conflicts with the system rules
description: rag-answer@5 is promoted to production
traffic: {sample: 8}
method: {kind: prompt-instruction-conflict, version: 5}
expect: {layer: generation, bisect: [prompt]}
teaching:
  first_seen: "Support ticket: the assistant tells customers to check the help centre instead of answering."
  hints: ["Read the rendered prompt's user turn.", "Compare prompt versions."]
  debrief: "rag-answer@5 added a privacy line that forbids figures."
  earliest_signal: "a canary gate running the correct evaluator on the new prompt version"
""",
    "topk": """
name: topk
title: The answer ranks just below a lowered top_k
description: top_k lowered to 1
traffic: {sample: 8}
method: {kind: top-k-truncation, top_k: 1}
expect: {layer: retrieval, bisect: [top_k]}
teaching:
  first_seen: "User complaint: the assistant says it doesn't know things it used to answer."
  debrief: "A config change lowered top_k from 5 to 1; answer chunks ranked second or lower fell out."
""",
    "stale": """
name: stale
title: The indexing pipeline stopped
description: the served index is built from an old corpus
traffic: {sample: 8}
method: {kind: stale-index}
expect: {layer: retrieval, bisect: [index]}
teaching:
  first_seen: "Ticket: the bot quotes limits that changed weeks ago."
  hints: ["Look at the ingested dates of the retrieved chunks."]
  debrief: "The indexing pipeline stopped; the served snapshot predates the document updates."
""",
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("teach") / "ws")


@pytest.fixture(scope="module")
def stack(ws: Workspace) -> Stack:
    return Stack(ws)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    folder = tmp_path_factory.mktemp("scenarios")
    out = {}
    for name, text in SCENARIOS.items():
        (folder / f"{name}.yaml").write_text(text)
        out[name] = load_scenario(str(folder / f"{name}.yaml"))
    return out


@pytest.fixture(scope="module")
def golden() -> list[GoldenItem]:
    return load_golden()[::3]  # a third of the set keeps the injectors' impact analysis fast


@pytest.fixture
def incident(
    request: pytest.FixtureRequest, stack: Stack, scenarios: dict[str, Scenario], golden: list[GoldenItem]
) -> Iterator[Incident]:
    with open_incident(scenarios[request.param], stack=stack, base=BASE, sample=6, max_affected=8, golden=golden) as inc:
        yield inc


def failing_ref(inc: Incident) -> str:
    return next(str(i) for i, t in enumerate(inc.shown, 1) if not inc.verdicts[t.trace_id])


def play(session: GameSession, clock: Clock, steps: list[tuple[float, str]]) -> SessionRecord:
    for wait, command in steps:
        clock.advance(wait)
        session.handle(command)
    return session.record()


@pytest.mark.parametrize("incident", ["prompt-conflict"], indirect=True)
def test_prompt_conflict_full_marks_minus_a_hint(incident: Incident, stack: Stack) -> None:
    clock = Clock()
    session = GameSession(incident, stack=stack, clock=clock, trainee="ana")
    ref = failing_ref(incident)
    rec = play(
        session,
        clock,
        [
            (20, "traces"),
            (40, f"eval {ref}"),
            (60, f"show {ref}"),
            (30, "hint"),
            (90, f"replay {ref} prompt=rag-answer@4"),
            (45, "submit layer=generation variable=prompt rollback=rag-answer@4"),
        ],
    )
    assert rec.status == "submitted"
    assert rec.score.total == 90 and rec.score.max_points == 100
    assert (rec.score.layer_ok, rec.score.variable_ok, rec.score.rollback_ok) == (True, True, True)
    assert [ln.item for ln in rec.score.lines] == ["layer", "variable", "rollback", "hints"]
    assert rec.score.elapsed_s == 285 and rec.score.sandbox_runs == 1 and rec.score.hints_used == 1
    cmds = [e.command for e in rec.transcript]
    assert cmds == [
        "traces",
        f"eval {ref}",
        f"show {ref}",
        "hint",
        f"replay {ref} prompt=rag-answer@4",
        "submit layer=generation variable=prompt rollback=rag-answer@4",
    ]
    by = {e.command.split()[0]: e for e in rec.transcript}
    assert [e.at_s for e in rec.transcript] == [20, 60, 120, 150, 240, 285]
    assert "verdict: FAIL (correct)" in by["eval"].output
    assert "Policy: for privacy, do not repeat specific numbers" in by["show"].output  # the rendered prompt
    assert "PPV (prompt)" in by["show"].output and "rag-answer@5" in by["show"].output
    assert "Hint 1/2 (-10 points): Read the rendered prompt's user turn." in by["hint"].output
    assert f"The swap fixes #{ref}." in by["replay"].output
    assert "SCORE 90/100 in 04:45" in by["submit"].output
    assert rec.rollback_check is not None and rec.rollback_check.restored == rec.rollback_check.tried > 0
    debrief = "\n".join(rec.debrief)
    assert "rag-answer@5 added a privacy line" in debrief
    assert "Earliest signal: a canary gate running the correct evaluator" in debrief
    assert "move rag-answer:production 5 -> 4" in debrief
    assert "Faster: 1 hint(s) cost 10 points." in debrief
    assert SessionRecord.model_validate_json(rec.model_dump_json()) == rec


@pytest.mark.parametrize("incident", ["topk"], indirect=True)
def test_topk_wrong_layer_detour_is_debriefed(incident: Incident, stack: Stack) -> None:
    clock = Clock()
    session = GameSession(incident, stack=stack, clock=clock)
    ref = failing_ref(incident)
    rec = play(
        session,
        clock,
        [
            (30, f"replay {ref} model=sandbox-reader-1.1"),  # a generation swap before looking at anything
            (60, f"show {ref}"),
            (60, f"eval {ref}"),
            (60, f"replay {ref} top_k=5"),
            (30, "submit layer=retrieval variable=top_k rollback=top_k"),
        ],
    )
    assert rec.score.total == 100
    assert rec.submission is not None and rec.submission.variables == ["top_k"]
    replays = [e for e in rec.transcript if e.command.startswith("replay")]
    assert "Still failing with model=" in replays[0].output and "(generation layer)" in replays[0].output
    assert "The swap fixes" in replays[1].output
    debrief = "\n".join(rec.debrief)
    assert "You swapped model before looking at a trace" in debrief
    assert "1 of your 2 replays swapped variables outside the retrieval layer (model)" in debrief
    assert "rollback: set top_k 1 -> 5" in debrief
    assert rec.answer.good_values == {"top_k": 5}
    for detection in incident.detections:  # whatever detectors are installed, the debrief reports each one
        assert str(detection["detector"]) in debrief


@pytest.mark.parametrize("incident", ["stale"], indirect=True)
def test_stale_index_wrong_variable_unverified_rollback_and_overtime(incident: Incident, stack: Stack) -> None:
    clock = Clock()
    session = GameSession(incident, stack=stack, clock=clock)
    ref = failing_ref(incident)
    rec = play(
        session,
        clock,
        [
            (60, f"show {ref}"),
            (120, "hint"),
            (60, "hint"),  # the second hint: none left, free
            (900, f"replay {ref} top_k=20"),
            (100, "submit layer=retrieval variable=top_k rollback=top_k=20"),
        ],
    )
    hint_outputs = [e.output for e in rec.transcript if e.command == "hint"]
    assert hint_outputs == ["Hint 1/1 (-10 points): Look at the ingested dates of the retrieved chunks.", "No more hints."]
    lines = {ln.item: ln for ln in rec.score.lines}
    assert lines["layer"].points == 40 and lines["variable"].points == 0 and lines["rollback"].points == 0
    assert "the cause is index" in lines["variable"].why
    assert rec.rollback_check is not None and not rec.rollback_check.ok
    assert rec.rollback_check.restored < rec.rollback_check.tried
    assert lines["hints"].points == -10
    assert lines["time"].points == -12 and "20.7 min, par 15 min" in lines["time"].why  # 6 started minutes over par
    assert rec.score.total == 18
    debrief = "\n".join(rec.debrief)
    assert "The replay that proves it was never run" in debrief and "index=" in debrief
    assert "20.7 minutes against a par of 15." in debrief


@pytest.mark.parametrize("incident", ["topk"], indirect=True)
def test_rollback_outside_the_layer_or_oracle_does_not_count(incident: Incident, stack: Stack) -> None:
    session = GameSession(incident, stack=stack, clock=Clock())
    chunks = ",".join(c.chunk_id for c in incident.shown[0].retrieval.chunks) if incident.shown[0].retrieval else "x"
    rec = run_script(session, [f"submit layer=retrieval variable=top_k rollback=context={chunks}"])
    assert rec.score.rollback_ok is False and "oracle replay" in (rec.rollback_check.why if rec.rollback_check else "")
    session = GameSession(incident, stack=stack, clock=Clock())
    rec = run_script(session, ["submit layer=generation variable=model rollback=model=sandbox-reader-1.1"])
    assert rec.score.total == 0 and "masks the symptom" in (rec.rollback_check.why if rec.rollback_check else "")


@pytest.mark.parametrize("incident", ["topk"], indirect=True)
def test_bad_commands_cost_nothing_and_quit_scores_zero(incident: Incident, stack: Stack) -> None:
    session = GameSession(incident, stack=stack, clock=Clock())
    for command, message in [
        ("frobnicate", "Unknown command 'frobnicate'"),
        ("show 99", "No trace '99'"),
        ("replay 1 top_k=3 model=x", "One variable at a time"),
        ("replay 1 nosuchvar=1", "Unknown variable 'nosuchvar'"),
        ("submit layer=database", "Unknown layer 'database'"),
        ("submit variable=top_k", "names at least the layer"),
    ]:
        reply = session.handle(command)
        assert reply.error and message in reply.text(), (command, reply.text())
    assert session.sandbox_runs == 0 and not session.ended
    help_text = session.handle("help").text()
    assert "replay ID VAR=VALUE" in help_text and "submit layer=L variable=V rollback=R" in help_text
    reply = session.handle("quit")
    assert reply.ended and "SCORE 0/100" in reply.text()
    assert session.handle("traces").error
    rec = session.record()
    assert rec.status == "quit" and rec.score.total == 0 and rec.submission is None
    assert any(line.startswith("Shortest path: `eval #") for line in rec.debrief)


def test_the_fault_is_rolled_back_even_on_error(stack: Stack, scenarios: dict[str, Scenario], golden: list[GoldenItem]) -> None:
    before = Deployment.capture(stack, scenarios["prompt-conflict"].baseline_config(BASE))
    with (
        pytest.raises(RuntimeError),
        open_incident(scenarios["prompt-conflict"], stack=stack, base=BASE, sample=4, max_affected=4, golden=golden) as inc,
    ):
        assert inc.injection.after.labels["rag-answer"]["production"] == 5  # the fault is live during the session
        assert stack.prompts.labels() == before.labels  # in the drill's own copy of the labels, not the workspace's
        assert inc.key.variables == ["prompt"]
        raise RuntimeError("trainee's terminal died")
    assert stack.prompts.labels() == before.labels
    assert Deployment.capture(stack, before.config) == before


def test_cli_script_mode_writes_json_and_the_scoreboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenarios: dict[str, Scenario]
) -> None:
    from typer.testing import CliRunner

    import replaylab.cli.teach_cmd  # noqa: F401  (registers the commands)
    from replaylab.cli import app
    from replaylab.cli._common import get_stack

    home = tmp_path / "ws"
    monkeypatch.setenv("REPLAYLAB_HOME", str(home))
    get_stack.cache_clear()
    folder = tmp_path / "sc"
    folder.mkdir()
    (folder / "topk.yaml").write_text(SCENARIOS["topk"])
    (tmp_path / "base.yaml").write_text("prompt: rag-answer@4\nembedder: hashing-test\nindex: {embedder: hashing-test}\n")
    (tmp_path / "play.txt").write_text("# a short game\ntraces\n\nsubmit layer=retrieval variable=top_k rollback=top_k\n")
    runner = CliRunner()
    try:
        result = runner.invoke(
            app,
            [
                "teach",
                str(folder / "topk.yaml"),
                "--config",
                str(tmp_path / "base.yaml"),
                "--script",
                str(tmp_path / "play.txt"),
                "--json",
                str(tmp_path / "out.json"),
                "--name",
                "bo",
                "--sample",
                "4",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "on-call> traces" in result.output and "SCORE 100/100" in result.output
        assert "fault rolled back" in result.output
        data = json.loads((tmp_path / "out.json").read_text())
        assert data["score"]["total"] == 100 and data["trainee"] == "bo" and data["status"] == "submitted"
        assert [e["command"] for e in data["transcript"]] == ["traces", "submit layer=retrieval variable=top_k rollback=top_k"]
        entries = Scoreboard(Workspace(home)).entries()
        assert [(e.trainee, e.scenario, e.score, e.mode) for e in entries] == [("bo", "topk", 100, "script")]
        board = runner.invoke(app, ["teach", "--scoreboard"])
        assert board.exit_code == 0 and "bo" in board.output and "topk" in board.output
    finally:
        get_stack.cache_clear()
