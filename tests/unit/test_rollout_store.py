"""The rollout drill exercises the real SQLite session store: the store pins each session itself
as the production label moves, drains the bad PPV with a memory revert, and ends up where the
simulation did; the drill's journal says what the store did. Tiny corpus, sandbox reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replaylab.config import CorpusSpec, IndexSpec, RunConfig
from replaylab.drills.rollout import RolloutResult, RolloutSpec, simulate_rollout
from replaylab.drills.runner import DrillOptions, run
from replaylab.drills.steps import CheckStep
from replaylab.scenario import load_scenario
from replaylab.sessions import SessionStore, local_judge
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import Stack

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = load_golden(DATA / "tiny_golden.jsonl")
TINY = RunConfig(
    corpus=CorpusSpec(source=str(DATA / "tiny_corpus.jsonl")),
    index=IndexSpec(embedder="hashing-test"),
    embedder="hashing-test",
    top_k=3,
)
SMALL: dict[str, Any] = {"sessions": 16, "turns": 4, "arrival_ticks": 8, "promote_at": 2, "detect_after": 2}
KEY = "session_store_pinned_drained_and_reverted_as_simulated"


def _store(stack: Stack, path: Path) -> SessionStore:
    return SessionStore(path, resolve=lambda ref: stack.prompts.resolve(ref).id)


def _rollout(stack: Stack, store: SessionStore) -> RolloutResult:
    return simulate_rollout(stack, config=TINY, golden=GOLDEN, spec=RolloutSpec(**SMALL), judge=local_judge, store=store)


def test_the_store_pins_drains_and_reverts_as_the_simulation_did(tiny_stack: Stack, tmp_path: Path) -> None:
    store = _store(tiny_stack, tmp_path / "sessions.sqlite")
    result = _rollout(tiny_stack, store)
    replay = result.store
    assert replay is not None and replay.agrees and result.expectations_met()[KEY], replay
    drain = result.outcome("pin_and_drain_with_memory_revert")
    assert replay.sessions == 16 and replay.turns == drain.turns
    assert replay.drained == drain.sessions_recalled == result.sessions_on_bad_at_detection > 0
    assert replay.reverted == drain.sessions_memory_reverted and replay.drain_complete
    assert replay.pinned.get(result.bad_ppv, 0) > 0 and replay.pinned.get(result.good_ppv, 0) > 0
    assert replay.snapshots == result.sessions_in_flight_at_promotion and replay.routed_by == {"production": 16}
    # what a user inspecting the file sees: the recalled sessions moved by the forced drain, no bad memory
    stored = store.list()
    moved = [s for s in stored if s.moves]
    assert len(moved) == replay.drained and all(s.started_under == result.bad_ppv for s in moved)
    assert all(m["reason"] == "forced drain" and m["to_ppv"] == result.good_ppv for s in moved for m in s.moves)
    assert all(result.bad_ppv not in s.written_by.values() and not s.active for s in stored)
    assert store.drain_status(result.bad_ppv).complete
    assert tiny_stack.prompts.labels() == {"rag-answer": {"production": 4}}  # the replay restored the labels


def test_a_store_that_does_not_move_the_stragglers_is_caught(
    tiny_stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison can fail: a drain that only stops new pins leaves sessions on the bad PPV."""
    lazy = SessionStore.drain

    def drain_without_force(self: SessionStore, from_ppv: str, **kw: Any) -> Any:
        return lazy(self, from_ppv, **{**kw, "force": False, "revert_to": None})

    monkeypatch.setattr(SessionStore, "drain", drain_without_force)
    result = _rollout(tiny_stack, _store(tiny_stack, tmp_path / "sessions.sqlite"))
    assert result.store is not None and not result.store.agrees and not result.expectations_met()[KEY]
    assert not result.store.drain_complete and result.store.bad_memory_left > 0
    assert any("the store served rag-answer@5, the simulation rag-answer@4" in m for m in result.store.mismatches)


def test_the_drill_journal_shows_what_the_store_did(tiny_stack: Stack, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import replaylab.cli.sessions_cmd  # noqa: F401
    from replaylab.cli import app

    sc = load_scenario("bad-prompt-rollout")
    sc = sc.model_copy(update={"method": {**sc.method, **SMALL}})
    journal = run(sc, stack=tiny_stack, base=TINY, options=DrillOptions(traces_dir=tmp_path / "drill"))
    assert journal.status == "completed", journal.error  # (the bundled golden set on the tiny corpus: not every pass rate holds)
    check = journal.find(CheckStep)
    assert check is not None and check.name == "session store: pinned, drained, reverted" and check.detail.passed
    values = check.detail.values
    assert values["store"] == str(tmp_path / "drill" / "sessions.sqlite") and values["sessions"] == 16
    assert values["drained"] == values["memory reverted"] and int(values["drained"] or 0) > 0
    assert values["bad memory left"] == 0 and values["drain complete"] is True
    assert "replaylab sessions list --store" in check.detail.note
    assert any(e.name == KEY.replace("_", " ") and e.met for e in journal.expectations)
    listing = CliRunner().invoke(app, ["sessions", "list", "--store", str(values["store"])])
    assert listing.exit_code == 0 and "s-0015" in listing.output
