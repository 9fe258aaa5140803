"""Sessions: artifact ids, label polling, memory snapshots, routing, recall, drain, judge, gate."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.models.base import GenerationRequest
from replaylab.models.reader import parse_prompt
from replaylab.sessions import (
    ArtifactId,
    LabelStore,
    Reply,
    Session,
    SessionManager,
    StackResponder,
    Turn,
    Verdict,
    canary_assignment,
    canary_bucket,
    decide,
    default_judge,
    drain_report,
    local_judge,
    measure_propagation,
    render_with_memory,
)
from replaylab.sessions.artifact import DEFAULT_ALV
from replaylab.stack import assembler
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import PromptRegistry, PromptVersion
from replaylab.trace import Golden, Trace
from replaylab.workspace import Workspace

TEMPLATE = "rag-answer"


class EchoResponder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str], str]] = []

    def __call__(self, *, question: str, memory: list[str], ppv: str, session_id: str, golden: GoldenItem | None) -> Reply:
        self.seen.append((question, memory, ppv))
        return Reply(
            output=f"answer under {ppv}",
            verdict=Verdict(passed=ppv != "rag-answer@5"),
            artifact=ArtifactId(alv=DEFAULT_ALV, ppv=ppv, mrv=RunConfig().model, tav="none"),
        )


@pytest.fixture()
def registry(tmp_path: Path) -> PromptRegistry:
    return PromptRegistry(Workspace(tmp_path / "ws"))


def _manager(registry: PromptRegistry, policy: str = "pin", **kw: object) -> SessionManager:
    return SessionManager(
        None,
        "pin" if policy == "pin" else "hard_cutover",
        labels=LabelStore(registry, poll_interval_s=0.0),
        responder=EchoResponder(),
        **kw,  # type: ignore[arg-type]
    )


# ---- artifact id and canary ---------------------------------------------------------------


def test_a_rollback_changes_the_ppv_and_nothing_else() -> None:
    a = ArtifactId.for_config(RunConfig(model="sandbox-reader-1.0"), ppv="rag-answer@5")
    b = a.with_ppv("rag-answer@4")
    assert (b.alv, b.mrv, b.tav, b.ppv) == (a.alv, a.mrv, a.tav, "rag-answer@4")
    assert a.same_except_ppv(b)
    assert not a.same_except_ppv(b.model_copy(update={"mrv": "sandbox-reader-1.1"}))
    with pytest.raises(ValidationError):
        a.ppv = "rag-answer@1"  # type: ignore[misc]


def test_canary_assignment_is_a_fixed_hash_of_the_session_id() -> None:
    # pinned values: a release that changed the hash would move live sessions between sides
    assert canary_bucket("s-0001", "canary-1") == canary_bucket("s-0001", "canary-1")
    assert canary_bucket("s-0001", "") == 9856
    assert not canary_assignment("s-0001", 0.0)
    assert canary_assignment("s-0001", 100.0)
    with pytest.raises(ConfigError, match="between 0 and 100"):
        canary_assignment("s-0001", 101.0)


# ---- label store ------------------------------------------------------------------------


def test_a_label_move_reaches_a_reader_at_its_next_poll(registry: PromptRegistry) -> None:
    now = [0.0]
    store = LabelStore(registry, poll_interval_s=5.0, clock=lambda: now[0])
    assert store.resolve(TEMPLATE, "production") == "rag-answer@4"
    registry.move_label(template=TEMPLATE, label="production", version=3)
    now[0] = 4.9
    assert store.get(TEMPLATE, "production") == 4  # within the interval: the cached view
    now[0] = 5.0
    assert store.get(TEMPLATE, "production") == 3
    assert store.version == 2


def test_two_moves_inside_one_mtime_tick_are_both_seen(registry: PromptRegistry) -> None:
    store = LabelStore(registry, poll_interval_s=0.0)
    for version in (3, 5, 3, 4):
        registry.move_label(template=TEMPLATE, label="production", version=version)
        assert store.get(TEMPLATE, "production") == version


def test_a_missing_label_names_the_labels_that_exist(registry: PromptRegistry) -> None:
    store = LabelStore(registry, poll_interval_s=0.0)
    with pytest.raises(ConfigError, match="rag-answer:nightly does not exist"):
        store.resolve(TEMPLATE, "nightly")


def test_propagation_is_measured_on_a_real_file() -> None:
    report = measure_propagation(poll_interval_s=0.02, trials=3)
    assert report.missed == 0 and len(report.samples_ms) == 3
    assert all(0 <= s < 1000 for s in report.samples_ms)


# ---- memory and snapshots -------------------------------------------------------------------


def _session() -> Session:
    art = ArtifactId.for_config(RunConfig(), ppv="rag-answer@4")
    return Session(session_id="s-1", artifact=art, started_under=art)


def test_revert_restores_memory_and_who_wrote_it() -> None:
    s = _session()
    s.checkpoint("start", at=0)
    s.write_memory("turn-0", "fact: $16", ppv="rag-answer@4")
    pre = s.checkpoint("pre-incident", at=3)
    s.write_memory("turn-1", "fact: check the help centre", ppv="rag-answer@5")
    assert s.read_memory(1) == {"turn-1": "fact: check the help centre"}
    s.revert_to("pre-incident")
    assert s.memory == {"turn-0": "fact: $16"} and s.written_by == {"turn-0": "rag-answer@4"}
    assert s.snapshot_at(2) is not None and s.snapshot_at(2).label == "start"  # type: ignore[union-attr]
    assert s.snapshot_at(9) == pre
    with pytest.raises(ConfigError, match="no memory snapshot 'nope'"):
        s.revert_to("nope")


def test_a_turn_is_inconsistent_when_it_reads_memory_another_ppv_wrote() -> None:
    turn = Turn(index=1, question="q", ppv="rag-answer@4", output="o", passed=True, at=1, reads={"turn-0": "rag-answer@5"})
    assert turn.inconsistent and turn.read_from("rag-answer@5")
    assert not turn.model_copy(update={"reads": {"turn-0": "rag-answer@4"}}).inconsistent


def test_memory_rides_after_the_question_and_the_reader_still_finds_the_question() -> None:
    text = render_with_memory("How long is the grace period?", ["fact: 10 days", "fact: $16"])
    assert text == "How long is the grace period?\nEarlier you said: fact: 10 days | fact: $16"
    version = PromptVersion(
        template=TEMPLATE, version=4, system="s", user="Context:\n{context}\n\nCustomer question: {question}\nAnswer:"
    )
    parsed = parse_prompt(GenerationRequest(model="m", messages=assembler.render(version, question=text, chunks=[])))
    assert parsed.question == "How long is the grace period?"
    assert "Earlier you said" in parsed.instructions


# ---- routing ------------------------------------------------------------------------------


def test_pin_keeps_a_session_on_its_ppv_and_new_sessions_take_the_label(registry: PromptRegistry) -> None:
    m = _manager(registry)
    m.start("old", at=0)
    m.turn("old", "q0", at=0)
    registry.move_label(template=TEMPLATE, label="production", version=5)
    m.start("new", at=1)
    assert m.turn("old", "q1", at=1).ppv == "rag-answer@4"
    assert m.turn("new", "q1", at=1).ppv == "rag-answer@5"


def test_hard_cutover_switches_mid_conversation_and_records_the_move(registry: PromptRegistry) -> None:
    m = _manager(registry, "hard_cutover")
    m.start("s", at=0)
    m.turn("s", "q0", at=0)
    registry.move_label(template=TEMPLATE, label="production", version=5)
    turn = m.turn("s", "q1", at=1)
    assert turn.ppv == "rag-answer@5" and turn.inconsistent
    assert [(mv.from_ppv, mv.to_ppv) for mv in m.get("s").moves] == [("rag-answer@4", "rag-answer@5")]


def test_turns_read_the_latest_memory_window(registry: PromptRegistry) -> None:
    m = _manager(registry, memory_window=2)
    m.start("s", at=0)
    for t in range(3):
        m.turn("s", f"q{t}", at=t)
    responder = m.responder
    assert isinstance(responder, EchoResponder)
    assert responder.seen[-1][1] == ["fact: answer under rag-answer@4"] * 2
    assert m.get("s").turns[-1].reads == {"turn-0": "rag-answer@4", "turn-1": "rag-answer@4"}


def test_recall_reverts_memory_and_moves_only_sessions_on_the_bad_ppv(registry: PromptRegistry) -> None:
    m = _manager(registry, "hard_cutover")
    m.start("good", at=0)
    m.start("bad", at=0)
    m.turn("bad", "q0", at=0)
    registry.move_label(template=TEMPLATE, label="production", version=5)
    m.turn("bad", "q1", at=1)  # cut over to the bad version mid-conversation
    m.policy = "pin"
    moved = m.recall("rag-answer@5", to_ppv="rag-answer@4", at=2, revert_to_at=1)
    assert moved == ["bad"]
    bad = m.get("bad")
    assert bad.artifact.ppv == "rag-answer@4" and bad.memory == {"turn-0": "fact: answer under rag-answer@4"}
    assert bad.moves[-1].reverted_to == "before-turn-1"
    assert m.get("good").moves == []
    assert not m.turn("bad", "q2", at=2).inconsistent


def test_revert_memory_reaches_sessions_that_already_ended(registry: PromptRegistry) -> None:
    m = _manager(registry)
    registry.move_label(template=TEMPLATE, label="production", version=5)
    m.start("s", at=0)
    m.turn("s", "q0", at=0)
    m.end("s", at=0)
    assert m.recall("rag-answer@5", to_ppv="rag-answer@4", at=1) == []  # not active
    assert m.revert_memory("rag-answer@5", to_at=-1) == ["s"]
    assert m.get("s").memory == {}
    with pytest.raises(ConfigError, match="ended"):
        m.turn("s", "q1", at=1)


def test_bad_usage_is_one_config_error(registry: PromptRegistry) -> None:
    with pytest.raises(ConfigError, match="Unknown session routing policy"):
        SessionManager(None, "random", labels=LabelStore(registry), responder=EchoResponder())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="needs both"):
        SessionManager(None, "pin")
    m = _manager(registry)
    m.start("s")
    with pytest.raises(ConfigError, match="already exists"):
        m.start("s")
    with pytest.raises(ConfigError, match="No session 'x'"):
        m.turn("x", "q", at=0)


def test_fork_is_an_independent_branch(registry: PromptRegistry) -> None:
    m = _manager(registry)
    m.start("s", at=0)
    twin = m.fork(policy="hard_cutover")
    twin.turn("s", "q", at=0)
    assert len(twin.get("s").turns) == 1 and m.get("s").turns == []
    assert twin.policy == "hard_cutover"


# ---- drain --------------------------------------------------------------------------------


def test_drain_report_counts_sessions_per_ppv_after_the_move(registry: PromptRegistry) -> None:
    m = _manager(registry)
    registry.move_label(template=TEMPLATE, label="production", version=5)
    m.start("a", at=0)
    registry.move_label(template=TEMPLATE, label="production", version=4)
    m.start("b", at=1)
    for t in range(1, 4):
        m.turn("a", "q", at=t)
        m.turn("b", "q", at=t)
    report = drain_report(m.sessions.values(), moved_at=1, from_ppv="rag-answer@5", to_ppv="rag-answer@4")
    assert report.points[0].by_ppv == {"rag-answer@5": 1, "rag-answer@4": 1}
    assert (report.turns_on_from, report.sessions_on_from, report.drained_at, report.ticks_to_drain) == (3, 1, 4, 3)
    assert "t=1" in report.timeline()
    none = drain_report([], moved_at=7, from_ppv="x", to_ppv="y")
    assert none.drained_at == 7 and none.points == []


# ---- judge and gate ---------------------------------------------------------------------


def _trace(output: str, golden: Golden) -> Trace:
    data = {
        "trace_id": "tr-1",
        "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat(),
        "question": "q",
        "config": RunConfig().model_dump(mode="json"),
        "golden": golden.model_dump(mode="json"),
        "versions": {
            "ppv": "rag-answer@4",
            "index_snapshot": "i",
            "embedder": "e",
            "corpus_snapshot": "c",
            "mrv": {"requested": "m", "returned": "m"},
        },
        "generation": {
            "model_requested": "m",
            "model_returned": "m",
            "sampling": {},
            "output": output,
            "prompt_tokens": 1,
            "completion_tokens": 1,
            "latency_ms": 1.0,
        },
    }
    return Trace.model_validate(json.loads(json.dumps(data)))


def test_local_judge_checks_correctness_and_sycophancy() -> None:
    gold = Golden(answer="4 business days", false_premise="2 business days")
    assert local_judge(_trace("Allow 4 business days for a transfer.", gold)).passed
    syco = local_judge(_trace("Yes, that's right: transfers take 2 business days.", gold))
    assert syco.checks == {"correct": False, "not_sycophantic": False} and not syco.passed
    withheld = local_judge(_trace("Please check the help centre for the exact details.", Golden(answer="$16")))
    assert withheld.checks == {"correct": False}


def _turn(passed: bool, **checks: bool) -> Turn:
    return Turn(index=0, question="q", ppv="p", output="o", passed=passed, at=0, checks=checks)


def test_gate_waits_then_kills_on_a_regression_and_promotes_without_one() -> None:
    prod = [_turn(True, correct=True)] * 20
    assert decide([_turn(False, correct=False)], prod, at=0, min_canary_turns=3, max_drop=0.1, window_over=False) is None
    kill = decide([_turn(False, correct=False)] * 3, prod, at=2, min_canary_turns=3, max_drop=0.1, window_over=False)
    assert kill is not None and kill.verdict == "kill" and "correct" in kill.reason
    ok = decide([_turn(True, correct=True)] * 3, prod, at=5, min_canary_turns=3, max_drop=0.1, window_over=True)
    assert ok is not None and ok.verdict == "promote"
    syco = decide(
        [_turn(False, correct=True, not_sycophantic=False)] * 3, prod, at=5, min_canary_turns=3, max_drop=0.1, window_over=False
    )
    assert syco is not None and syco.verdict == "kill" and "not_sycophantic" in syco.reason
    short = decide([], prod, at=9, min_canary_turns=3, max_drop=0.1, window_over=True)
    assert short is not None and short.verdict == "undecided"


# ---- the stack responder ------------------------------------------------------------------


def test_stack_responder_retrieves_once_per_question_and_renders_memory(
    tiny_stack: Stack, tiny_config: RunConfig, tiny_golden: list[GoldenItem]
) -> None:
    responder = StackResponder(tiny_stack, tiny_config, judge=local_judge)
    item = next(g for g in tiny_golden if g.answer == "25 minutes")
    first = responder(question=item.question, memory=[], ppv="rag-answer@4", session_id="s", golden=item)
    again = responder(question=item.question, memory=["fact: x"], ppv="rag-answer@5", session_id="s", golden=item)
    assert first.verdict.passed and "25 minutes" in first.output
    assert not again.verdict.passed and again.artifact.ppv == "rag-answer@5"
    memo = responder(question=item.question, memory=["fact: x"], ppv="rag-answer@5", session_id="t", golden=item)
    assert memo == again
    assert (responder.runs, responder.answered, responder.retrievals) == (3, 2, 1)


def test_default_judge_adds_the_local_behavioural_checks() -> None:
    gold = Golden(answer="4 business days", false_premise="2 business days")
    verdict = default_judge(_trace("Allow 4 business days for a transfer.", gold))
    assert {"correct", "not_sycophantic"} <= set(verdict.checks)
    assert verdict.checks["correct"] and verdict.checks["not_sycophantic"]
