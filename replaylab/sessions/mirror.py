"""Sessions the rollout simulation ran, stored in the real session store.

    for s in manager.sessions.values():
        import_simulated(store, s, t0=datetime(2026, 12, 3, 9, tzinfo=timezone.utc))
    # then: replaylab sessions list --store FILE, show, memory at any instant, revert

The drill's tick clock becomes wall-clock instants (`t0 + tick * n`), so the point-in-time reads
of the store (`memory_at`) answer "what did this session remember at tick n" for every
snapshot the simulation took.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from replaylab.errors import InputError
from replaylab.sessions.state import Session
from replaylab.sessions.store import SessionStore, iso

__all__ = ["import_simulated"]


def import_simulated(store: SessionStore, session: Session, *, t0: datetime, tick: timedelta = timedelta(minutes=1)) -> None:
    """Store a session the rollout simulation ran (tick `n` becomes `t0 + n * tick`): its pin,
    turns, moves, every memory snapshot as a point in the memory log, and its final memory,
    so `replaylab sessions list|show --store FILE` inspects a drill's sessions."""

    def when(at: int) -> str:
        return iso(t0 + at * tick)

    template = session.started_under.ppv.split("@")[0]
    last = max([session.started_at, *(t.at for t in session.turns), *(m.at for m in session.moves)])  # the final state
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM sessions WHERE session_id = ?", (session.session_id,)).fetchone():
            raise InputError(f"Session {session.session_id} already exists")
        db.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session.session_id,
                session.user_id,
                template,
                session.artifact.ppv,
                session.started_under.ppv,
                session.follows,
                when(session.started_at),
                when(session.ended_at) if session.ended_at is not None else None,
            ),
        )
        log: list[tuple[int, str, dict[str, str], dict[str, str]]] = [(session.started_at, "start", {}, {})]
        log += [(snap.at, f"snapshot {snap.label}", snap.memory, snap.written_by) for snap in session.snapshots]
        log.append((last, "final", session.memory, session.written_by))
        for at, note, memory, written in sorted(log, key=lambda e: e[0]):
            db.execute(
                "INSERT INTO memory_log (session_id, at, state, note) VALUES (?, ?, ?, ?)",
                (session.session_id, when(at), json.dumps([memory, written]), note),
            )
        for snap in session.snapshots:
            db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                (session.session_id, snap.label, when(snap.at), json.dumps([snap.memory, snap.written_by])),
            )
        for t in session.turns:
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session.session_id, t.index, t.question, t.output, t.ppv, when(t.at), t.trace_id),
            )
        for m in session.moves:
            db.execute(
                "INSERT INTO moves VALUES (?, ?, ?, ?, ?, ?)",
                (session.session_id, when(m.at), m.from_ppv, m.to_ppv, m.reason, m.reverted_to),
            )
