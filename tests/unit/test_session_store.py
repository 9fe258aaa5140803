"""The SQLite session service: PPV pinning, graceful drain, point-in-time memory, canary by id,
its HTTP API and its CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaylab.errors import InputError
from replaylab.sessions import Reply, Verdict
from replaylab.sessions.artifact import DEFAULT_ALV, ArtifactId, canary_assignment
from replaylab.sessions.store import SessionStore
from replaylab.stack.pipeline import Stack

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tiny_stack: Stack, tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions.sqlite", resolve=lambda ref: tiny_stack.prompts.resolve(ref).id)


def test_a_session_keeps_its_pin_when_the_label_moves(store: SessionStore, tiny_stack: Stack) -> None:
    old = store.start("s-old", template="rag-answer", at=T0)
    assert old.ppv == "rag-answer@4" and old.follows == "production"
    tiny_stack.prompts.move_label(template="rag-answer", label="production", version=5)
    new = store.start("s-new", template="rag-answer", at=T0 + timedelta(minutes=1))
    assert new.ppv == "rag-answer@5"
    store.record_turn("s-old", "q?", "a", at=T0 + timedelta(minutes=2))
    assert store.get("s-old").ppv == "rag-answer@4" and store.get("s-old").turns[0].ppv == "rag-answer@4"
    with pytest.raises(InputError, match="already exists"):
        store.start("s-old", template="rag-answer")


def test_graceful_drain_lets_old_sessions_finish_and_new_ones_avoid_the_ppv(store: SessionStore, tiny_stack: Stack) -> None:
    tiny_stack.prompts.move_label(template="rag-answer", label="production", version=5)
    store.start("a", template="rag-answer", at=T0)
    store.start("b", template="rag-answer", at=T0)
    status = store.drain("rag-answer@5", to_ppv="rag-answer@4", at=T0 + timedelta(minutes=5))
    assert status.active_on_from == ["a", "b"] and not status.complete
    late = store.start("c", template="rag-answer", at=T0 + timedelta(minutes=6))  # the label still says @5
    assert late.ppv == "rag-answer@4"
    store.end("a")
    assert store.drain_status("rag-answer@5").active_on_from == ["b"]
    forced = store.drain("rag-answer@5", to_ppv="rag-answer@4", force=True)
    assert forced.complete and store.get("b").ppv == "rag-answer@4" and store.get("b").started_under == "rag-answer@5"
    assert store.get("b").moves[0]["reason"] == "forced drain"


def test_memory_is_recoverable_at_any_past_instant_and_by_snapshot(store: SessionStore) -> None:
    store.start("s", template="rag-answer", at=T0)
    for i in range(3):
        store.record_turn("s", f"q{i}", f"a{i}", at=T0 + timedelta(minutes=i + 1))
        if i == 0:
            store.snapshot("s", "after-first", at=T0 + timedelta(minutes=1, seconds=30))
    assert list(store.memory_at("s", T0 + timedelta(minutes=2, seconds=10)).memory) == ["turn-0", "turn-1"]
    assert store.memory_at("s", T0).memory == {}
    back = store.revert("s", to="after-first", at=T0 + timedelta(minutes=10))
    assert back.memory == {"turn-0": "fact: a0"} and store.get("s").memory == {"turn-0": "fact: a0"}
    # the revert is logged, not destructive: the memory before it can still be read
    assert len(store.memory_at("s", T0 + timedelta(minutes=5)).memory) == 3
    with pytest.raises(InputError, match="no snapshot 'nope'"):
        store.revert("s", to="nope")


def test_forced_drain_reverts_memory_to_before_the_incident(store: SessionStore, tiny_stack: Stack) -> None:
    tiny_stack.prompts.move_label(template="rag-answer", label="production", version=5)
    store.start("s", template="rag-answer", at=T0)
    store.record_turn("s", "q0", "good", at=T0 + timedelta(minutes=1))
    store.record_turn("s", "q1", "bad", at=T0 + timedelta(minutes=3))
    store.drain("rag-answer@5", to_ppv="rag-answer@4", force=True, revert_to=T0 + timedelta(minutes=2))
    s = store.get("s")
    assert s.ppv == "rag-answer@4" and s.memory == {"turn-0": "fact: good"}


def test_canary_routing_is_by_session_id_hash(store: SessionStore, tiny_stack: Stack) -> None:
    tiny_stack.prompts.move_label(template="rag-answer", label="canary", version=5)
    store.set_canary(30.0, salt="r1")
    ids = [f"user-{i}" for i in range(40)]
    sessions = [store.start(i, template="rag-answer") for i in ids]
    on_canary = {s.session_id for s in sessions if s.follows == "canary"}
    assert on_canary == {i for i in ids if canary_assignment(i, 30.0, "r1")}
    assert 0 < len(on_canary) < len(ids)
    assert all(s.ppv == ("rag-answer@5" if s.session_id in on_canary else "rag-answer@4") for s in sessions)
    with pytest.raises(InputError, match="canary percent"):
        store.set_canary(120.0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=st.lists(st.integers(1, 600), min_size=1, max_size=8), probe=st.integers(0, 5000))
def test_memory_at_equals_the_turns_recorded_by_then(store: SessionStore, gaps: list[int], probe: int) -> None:
    sid = f"p-{len(store.list())}"
    store.start(sid, template="rag-answer", at=T0)
    times, t = [], T0
    for i, g in enumerate(gaps):
        t += timedelta(seconds=g)
        times.append(t)
        store.record_turn(sid, f"q{i}", f"a{i}", at=t)
    when = T0 + timedelta(seconds=probe)
    expected = [f"turn-{i}" for i, at in enumerate(times) if at <= when]
    assert list(store.memory_at(sid, when).memory) == expected


def test_the_http_service_serves_turns_under_the_pin(store: SessionStore, tiny_stack: Stack, tiny_config) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from replaylab.sessions.service import create_app

    client = TestClient(create_app(store, tiny_stack, tiny_config))
    r = client.post("/v1/sessions", json={"session_id": "h-1", "user_id": "u"})
    assert r.status_code == 200 and r.json()["ppv"] == "rag-answer@4"
    r = client.post("/v1/sessions/h-1/turns", json={"question": "How long is the refund window?"})
    assert r.status_code == 200 and r.json()["ppv"] == "rag-answer@4" and r.json()["output"]
    trace_id = r.json()["trace_id"]
    client.post("/v1/sessions/h-1/snapshots", json={"label": "one"})
    r2 = client.post("/v1/sessions/h-1/turns", json={"question": "What is the grace period?"})
    assert r2.status_code == 200
    shown = client.get("/v1/sessions/h-1").json()
    assert [t["trace_id"] for t in shown["turns"]][:1] == [trace_id] and list(shown["memory"]) == ["turn-0", "turn-1"]
    assert client.post("/v1/sessions/h-1/revert", json={"to": "one"}).json()["memory"].keys() == {"turn-0"}
    bad = client.post("/v1/sessions/nope/turns", json={"question": "x"})
    assert bad.status_code == 400 and bad.json() == {"error": "No session 'nope'"}
    assert client.post("/v1/sessions", json={"sessionid": "x"}).status_code == 400
    drain = client.post("/v1/drain", json={"from_ppv": "rag-answer@4", "to_ppv": "rag-answer@5"}).json()
    assert drain["active_on_from"] == ["h-1"] and drain["complete"] is False


def test_the_cli_inspects_and_reverts(store: SessionStore, tiny_stack: Stack) -> None:
    from typer.testing import CliRunner

    import replaylab.cli.sessions_cmd  # noqa: F401
    from replaylab.cli import app

    store.start("c-1", template="rag-answer")
    store.record_turn("c-1", "q0", "a0")
    args = ["--store", str(store.path)]
    listing = CliRunner().invoke(app, ["sessions", "list", *args])
    assert listing.exit_code == 0 and "c-1" in listing.output and "rag-answer@4" in listing.output
    assert CliRunner().invoke(app, ["sessions", "snapshot", "c-1", "s1", *args]).exit_code == 0
    store.record_turn("c-1", "q1", "a1")
    reverted = CliRunner().invoke(app, ["sessions", "revert", "c-1", "--to", "s1", *args])
    assert reverted.exit_code == 0 and "1 entries" in reverted.output
    shown = CliRunner().invoke(app, ["sessions", "show", "c-1", *args])
    assert "turn-0" in shown.output and "turn-1" not in shown.output.split("memory")[-1]
    draining = CliRunner().invoke(app, ["sessions", "drain", "rag-answer@4", "--to", "rag-answer@5", *args])
    assert draining.exit_code == 1 and "1 active session(s) still on it" in draining.output
    missing = CliRunner().invoke(app, ["sessions", "show", "nope", *args])
    assert missing.exit_code != 0 and isinstance(missing.exception, InputError)


def _echo(*, question: str, memory: list[str], ppv: str, session_id: str, golden: object) -> Reply:
    """The simulation's stand-in responder: answers name their PPV; @5 is the bad one."""
    from replaylab.config import RunConfig

    return Reply(
        output=f"answer under {ppv}",
        verdict=Verdict(passed=ppv != "rag-answer@5"),
        artifact=ArtifactId(alv=DEFAULT_ALV, ppv=ppv, mrv=RunConfig().model, tav="none"),
    )


