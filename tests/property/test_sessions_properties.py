"""Session routing under any interleaving of starts, turns and label moves; canary by session id."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replaylab.config import RunConfig
from replaylab.sessions import (
    ArtifactId,
    Canary,
    LabelStore,
    Reply,
    SessionManager,
    Verdict,
    canary_assignment,
)
from replaylab.sessions.artifact import DEFAULT_ALV
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.prompts import PromptRegistry
from replaylab.workspace import Workspace

TEMPLATE = "rag-answer"
VERSIONS = (1, 2, 3, 4, 5)


class EchoResponder:
    """Answers with the PPV it was asked to run under; no model, no retrieval."""

    def __call__(self, *, question: str, memory: list[str], ppv: str, session_id: str, golden: GoldenItem | None) -> Reply:
        config = RunConfig()
        return Reply(
            output=f"{ppv}:{question}",
            verdict=Verdict(passed=True),
            artifact=ArtifactId(alv=DEFAULT_ALV, ppv=ppv, mrv=config.model, tav="none"),
        )


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromptRegistry]:
    # hundreds of label moves: their durability (fsync) is not under test here, their effect is
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("replaylab.files.os.fsync", lambda fd: None)
        yield PromptRegistry(Workspace(Path(tmp_path_factory.mktemp("sessions-ws"))))


def _reset(registry: PromptRegistry) -> None:
    for label, version in (("production", 4), ("canary", 5)):
        if registry.labels()[TEMPLATE].get(label) != version:
            registry.move_label(template=TEMPLATE, label=label, version=version)


# an operation: ("start", _), ("turn", session index), ("move", version), ("canary", version)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.just(0)),
        st.tuples(st.just("turn"), st.integers(0, 30)),
        st.tuples(st.just("move"), st.sampled_from(VERSIONS)),
        st.tuples(st.just("canary"), st.sampled_from(VERSIONS)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops=ops, policy=st.sampled_from(["pin", "hard_cutover"]), percent=st.sampled_from([0.0, 30.0, 100.0]))
def test_every_turn_runs_under_the_ppv_its_policy_names(
    registry: PromptRegistry, ops: list[tuple[str, int]], policy: str, percent: float
) -> None:
    _reset(registry)
    canary = Canary(percent=percent, salt="prop")
    manager = SessionManager(
        None,
        "pin" if policy == "pin" else "hard_cutover",
        canary=canary,
        labels=LabelStore(registry, poll_interval_s=0.0),
        responder=EchoResponder(),
    )
    label_now = {"production": 4, "canary": 5}
    started_on: dict[str, int] = {}
    follows: dict[str, str] = {}
    order: list[str] = []
    for at, (op, arg) in enumerate(ops):
        if op == "start":
            sid = f"s-{len(order):03d}"
            session = manager.start(sid, at=at)
            follows[sid] = "canary" if canary_assignment(sid, percent, "prop") else "production"
            started_on[sid] = label_now[follows[sid]]
            order.append(sid)
            # a session started after any move runs under the label as it is now
            assert session.started_under.ppv == f"{TEMPLATE}@{started_on[sid]}"
            assert session.follows == follows[sid]
        elif op == "turn" and order:
            sid = order[arg % len(order)]
            turn = manager.turn(sid, f"question {at}", at=at)
            expected = started_on[sid] if policy == "pin" else label_now[follows[sid]]
            assert turn.ppv == f"{TEMPLATE}@{expected}"
            assert turn.artifact is not None and turn.artifact.ppv == turn.ppv
        elif op in ("move", "canary"):
            label = "production" if op == "move" else "canary"
            registry.move_label(template=TEMPLATE, label=label, version=arg)
            label_now[label] = arg
    for sid in order:
        session = manager.get(sid)
        if policy == "pin":
            assert {t.ppv for t in session.turns} <= {f"{TEMPLATE}@{started_on[sid]}"}
            assert session.moves == []
        # whatever moved, ALV, MRV and TAV never did
        assert session.artifact.same_except_ppv(session.started_under)


@given(session_id=st.text(min_size=1, max_size=40), salt=st.text(max_size=10), percent=st.floats(0.0, 100.0, allow_nan=False))
def test_canary_assignment_never_changes_for_a_session_id(session_id: str, salt: str, percent: float) -> None:
    first = canary_assignment(session_id, percent, salt)
    assert all(canary_assignment(session_id, percent, salt) == first for _ in range(3))


@given(session_id=st.text(min_size=1, max_size=40), low=st.floats(0.0, 100.0), high=st.floats(0.0, 100.0))
def test_raising_the_percentage_only_adds_sessions(session_id: str, low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    if canary_assignment(session_id, low, "ramp"):
        assert canary_assignment(session_id, high, "ramp")


@settings(max_examples=12, deadline=None)
@given(percent=st.sampled_from([0.5, 1.0, 5.0, 10.0, 25.0, 50.0]), salt=st.text(max_size=8))
def test_canary_share_over_many_ids_is_near_the_percentage(percent: float, salt: str) -> None:
    n = 10_000
    hits = sum(canary_assignment(f"session-{i}", percent, salt) for i in range(n))
    p = percent / 100
    assert abs(hits - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 1
