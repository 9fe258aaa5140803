"""Paths from files stay inside the workspace, and an output never overwrites an input.

A scenario name or a prompt id names files in the workspace, so neither may be a path; a
cassette field naming a directory is a CassetteError, not an unresolved replay; and every
command that writes a report refuses an output path equal to one of its inputs (exit 2, the
input untouched).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from replaylab.cassettes.session import cassette_path
from replaylab.cli._common import check_outputs
from replaylab.errors import CassetteError, ConfigError, ScenarioError
from replaylab.scenario import load_scenario
from replaylab.stack.prompts import PromptRegistry, parse_prompt_id
from replaylab.trace import load_trace
from replaylab.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
DEMO_TRACE = ROOT / "cassettes" / "demo-reader" / "trace.json"

SCENARIO = """version: 1
name: {name}
title: t
description: d
method: {{kind: stale-index}}
teaching: {{first_seen: x, debrief: y}}
"""


@pytest.mark.parametrize("name", ["../../x", "/etc/passwd", "a/b", "..", ".hidden", "a..b"])
def test_a_scenario_name_is_never_a_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(name=f'"{name}"'))
    with pytest.raises(ScenarioError, match="name"):
        load_scenario(str(path))


@pytest.mark.parametrize("pid", ["../../../x@4", "/abs/x@4", "rag-answer@../4", "a/b:production", "rag-answer:../x"])
def test_a_prompt_id_is_never_a_path(tmp_path: Path, pid: str) -> None:
    with pytest.raises(ConfigError):
        parse_prompt_id(pid)
    with pytest.raises(ConfigError):
        PromptRegistry(Workspace(tmp_path / "ws")).resolve(pid)


def test_a_cassette_field_naming_a_directory_is_a_cassette_error(tmp_path: Path) -> None:
    trace = load_trace(DEMO_TRACE)
    assert trace.generation is not None
    (tmp_path / "dir.yaml").mkdir()
    odd = trace.model_copy(
        update={
            "config": trace.config.model_copy(update={"model": "openai:m"}),
            "generation": trace.generation.model_copy(update={"cassette": "dir.yaml"}),
        }
    )
    with pytest.raises(CassetteError, match="is a directory"):
        cassette_path(odd, tmp_path / "trace.json")


def test_check_outputs_refuses_an_input_or_a_repeated_output(tmp_path: Path) -> None:
    t = tmp_path / "t.json"
    t.write_text("{}")
    check_outputs(inputs=[t], outputs=[tmp_path / "out.json", None])
    with pytest.raises(ConfigError, match="is an input"):
        check_outputs(inputs=[t], outputs=[tmp_path / "." / "t.json"])
    os.symlink(t, tmp_path / "link.json")
    with pytest.raises(ConfigError, match="is an input"):
        check_outputs(inputs=[t], outputs=[tmp_path / "link.json"])
    with pytest.raises(ConfigError, match="another output"):
        check_outputs(inputs=[], outputs=[tmp_path / "a.html", tmp_path / "a.html"])


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "{t}", "--json", "{t}"],
        ["counterfactuals", "{t}", "--json", "{t}"],
        ["diagnose", "{t}", "--json", "{t}"],
        ["bisect", "{t}", "--json", "{t}"],
        ["bisect", "{t}", "--html", "{t}"],
        ["replay", "{t}", "--json", "{t}"],
        ["postmortem", "{t}", "-o", "{t}"],
    ],
)
def test_an_output_equal_to_the_input_is_refused_and_the_input_kept(
    tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI entry point in-process (the refusal comes before any work)."""
    from replaylab.cli import main

    t = tmp_path / "trace.json"
    shutil.copyfile(DEMO_TRACE, t)
    before = t.read_bytes()
    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    monkeypatch.setattr(sys, "argv", ["replaylab", *[a.format(t=t) for a in args]])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "is an input" in err and err.strip().count("\n") == 0, err
    assert t.read_bytes() == before
