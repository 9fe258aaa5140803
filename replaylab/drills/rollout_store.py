"""The rollout drill's sessions through the real SQLite session store (`replaylab.sessions.store`).

    replay = replay_in_store(store, stack, plan, branch.sessions, spec=spec, good=good, bad=bad)

After the simulation, the recommended rollback (`pin_and_drain_with_memory_revert`) is replayed
tick by tick against a `SessionStore`, the service a user runs: the store pins every session
itself by resolving `production` (routed by session id: `canary_assignment` over the store's
canary setting) through the stack's prompt registry as the labels move, records each turn
the simulation answered, takes a `pre-release` memory snapshot of every active session
before the promotion, drains the bad PPV at the rollback with a forced move and a memory
revert to the promotion instant, reverts the memory of sessions that ended under it, and ends
sessions as they finish. Tick `n` is the instant `t0 + n * tick` (starts 1 s, turns 2 s, ends
3 s into the tick), so the store's point-in-time reads line up with the simulation's ticks.
Then every stored session is compared with the simulation's: pin, each turn's PPV, final memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from replaylab.drills.steps import CheckDetail, Scalar
from replaylab.sessions import PlannedSession, Session, SessionStore
from replaylab.stack.pipeline import Stack

if TYPE_CHECKING:
    from replaylab.drills.rollout import RolloutSpec

__all__ = ["StoreReplay", "drill_store", "replay_in_store", "store_check"]

_START, _TURN, _END = timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=3)


class StoreReplay(BaseModel):
    """What the real session store did with the drill's sessions, and where it disagreed with the simulation."""

    path: str
    """The SQLite file (`replaylab sessions list --store PATH` inspects it)."""
    strategy: str = "pin_and_drain_with_memory_revert"
    """The rollback replayed through the store."""
    sessions: int = 0
    """Sessions the store opened."""
    pinned: dict[str, int] = {}
    """Sessions by the PPV the store pinned them to at their start."""
    routed_by: dict[str, int] = {}
    """Sessions by the label the store routed them by (`production`, or the canary label)."""
    turns: int = 0
    """Turns recorded."""
    snapshots: int = 0
    """`pre-release` memory snapshots taken before the promotion."""
    drained: int = 0
    """Active sessions the forced drain moved off the bad PPV at the rollback."""
    drain_complete: bool = False
    """No active session was left on the bad PPV after the drain."""
    reverted: int = 0
    """Sessions whose memory the store reverted to before the promotion (drained or ended)."""
    new_on_bad_after_drain: int = 0
    """Sessions started after the drain and pinned to the bad PPV (must be 0)."""
    bad_memory_left: int = 0
    """Stored sessions still holding memory the bad PPV wrote at the end."""
    mismatches: list[str] = []
    """Where the store disagreed with the simulation (first 10)."""

    @property
    def agrees(self) -> bool:
        """The store pinned, drained and reverted exactly as the simulation did, and no bad memory is left."""
        return not self.mismatches and self.drain_complete and self.bad_memory_left == 0 and not self.new_on_bad_after_drain


def replay_in_store(
    store: SessionStore,
    stack: Stack,
    plan: Sequence[PlannedSession],
    sessions: Mapping[str, Session],
    *,
    spec: RolloutSpec,
    good: str,
    bad: str,
    t0: datetime | None = None,
    tick: timedelta = timedelta(minutes=1),
) -> StoreReplay:
    """Replay the simulated `sessions` (the pin-and-drain branch) through `store`, moving the
    stack's `production` label at the promotion and the rollback; the labels are restored after."""
    from replaylab.drills.simulation import restore_labels

    start = t0 or datetime.now(timezone.utc).replace(microsecond=0)

    def at(n: int) -> datetime:
        return start + n * tick

    out = StoreReplay(path=str(store.path))
    miss: list[str] = []
    original = stack.prompts.labels()
    end = max(s.ended_at or 0 for s in sessions.values()) + 1 if sessions else 0
    try:
        stack.prompts.move_label(template=spec.template, label="production", version=spec.good_version)
        for t in range(end):
            if t == spec.promote_at:
                for s in store.list(active_only=True):
                    store.snapshot(s.session_id, "pre-release", at=at(t))
                    out.snapshots += 1
                stack.prompts.move_label(template=spec.template, label="production", version=spec.bad_version)
            if t == spec.rollback_at:
                _rollback(store, stack, spec, out, good=good, bad=bad, now=at(t), before=at(spec.promote_at))
            _tick(store, plan, sessions, t, at(t), spec=spec, out=out, miss=miss, bad=bad)
    finally:
        restore_labels(stack, original)
    _compare(store, sessions, out=out, miss=miss, bad=bad, before=at(spec.promote_at))
    out.mismatches = miss[:10]
    return out


