"""Stateful sessions under moving prompt labels: pinning with graceful drain, memory
snapshots, canary by session id, and how fast a label move propagates.

    manager = SessionManager(stack, "pin", config=config)
    s = manager.start("s-0001", at=0)            # tagged with the PPV `production` points at
    manager.turn("s-0001", question, at=0)       # runs under that PPV for the session's life
    manager.recall("rag-answer@5", to_ppv="rag-answer@4", at=7, revert_to_at=3)
    manager.drain_report(moved_at=7, from_ppv="rag-answer@5", to_ppv="rag-answer@4")

The same policy as a real service (SQLite, wall-clock time): `SessionStore` (store.py), served
over HTTP by `replaylab sessions serve` (service.py); `import_simulated` stores a simulation's
sessions in it so the CLI can inspect a drill's sessions.
"""

from replaylab.sessions.artifact import ArtifactId, canary_assignment, canary_bucket
from replaylab.sessions.canary_checks import CheckComparison, GateDecision, compare_checks, decide
from replaylab.sessions.drain import DrainPoint, DrainReport, drain_report
from replaylab.sessions.judge import Judge, Verdict, default_judge, local_judge
from replaylab.sessions.labels import LabelStore, PropagationReport, measure_propagation
from replaylab.sessions.manager import (
    POLICIES,
    Canary,
    Policy,
    Reply,
    Responder,
    SessionManager,
    StackResponder,
    sessions_on,
)
from replaylab.sessions.mirror import import_simulated
from replaylab.sessions.state import MemorySnapshot, Session, SessionMove, Turn, render_with_memory
from replaylab.sessions.store import DrainStatus, SessionStore, StoredSession, StoredSnapshot, StoredTurn
from replaylab.sessions.traffic import PlannedSession, last_tick, plan_sessions, run_tick

__all__ = [
    "POLICIES",
    "ArtifactId",
    "Canary",
    "CheckComparison",
    "DrainPoint",
    "DrainReport",
    "DrainStatus",
    "GateDecision",
    "Judge",
    "LabelStore",
    "MemorySnapshot",
    "PlannedSession",
    "Policy",
    "PropagationReport",
    "Reply",
    "Responder",
    "Session",
    "SessionManager",
    "SessionMove",
    "SessionStore",
    "StackResponder",
    "StoredSession",
    "StoredSnapshot",
    "StoredTurn",
    "Turn",
    "Verdict",
    "canary_assignment",
    "canary_bucket",
    "compare_checks",
    "decide",
    "default_judge",
    "drain_report",
    "import_simulated",
    "last_tick",
    "local_judge",
    "measure_propagation",
    "plan_sessions",
    "render_with_memory",
    "run_tick",
    "sessions_on",
]