def test_a_simulated_rollout_is_inspectable_in_the_real_store(tmp_path: Path) -> None:
    """The rollout simulation's sessions (tick clock) imported into the store: pins, the recall,
    and the memory at every snapshot tick read back as instants."""
    from replaylab.sessions import LabelStore, SessionManager
    from replaylab.sessions.mirror import import_simulated
    from replaylab.stack.prompts import PromptRegistry
    from replaylab.workspace import Workspace

    registry = PromptRegistry(Workspace(tmp_path / "ws"))
    sim = SessionManager(None, "pin", labels=LabelStore(registry, poll_interval_s=0.0), responder=_echo)
    sim.start("r-1", at=0)
    sim.turn("r-1", "q0", at=0)
    sim.turn("r-1", "q1", at=1)
    registry.move_label(template="rag-answer", label="production", version=5)
    sim.start("r-2", at=2)
    sim.turn("r-2", "q0", at=2)
    sim.turn("r-2", "q1", at=3)
    sim.recall("rag-answer@5", to_ppv="rag-answer@4", at=4, revert_to_at=2)
    store = SessionStore(tmp_path / "sim.sqlite", resolve=lambda ref: registry.resolve(ref).id)
    tick = timedelta(minutes=1)
    for s in sim.sessions.values():
        import_simulated(store, s, t0=T0, tick=tick)
    r1, r2 = store.get("r-1"), store.get("r-2")
    assert (r1.ppv, r1.started_under) == ("rag-answer@4", "rag-answer@4")
    assert (r2.ppv, r2.started_under) == ("rag-answer@4", "rag-answer@5") and r2.moves[0]["reverted_to"] is not None
    assert [t.ppv for t in r2.turns] == ["rag-answer@5", "rag-answer@5"]
    assert r2.memory == sim.sessions["r-2"].memory  # reverted: nothing the bad PPV wrote survives
    for snap in sim.sessions["r-2"].snapshots:
        assert store.memory_at("r-2", T0 + snap.at * tick).memory == snap.memory
    with pytest.raises(InputError, match="already exists"):
        import_simulated(store, sim.sessions["r-1"], t0=T0)