def _rollback(
    store: SessionStore,
    stack: Stack,
    spec: RolloutSpec,
    out: StoreReplay,
    *,
    good: str,
    bad: str,
    now: datetime,
    before: datetime,
) -> None:
    """Move `production` back, drain the bad PPV (forced, memory reverted), revert the ended sessions it wrote."""
    stack.prompts.move_label(template=spec.template, label="production", version=spec.good_version)
    on_bad = [s.session_id for s in store.list(active_only=True) if s.ppv == bad]
    status = store.drain(bad, to_ppv=good, force=True, revert_to=before, at=now)
    out.drained, out.drain_complete = len(on_bad), status.complete
    ended = [s for s in store.list() if not s.active and bad in s.written_by.values()]
    for s in ended:
        store.revert(s.session_id, to=max(before, s.started_at), at=now)
    out.reverted = len(on_bad) + len(ended)


def _tick(
    store: SessionStore,
    plan: Sequence[PlannedSession],
    sessions: Mapping[str, Session],
    t: int,
    now: datetime,
    *,
    spec: RolloutSpec,
    out: StoreReplay,
    miss: list[str],
    bad: str,
) -> None:
    """Open the sessions due at tick `t` (the store pins them), record their turns, end the finished ones."""
    for p in plan:
        sim = sessions.get(p.session_id)
        if p.start != t or sim is None:
            continue
        stored = store.start(p.session_id, template=spec.template, user_id=p.user_id, at=now + _START)
        out.sessions += 1
        out.pinned[stored.ppv] = out.pinned.get(stored.ppv, 0) + 1
        out.routed_by[stored.follows] = out.routed_by.get(stored.follows, 0) + 1
        if t >= spec.rollback_at and stored.ppv == bad:
            out.new_on_bad_after_drain += 1
        if stored.ppv != sim.started_under.ppv:
            miss.append(f"{p.session_id}: the store pinned {stored.ppv}, the simulation {sim.started_under.ppv}")
    for sid, sim in sessions.items():
        for turn in (x for x in sim.turns if x.at == t):
            rec = store.record_turn(sid, turn.question, turn.output, trace_id=turn.trace_id, at=now + _TURN)
            out.turns += 1
            if rec.ppv != turn.ppv:
                miss.append(f"{sid} turn {turn.index}: the store served {rec.ppv}, the simulation {turn.ppv}")
        if sim.ended_at == t:
            store.end(sid, at=now + _END)


def _compare(
    store: SessionStore, sessions: Mapping[str, Session], *, out: StoreReplay, miss: list[str], bad: str, before: datetime
) -> None:
    """Final memory per session against the simulation's; the snapshot against the memory log at that instant."""
    for stored in store.list():
        sim = sessions[stored.session_id]
        if (stored.memory, stored.written_by) != (sim.memory, sim.written_by):
            miss.append(f"{stored.session_id}: the stored memory differs from the simulation's")
        if bad in stored.written_by.values():
            out.bad_memory_left += 1
        if "pre-release" in stored.snapshots:
            snap = store.get_snapshot(stored.session_id, "pre-release")
            if snap.memory != store.memory_at(stored.session_id, before).memory:
                miss.append(f"{stored.session_id}: the pre-release snapshot differs from the memory log at {before.isoformat()}")


def drill_store(stack: Stack, name: str, folder: Path | None) -> SessionStore:
    """A fresh session store for one drill run: in `folder` (the drill's traces folder) when given,
    else under `<workspace>/runs/drills/`; labels resolve through the drill's prompt registry."""
    if folder is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        folder = stack.ws.runs / "drills" / f"{name}-{stamp}-{uuid.uuid4().hex[:6]}"
    return SessionStore(folder / "sessions.sqlite", resolve=lambda ref: stack.prompts.resolve(ref).id)


def store_check(replay: StoreReplay | None) -> CheckDetail:
    """The journal's account of what the store did (pinned, drained, reverted) and whether it matched."""
    if replay is None:
        return CheckDetail(note="not replayed through the session store (a hard-cutover promotion: the store only pins)")
    values: dict[str, Scalar] = {
        "store": replay.path,
        "sessions": replay.sessions,
        **{f"pinned {ppv}": n for ppv, n in sorted(replay.pinned.items())},
        **{f"routed by {label}": n for label, n in sorted(replay.routed_by.items())},
        "turns": replay.turns,
        "pre-release snapshots": replay.snapshots,
        "drained": replay.drained,
        "drain complete": replay.drain_complete,
        "memory reverted": replay.reverted,
        "new on bad after drain": replay.new_on_bad_after_drain,
        "bad memory left": replay.bad_memory_left,
    }
    verdict = "as the simulation did" if replay.agrees else "NOT as the simulation did: " + "; ".join(replay.mismatches)
    note = (
        f"the SQLite session store pinned {replay.sessions} sessions, drained {replay.drained} off the bad PPV and "
        f"reverted {replay.reverted} sessions' memory, {verdict}; inspect: replaylab sessions list --store {replay.path}"
    )
    return CheckDetail(passed=replay.agrees, values=values, note=note)
