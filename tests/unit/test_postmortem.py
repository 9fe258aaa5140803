"""Postmortem drafts of a bisect report and of a drill journal: every section, from real data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from replaylab.bisection.trace_bisector import TraceBisector, reproduce_command
from replaylab.config import RunConfig
from replaylab.drills.fault import run_drill
from replaylab.errors import InputError
from replaylab.postmortem.draft import draft_postmortem, load_run, reproduce_drill
from replaylab.scenario import load_scenario
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace, save_trace
from replaylab.workspace import Workspace

GOOD = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index={"embedder": "hashing-test"})
SECTIONS = [
    "## Root cause (draft from replay evidence) **[needs human confirmation]**",
    "## Version snapshot at incident start",
    "## Request-level evidence",
    "## Failure layer classification",
    "## Timeline",
    "## Drift vs acute failure",
    "## Why the existing evals and detectors missed it",
    "## New guardrails",
    "## Proof of recovery",
    "## Residual risk",
    "## Optimization signals at incident time",
]
STALE = """
name: stale
title: The indexing pipeline stopped
description: the served index is built from an old corpus
traffic: {sample: 8}
method: {kind: stale-index}
expect: {layer: retrieval, bisect: [index]}
teaching:
  first_seen: "Ticket: the bot quotes limits that changed weeks ago."
  debrief: "The indexing pipeline stopped."
