"""A real session store on SQLite: PPV pinning, graceful drain, point-in-time memory, canary by id.

The rollout simulation (`SessionManager`) models these on a tick clock in memory; this is the
same policy as a service a user runs, with wall-clock time and one SQLite file (WAL mode, safe
for several processes on one host):

    store = SessionStore(ws.root / "sessions.sqlite", resolve=stack.prompts.resolve_id)
    s = store.start("s-0001", template="rag-answer")      # pinned to what rag-answer:production is now
    store.record_turn("s-0001", question, output, ppv=s.ppv)   # memory entry turn-<n>, written_by = PPV
    store.snapshot("s-0001", "pre-release")                # named point-in-time copy of the memory
    store.memory_at("s-0001", when)                        # the memory as it was at any past instant
    store.drain("rag-answer@5", to_ppv="rag-answer@4")     # new sessions avoid @5; old ones finish
    store.revert("s-0001", to="pre-release")               # memory back to the snapshot (logged)

Pinning: a session keeps the PPV it started under for its whole life, so a label move reaches
only new sessions. Draining a PPV stops new sessions from pinning it (they take `to_ppv`) while
sessions already on it finish; `drain(..., force=True)` moves the stragglers now (recall), with
their memory optionally reverted to a point before the incident. Canary: a session whose id
hashes into the first `percent` % (`canary_assignment`) follows the canary label.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from replaylab.errors import ConfigError, InputError
from replaylab.sessions.artifact import canary_assignment

__all__ = ["DrainStatus", "SessionStore", "StoredSession", "StoredSnapshot", "StoredTurn"]

Resolve = Callable[[str], str]
"""`template:label` -> `template@version` (the prompt registry's resolution)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, template TEXT NOT NULL, ppv TEXT NOT NULL,
  started_under TEXT NOT NULL, follows TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT);
CREATE TABLE IF NOT EXISTS turns (
  session_id TEXT NOT NULL, idx INTEGER NOT NULL, question TEXT NOT NULL, output TEXT NOT NULL,
  ppv TEXT NOT NULL, at TEXT NOT NULL, trace_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (session_id, idx));
CREATE TABLE IF NOT EXISTS memory_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, at TEXT NOT NULL,
  state TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
  session_id TEXT NOT NULL, label TEXT NOT NULL, at TEXT NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY (session_id, label));
