"""The two paper reproductions (replaylab/bench/experiments.py) with the sandbox reader only: the bundled
corpus under the hashing stand-in embedder, so nothing loads MiniLM or Gemma."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from replaylab.bench.experiments import (
    DoseResponseTable,
    ExperimentsResult,
    LostInTheMiddleTable,
    attack_targets,
    experiments_html,
    litm_context,
    lost_in_the_middle,
    pick_questions,
    poisonedrag_dose_response,
)
from replaylab.config import IndexSpec, RunConfig
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.pipeline import Stack


@pytest.fixture
def hashing_config() -> RunConfig:
    return RunConfig(prompt="rag-answer@4", index=IndexSpec(embedder="hashing-test"), embedder="hashing-test", top_k=5)


@pytest.fixture
def questions(tiny_stack: Stack, hashing_config: RunConfig) -> list[GoldenItem]:
    return pick_questions(tiny_stack, hashing_config, load_golden(), 8)


def test_pick_questions_are_answerable(questions: list[GoldenItem]) -> None:
    assert len(questions) == 8
    assert all(not q.false_premise for q in questions)
    assert [q.qid for q in questions] == sorted(q.qid for q in questions)


def test_litm_context_places_the_answer_chunk() -> None:
    others = [f"d{i}" for i in range(19)]
    for p in (1, 5, 10, 20):
        ctx = litm_context("gold", others, p)
        assert len(ctx) == 20 and ctx.index("gold") == p - 1
        assert [c for c in ctx if c != "gold"] == others


def test_attack_targets_follow_the_planted_value() -> None:
    item = GoldenItem(qid="x", question="How many users?", answer="12 users", aliases=("12", "twelve users"))
    targets = attack_targets(item, seed=0)
    assert targets[0] == "18 users" and "18" in targets and len(targets) == 2


def test_dose_response_sandbox_reader(tiny_stack: Stack, hashing_config: RunConfig, questions: list[GoldenItem]) -> None:
    table = poisonedrag_dose_response(
        tiny_stack, model="sandbox-reader-1.0", questions=questions[:5], doses=(0, 1, 3, 5), base_config=hashing_config
    )
    asr = [r.asr for r in table.rows]
    assert asr == sorted(asr), asr  # weakly increasing with the dose
    assert asr[0] == 0.0 and asr[-1] > 0.0
    for r in table.rows:
        assert 0.0 <= r.precision <= 1.0 and 0.0 <= r.recall <= 1.0 and 0.0 <= r.f1 <= 1.0
        assert r.n == 5
    assert table.rows[0].paper_asr is None and table.rows[-1].paper_asr == 1.0
    assert table.rows[-1].precision >= table.rows[1].precision
    # the poisoned batch is rolled back: the clean run afterwards is answered as before
    again = poisonedrag_dose_response(
        tiny_stack, model="sandbox-reader-1.0", questions=questions[:5], doses=(0,), base_config=hashing_config
    )
    assert again.rows[0].correct == table.rows[0].correct
    assert "| 5 |" in table.to_markdown()


def test_lost_in_the_middle_shapes(tiny_stack: Stack, hashing_config: RunConfig, questions: list[GoldenItem]) -> None:
    flat = lost_in_the_middle(
        tiny_stack, model="sandbox-reader-1.0", questions=questions, positions=(1, 10, 20), base_config=hashing_config
    )
    curve = lost_in_the_middle(
        tiny_stack, model="sandbox-reader-1.1", questions=questions, positions=(1, 10, 20), base_config=hashing_config
    )
    assert not flat.skipped and flat.rows[0].n == len(questions)
    assert len({r.accuracy for r in flat.rows}) == 1, [r.accuracy for r in flat.rows]
    first, middle, last = (r.accuracy for r in curve.rows)
    assert first > middle and last > middle, (first, middle, last)
    assert flat.max_prompt_tokens < 2048  # 20 chunks fit the reader's window
    assert [r.paper for r in curve.rows] == [75.8, 53.8, 63.2]


def test_html_and_json_round_trip(tmp_path: Path) -> None:
    dose = DoseResponseTable.model_validate(
        {
            "model": "m",
            "embedder": "e",
            "top_k": 5,
            "rows": [
                {"dose": 1, "n": 2, "asr": 0.5, "correct": 0.5, "precision": 0.2, "recall": 1.0, "f1": 0.33, "paper_asr": 0.48}
            ],
        }
    )
    litm = LostInTheMiddleTable.model_validate(
        {
            "model": "m",
            "total": 20,
            "chunk_words": 50,
            "rows": [{"position": p, "n": 2, "accuracy": 50.0, "paper": None} for p in (1, 10, 20)],
        }
    )
    result = ExperimentsResult(dose=[dose], litm=[litm], questions=["q1", "q2"])
    page = experiments_html(result)
    assert "data:image/png;base64," in page and "<script" not in page and 'src="http' not in page
    assert "paper GPT-3.5-Turbo" in page
    assert ExperimentsResult.model_validate(json.loads(result.model_dump_json())) == result
    assert "paper ASR" in result.to_markdown()


def test_cli_runs_the_sandbox_experiments(tmp_path: Path, workspace: object, hashing_config: RunConfig) -> None:
    from typer.testing import CliRunner

    from replaylab.cli import app

    importlib.import_module("replaylab.cli.experiments_cmd")  # registers the command
    cfg = tmp_path / "hashing.json"
    cfg.write_text(hashing_config.model_dump_json())
    out_json, out_html = tmp_path / "e.json", tmp_path / "e.html"
    res = CliRunner().invoke(
        app,
        [
            "experiments",
            "--models",
            "sandbox-reader-1.0,sandbox-reader-1.1",
            "--dose-models",
            "sandbox-reader-1.0",
            "--questions",
            "2",
            "--doses",
            "0,5",
            "--positions",
            "1,20",
            "--config",
            str(cfg),
            "--json",
            str(out_json),
            "--html",
            str(out_html),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Lost in the middle" in res.output and "PoisonedRAG" in res.output
    data = json.loads(out_json.read_text())
    assert len(data["dose"]) == 1 and len(data["litm"]) == 2
    assert out_html.read_text().startswith("<!doctype html>")