"""


def sections(markdown: str) -> dict[str, str]:
    """Heading -> body of every `## ` section."""
    parts = re.split(r"^(## .*)$", markdown, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def assert_complete(markdown: str) -> dict[str, str]:
    found = sections(markdown)
    assert list(found) == SECTIONS
    for heading, body in found.items():
        assert body, f"{heading} is empty"
        for placeholder in ("TODO", "TBD", "lorem", "<fill", "XXX", "{", "None%"):
            assert placeholder not in body.replace('{"', "").replace("{'", ""), (heading, placeholder)
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return Stack(Workspace(tmp_path_factory.mktemp("pm") / "ws"))


@pytest.fixture(scope="module")
def bisect_run(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Trace]:
    folder = tmp_path_factory.mktemp("bisect")
    item = next(g for g in load_golden() if g.qid == "q001")
    trace = stack.run(item.question, GOOD.model_copy(update={"prompt": "rag-answer@5"}), golden=golden_of(item))
    path = save_trace(trace, folder / "trace.json")
    result = TraceBisector(stack, trace).run(good=GOOD, seeds=[0], seeded=False)
    result.reproduce = reproduce_command(path, "good.yaml", None)
    (folder / "bisect.json").write_text(result.model_dump_json(indent=2))
    return folder / "bisect.json", trace


def test_bisect_postmortem_has_every_section_filled_from_the_replays(stack: Stack, bisect_run: tuple[Path, Trace]) -> None:
    report, trace = bisect_run
    inp = load_run(report)
    assert inp.primary is not None and inp.primary.trace_id == trace.trace_id  # found through `reproduce`
    md = draft_postmortem(inp, stack=stack)
    s = assert_complete(md)
    assert md.startswith(f"# Postmortem draft: failing request {trace.trace_id}")
    root = s[SECTIONS[0]]
    assert '`prompt` (generation layer): swapping it alone from `"rag-answer@5"` back to `"rag-answer@4"`' in root
    versions = s["## Version snapshot at incident start"]
    for row in (
        "| PPV (prompt) | rag-answer@5 |",
        "| MRV (model) | requested sandbox-reader-1.0, returned sandbox-reader-1.0 |",
        f"| index snapshot | {trace.versions.index_snapshot}",
        "| eval set | golden@1 |",
        "| guardrails | none |",
        "| TAV (tools) | none |",
        '| prompt | "rag-answer@5" | "rag-answer@4" |',
    ):
        assert row in versions, row
    evidence = s["## Request-level evidence"]
    assert f"`replaylab replay {report.parent / 'trace.json'}`" in evidence
    assert trace.retrieval is not None and all(c.chunk_id in evidence for c in trace.retrieval.chunks)
    assert "Policy: for privacy, do not repeat specific numbers" in evidence  # the rendered prompt
    assert "Please check the help centre for the exact details." in evidence  # the output
    layers = s["## Failure layer classification"]
    assert "**generation** (confidence" in layers
    assert all(f"| {layer} |" in layers for layer in ("retrieval", "generation", "routing", "upstream_data"))
    assert "Incident type: quality degradation (generation)." in layers
    timeline = s["## Timeline"]
    assert "label rag-answer:production moved 3 → 4" in timeline
    assert f"failing request `{trace.trace_id}` served rag-answer@5" in timeline
    assert "`prompt`: **acute**" in s["## Drift vs acute failure"]
    gap = s["## Why the existing evals and detectors missed it"]
    assert "in the eval set as q001" in gap and "replaylab golden add" in gap and "pins correct" in gap
    assert "Detectors: no data" in gap
    guard = s["## New guardrails"]
    assert "replaylab canary-gate" in guard and "move rag-answer:production back to rag-answer@4" in guard
    recovery = s["## Proof of recovery"]
    assert "| verdict | FAIL | PASS |" in recovery and "12 users" in recovery
    assert "**[needs human confirmation]**" in s["## Residual risk"]
    assert "The model did not change" in s["## Optimization signals at incident time"]


def test_a_bisect_report_without_a_findable_trace_asks_for_one(
    stack: Stack, bisect_run: tuple[Path, Trace], tmp_path: Path
) -> None:
    report, trace = bisect_run
    data = json.loads(report.read_text())
    data["reproduce"] = "replaylab bisect moved/away.json"
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"does not embed its trace.*give --trace TRACE"):
        load_run(tmp_path / "b.json")
    inp = load_run(tmp_path / "b.json", traces=[report.parent / "trace.json"])
    assert inp.primary is not None and inp.primary.trace_id == trace.trace_id and inp.trace_note == "given with --trace"
    (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(InputError, match="neither a bisect report"):
        load_run(tmp_path / "x.json")


@pytest.fixture(scope="module")
def drill_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Stack]:
    """A real drill whose stack saves every trace it serves (as a drill that keeps its traces would)."""
    folder = tmp_path_factory.mktemp("drill")
    traces = folder / "traces"

    class Recording(Stack):
        def run(self, *args: Any, **kwargs: Any) -> Trace:
            t = super().run(*args, **kwargs)
            save_trace(t, traces / f"{t.trace_id}.json")
            return t

    (folder / "stale.yaml").write_text(STALE)
    stack = Recording(Workspace(folder / "ws"))
    journal = run_drill(load_scenario(str(folder / "stale.yaml")), stack=stack, base=GOOD, diagnose_traces=2)
    assert journal.status == "completed" and journal.bisect_causes == ["index"], journal.error
    (folder / "journal.json").write_text(journal.model_dump_json(indent=2))
    return folder / "journal.json", traces, Stack(Workspace(folder / "ws"))


def test_drill_postmortem_has_the_journal_timeline_and_recovery(drill_run: tuple[Path, Path, Stack]) -> None:
    journal_path, traces, stack = drill_run
    journal = json.loads(journal_path.read_text())
    inp = load_run(journal_path, traces_dir=traces)
    assert inp.kind == "drill" and len(inp.traces) == len(journal["failing_trace_ids"])
    assert inp.primary is not None and inp.primary.trace_id == next(
        s["detail"]["trace"] for s in journal["steps"] if s["name"] == "bisect"
    )
    s = assert_complete(draft_postmortem(inp, stack=stack))
    assert "`index` (retrieval layer)" in s[SECTIONS[0]] and "First bad version of `index`" in s[SECTIONS[0]]
    assert "| corpus | bundled@" in s["## Version snapshot at incident start"]
    timeline = s["## Timeline"]
    for step in journal["steps"]:
        assert f"drill step **{step['name']}**" in timeline
    assert "`index`: **drift**" in s["## Drift vs acute failure"]
    drift = s["## Drift vs acute failure"]
    assert "the drill injects the whole lag at once" in drift and "step change" not in drift  # one word: drift
    recovery = s["## Proof of recovery"]
    before, under = f"{journal['steady_state_before']:.0%}", f"{journal['pass_rate_under_fault']:.0%}"
    assert f"| pass rate | {before} | {under} |" in recovery and "Steady state restored: yes." in recovery
    assert "| verdict | FAIL | PASS |" in recovery
    assert "The drill's diagnosis over its failing requests: retrieval" in s["## Failure layer classification"]
    assert "serve the last snapshot built from the current corpus" in s["## New guardrails"]
    assert "A stale index keeps drifting" in s["## Residual risk"]


def test_drill_postmortem_without_traces_says_so_and_can_reproduce(drill_run: tuple[Path, Path, Stack]) -> None:
    journal_path, _, stack = drill_run
    inp = load_run(journal_path)
    assert inp.traces == []
    s = assert_complete(draft_postmortem(inp, stack=stack))
    assert "No trace attached: the journal lists" in s["## Request-level evidence"]
    assert "give --traces DIR, or --reproduce" in s["## Request-level evidence"]
    assert s["## Version snapshot at incident start"].startswith("No data: no failing trace is available")
    labels = stack.prompts.labels()
    reproduce_drill(
        inp, stack=stack, base=GOOD, scenario=load_scenario(str(journal_path.parent / "stale.yaml")), golden=load_golden()[::4]
    )
    assert stack.prompts.labels() == labels and inp.traces and inp.baseline
    assert inp.trace_note.startswith("reproduced in the sandbox by re-injecting scenario stale")
    s = assert_complete(draft_postmortem(inp, stack=stack))
    assert inp.traces[0].trace_id in s["## Request-level evidence"]


def test_cli_writes_the_draft_and_rejects_bad_input_in_one_line(bisect_run: tuple[Path, Trace], tmp_path: Path) -> None:
    report = bisect_run[0]
    env = {**os.environ, "REPLAYLAB_HOME": str(tmp_path / "ws")}
    code = "import replaylab.cli.teach_cmd; from replaylab.cli import main; main()"
    run = subprocess.run(
        [sys.executable, "-c", code, "postmortem", str(report), "-o", str(tmp_path / "pm.md")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert_complete((tmp_path / "pm.md").read_text())
    (tmp_path / "bad.json").write_text("{nope")
    bad = subprocess.run(
        [sys.executable, "-c", code, "postmortem", str(tmp_path / "bad.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        f"replaylab: error: {tmp_path / 'bad.json'} is not valid JSON (line 1: Expecting property name enclosed in double quotes)"
    ]


def test_a_drill_all_json_file_is_read_and_the_draft_keeps_to_its_own_drill(
    drill_run: tuple[Path, Path, Stack], tmp_path: Path
) -> None:
    """`drill --all --json` writes a list; the draft picks one journal, keeps its own label moves in the
    timeline and asks to fix only the detectors that target its fault."""
    from datetime import timedelta

    journal_path, traces, stack = drill_run
    mine = json.loads(journal_path.read_text())
    other = {**mine, "scenario": "prompt-instruction-conflict", "passed": True}
    later = [
        {**st, "started_at": (datetime.fromisoformat(st["started_at"]) + timedelta(hours=2)).isoformat()} for st in mine["steps"]
    ]
    other["steps"] = later
    both = tmp_path / "all.json"
    both.write_text(json.dumps([mine, other]))
    if mine["passed"]:  # neither deviated: the file is ambiguous without --scenario
        with pytest.raises(InputError, match="choose one with --scenario NAME"):
            load_run(both, traces_dir=traces)
    else:
        assert load_run(both, traces_dir=traces).journal.scenario == mine["scenario"]  # type: ignore[union-attr]
    inp = load_run(both, traces_dir=traces, scenario=mine["scenario"])
    assert inp.journal is not None and inp.journal.scenario == mine["scenario"]
    with pytest.raises(InputError, match="holds no journal for scenario 'nope'"):
        load_run(both, scenario="nope")
    # another drill's label move, an hour before this drill started (drill --all), stays out of the timeline
    when = (datetime.fromisoformat(mine["steps"][0]["started_at"]) - timedelta(hours=1)).isoformat()
    state_file = stack.prompts.root / "label-state.json"  # labels and their history, one file
    saved = state_file.read_text()
    state = json.loads(saved)
    moves = state["history"]
    stray = {**(moves[-1] if moves else {}), "template": "rag-answer", "label": "production", "at": when}
    stray.setdefault("previous", 4)
    stray.setdefault("version", 6)
    state_file.write_text(json.dumps({**state, "history": [*moves, stray]}))
    try:
        s = sections(draft_postmortem(inp, stack=stack))
    finally:
        state_file.write_text(saved)
    assert when[:16] not in s["## Timeline"]
    guardrails = s["## New guardrails"]
    silent = [d.get("detector") or d.get("name") for d in mine["detections"] if not d.get("fired")]
    for name in silent:
        if name in {"model-version-change", "sampling-config-drift", "query-embedding-drift", "source-concentration"}:
            assert f"detector `{name}`" not in guardrails  # nothing to do with a stale index


def test_pick_journal_takes_the_only_deviated_one(tmp_path: Path) -> None:
    from replaylab.postmortem.draft import pick_journal

    a = {"scenario": "a", "steps": [], "passed": True}
    b = {"scenario": "b", "steps": [], "passed": False}
    assert pick_journal([a, b], path=tmp_path, scenario=None) is b
    with pytest.raises(InputError, match="2 drill journals"):
        pick_journal([b, {**a, "passed": False}], path=tmp_path, scenario=None)