CREATE TABLE IF NOT EXISTS drains (
  from_ppv TEXT PRIMARY KEY, to_ppv TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS moves (
  session_id TEXT NOT NULL, at TEXT NOT NULL, from_ppv TEXT NOT NULL, to_ppv TEXT NOT NULL,
  reason TEXT NOT NULL, reverted_to TEXT);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def iso(when: datetime | None) -> str:
    """UTC ISO text (naive times are taken as UTC), so stored instants sort as text."""
    when = when or datetime.now(timezone.utc)
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return when.isoformat()


class StoredTurn(BaseModel):
    """One turn as stored."""

    model_config = ConfigDict(frozen=True)

    index: int
    """0-based position in the session."""
    question: str
    """The customer's message (without the memory line)."""
    output: str
    """The answer served."""
    ppv: str
    """The prompt version the turn ran under (the session's pin at the time)."""
    at: datetime
    """When the turn was recorded (UTC)."""
    trace_id: str = ""
    """The trace of the request, when the caller ran it through the stack."""


class StoredSnapshot(BaseModel):
    """A named point-in-time copy of a session's memory and its provenance."""

    model_config = ConfigDict(frozen=True)

    label: str
    """The name it was taken under (`pre-release`)."""
    at: datetime
    """When it was taken (UTC)."""
    memory: dict[str, str]
    """Memory key -> text."""
    written_by: dict[str, str]
    """Memory key -> the PPV of the turn that wrote it."""


class StoredSession(BaseModel):
    """A session: its pin, routing, turns, memory and history."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    """The caller's id (the canary hash is taken over it)."""
    user_id: str
    """Who the session belongs to ('' when not given)."""
    template: str
    """The prompt template the session is answered with."""
    ppv: str
    """The PPV the session is pinned to now."""
    started_under: str
    """The PPV it was pinned to when it started (differs after a recall)."""
    follows: str
    """The label it was routed by: `production`, or the canary label."""
    started_at: datetime
    """When it started (UTC)."""
    ended_at: datetime | None = None
    """When it ended; None while active."""
    turns: list[StoredTurn] = []
    """Every turn, in order."""
    memory: dict[str, str] = {}
    """The memory now."""
    written_by: dict[str, str] = {}
    """Memory key -> the PPV that wrote it."""
    snapshots: list[str] = []
    """Labels of its snapshots, oldest first."""
    moves: list[dict[str, str | None]] = []
    """PPV changes after the start (recalls), oldest first."""

    @property
    def active(self) -> bool:
        return self.ended_at is None


class DrainStatus(BaseModel):
    """Who still runs on a drained PPV."""

    from_ppv: str
    """The PPV being drained."""
    to_ppv: str
    """Where new sessions go instead (and where a forced drain moves the stragglers)."""
    since: datetime
    """When the drain began (UTC)."""
    active_on_from: list[str]
    """Sessions still active and pinned to `from_ppv`: the drain is complete when empty."""

    @property
    def complete(self) -> bool:
        return not self.active_on_from


class SessionStore:
    """Sessions in one SQLite file; every method is one transaction."""

    def __init__(self, path: Path, *, resolve: Resolve, canary_label: str = "canary") -> None:
        self.path = Path(path)
        self.resolve = resolve
        self.canary_label = canary_label
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, timeout=10.0)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise ConfigError(f"Session store {self.path} cannot be opened: {exc}") from None

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One immediate transaction on the store (committed on exit, rolled back on an error)."""
        return self._db()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise ConfigError(f"Session store {self.path} cannot be opened: {exc}") from None
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # ---- canary ------------------------------------------------------------------------
    def set_canary(self, percent: float, *, salt: str = "") -> None:
        """Route `percent` % of new sessions (by a hash of their id) by the canary label."""
        if not 0.0 <= percent <= 100.0:
            raise InputError(f"canary percent must be in [0, 100], got {percent}")
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO settings VALUES ('canary', ?)", (json.dumps([percent, salt]),))

    def canary(self) -> tuple[float, str]:
        with self._db() as db:
            row = db.execute("SELECT value FROM settings WHERE key = 'canary'").fetchone()
        percent, salt = json.loads(row[0]) if row else (0.0, "")
        return float(percent), str(salt)

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self, session_id: str, *, template: str, user_id: str = "", at: datetime | None = None) -> StoredSession:
        """Open a session pinned to the PPV its label points at now (a drained PPV is skipped)."""
        if not session_id or len(session_id) > 200:
            raise InputError("A session id must be 1-200 characters")
        percent, salt = self.canary()
        follows = self.canary_label if canary_assignment(session_id, percent, salt) else "production"
        ppv = self.resolve(f"{template}:{follows}")
        when = iso(at)
        with self._db() as db:
            if db.execute("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)).fetchone():
                raise InputError(f"Session {session_id} already exists")
            drained = db.execute("SELECT to_ppv FROM drains WHERE from_ppv = ?", (ppv,)).fetchone()
            ppv = drained[0] if drained else ppv
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (session_id, user_id, template, ppv, ppv, follows, when),
            )
            db.execute(
                "INSERT INTO memory_log (session_id, at, state, note) VALUES (?, ?, ?, 'start')",
                (session_id, when, json.dumps([{}, {}])),
            )
        return self.get(session_id)

    def end(self, session_id: str, *, at: datetime | None = None) -> None:
        with self._db() as db:
            self._row(db, session_id)
            db.execute("UPDATE sessions SET ended_at = ? WHERE session_id = ?", (iso(at), session_id))

    def record_turn(
        self, session_id: str, question: str, output: str, *, trace_id: str = "", at: datetime | None = None
    ) -> StoredTurn:
        """Store a turn served under the session's pin and write its memory entry (`turn-<n>`)."""
        when = iso(at)
        with self._db() as db:
            row = self._row(db, session_id)
            if row["ended_at"] is not None:
                raise InputError(f"Session {session_id} has ended")
            idx = db.execute("SELECT COUNT(*) FROM turns WHERE session_id = ?", (session_id,)).fetchone()[0]
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)", (session_id, idx, question, output, row["ppv"], when, trace_id)
            )
            memory, written = self._state(db, session_id)
            memory[f"turn-{idx}"], written[f"turn-{idx}"] = f"fact: {output}", row["ppv"]
            db.execute(
                "INSERT INTO memory_log (session_id, at, state, note) VALUES (?, ?, ?, ?)",
                (session_id, when, json.dumps([memory, written]), f"turn {idx}"),
            )
        return StoredTurn(index=idx, question=question, output=output, ppv=row["ppv"], at=datetime.fromisoformat(when))

    # ---- memory ------------------------------------------------------------------------
    def snapshot(self, session_id: str, label: str, *, at: datetime | None = None) -> StoredSnapshot:
        """Take a named point-in-time copy of the memory (a label is taken once per session)."""
        when = iso(at)
        with self._db() as db:
            self._row(db, session_id)
            if db.execute("SELECT 1 FROM snapshots WHERE session_id = ? AND label = ?", (session_id, label)).fetchone():
                raise InputError(f"Session {session_id} already has a snapshot {label!r}")
            memory, written = self._state(db, session_id)
            db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?)", (session_id, label, when, json.dumps([memory, written])))
        return StoredSnapshot(label=label, at=datetime.fromisoformat(when), memory=memory, written_by=written)

    def memory_at(self, session_id: str, when: datetime) -> StoredSnapshot:
        """The memory as it was at `when` (from the append-only memory log)."""
        with self._db() as db:
            self._row(db, session_id)
            row = db.execute(
                "SELECT state FROM memory_log WHERE session_id = ? AND at <= ? ORDER BY seq DESC LIMIT 1",
                (session_id, iso(when)),
            ).fetchone()
        if row is None:
            raise InputError(f"Session {session_id} did not exist at {when.isoformat()}")
        memory, written = json.loads(row[0])
        return StoredSnapshot(label=f"at {when.isoformat()}", at=when, memory=memory, written_by=written)

    def revert(self, session_id: str, *, to: str | datetime, at: datetime | None = None) -> StoredSnapshot:
        """Restore the memory to a snapshot label or a past instant; logged, never destructive."""
        target = self.memory_at(session_id, to) if isinstance(to, datetime) else self.get_snapshot(session_id, to)
        when = iso(at)
        with self._db() as db:
            db.execute(
                "INSERT INTO memory_log (session_id, at, state, note) VALUES (?, ?, ?, ?)",
                (session_id, when, json.dumps([target.memory, target.written_by]), f"revert to {target.label}"),
            )
        return target

    def get_snapshot(self, session_id: str, label: str) -> StoredSnapshot:
        with self._db() as db:
            self._row(db, session_id)
            row = db.execute("SELECT at, state FROM snapshots WHERE session_id = ? AND label = ?", (session_id, label)).fetchone()
            labels = [r[0] for r in db.execute("SELECT label FROM snapshots WHERE session_id = ? ORDER BY at", (session_id,))]
        if row is None:
            raise InputError(f"Session {session_id} has no snapshot {label!r}. Snapshots: {labels}")
        memory, written = json.loads(row[1])
        return StoredSnapshot(label=label, at=datetime.fromisoformat(row[0]), memory=memory, written_by=written)

    # ---- drain -------------------------------------------------------------------------
    def drain(
        self, from_ppv: str, *, to_ppv: str, force: bool = False, revert_to: datetime | None = None, at: datetime | None = None
    ) -> DrainStatus:
        """Stop new sessions pinning `from_ppv`; with `force`, move the active ones to `to_ppv` now
        (their memory reverted to `revert_to` when given; one that started after `revert_to` goes back
        to its start). Returns who is still on `from_ppv`."""
        if from_ppv == to_ppv:
            raise InputError(f"drain {from_ppv} to itself")
        when = iso(at)
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO drains VALUES (?, ?, ?)", (from_ppv, to_ppv, when))
            stragglers = [
                r[0] for r in db.execute("SELECT session_id FROM sessions WHERE ppv = ? AND ended_at IS NULL", (from_ppv,))
            ]
            if force:
                for sid in stragglers:
                    db.execute("UPDATE sessions SET ppv = ? WHERE session_id = ?", (to_ppv, sid))
                    label = iso(revert_to) if revert_to is not None else None
                    db.execute("INSERT INTO moves VALUES (?, ?, ?, ?, 'forced drain', ?)", (sid, when, from_ppv, to_ppv, label))
        if force and revert_to is not None:
            for sid in stragglers:
                self.revert(sid, to=max(datetime.fromisoformat(iso(revert_to)), self.get(sid).started_at), at=at)
        return self.drain_status(from_ppv)

    def drain_status(self, from_ppv: str) -> DrainStatus:
        with self._db() as db:
            row = db.execute("SELECT to_ppv, at FROM drains WHERE from_ppv = ?", (from_ppv,)).fetchone()
            if row is None:
                raise InputError(f"{from_ppv} is not being drained")
            active = [r[0] for r in db.execute("SELECT session_id FROM sessions WHERE ppv = ? AND ended_at IS NULL", (from_ppv,))]
        return DrainStatus(from_ppv=from_ppv, to_ppv=row[0], since=datetime.fromisoformat(row[1]), active_on_from=active)

    # ---- reads -------------------------------------------------------------------------
    def list(self, *, active_only: bool = False) -> list[StoredSession]:
        with self._db() as db:
            sql = "SELECT session_id FROM sessions" + (" WHERE ended_at IS NULL" if active_only else "") + " ORDER BY started_at"
            ids = [r[0] for r in db.execute(sql)]
        return [self.get(i) for i in ids]

    def get(self, session_id: str) -> StoredSession:
        with self._db() as db:
            row = self._row(db, session_id)
            turns = [
                StoredTurn(index=r[0], question=r[1], output=r[2], ppv=r[3], at=datetime.fromisoformat(r[4]), trace_id=r[5])
                for r in db.execute(
                    "SELECT idx, question, output, ppv, at, trace_id FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)
                )
            ]
            memory, written = self._state(db, session_id)
            snaps = [r[0] for r in db.execute("SELECT label FROM snapshots WHERE session_id = ? ORDER BY at", (session_id,))]
            moves = [
                {"at": r[0], "from_ppv": r[1], "to_ppv": r[2], "reason": r[3], "reverted_to": r[4]}
                for r in db.execute(
                    "SELECT at, from_ppv, to_ppv, reason, reverted_to FROM moves WHERE session_id = ? ORDER BY at", (session_id,)
                )
            ]
        return StoredSession(
            session_id=session_id,
            user_id=row["user_id"],
            template=row["template"],
            ppv=row["ppv"],
            started_under=row["started_under"],
            follows=row["follows"],
            started_at=datetime.fromisoformat(row["started_at"]),
            ended_at=datetime.fromisoformat(row["ended_at"]) if row["ended_at"] else None,
            turns=turns,
            memory=memory,
            written_by=written,
            snapshots=snaps,
            moves=moves,
        )

    @staticmethod
    def _row(db: sqlite3.Connection, session_id: str) -> sqlite3.Row:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        db.row_factory = None
        if row is None:
            raise InputError(f"No session {session_id!r}")
        return row  # type: ignore[no-any-return]

    @staticmethod
    def _state(db: sqlite3.Connection, session_id: str) -> tuple[dict[str, str], dict[str, str]]:
        row = db.execute("SELECT state FROM memory_log WHERE session_id = ? ORDER BY seq DESC LIMIT 1", (session_id,)).fetchone()
        memory, written = json.loads(row[0]) if row else ({}, {})
        return dict(memory), dict(written)
