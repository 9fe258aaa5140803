"""Simulated traffic: sessions that start over time and take one turn per tick of a drill clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replaylab.errors import ConfigError
from replaylab.sessions.manager import SessionManager
from replaylab.sessions.state import Turn
from replaylab.stack.corpus import GoldenItem


@dataclass(frozen=True)
class PlannedSession:
    """A session the traffic will open: when, and the golden questions it will ask."""

    session_id: str
    user_id: str
    start: int
    items: tuple[GoldenItem, ...]


def plan_sessions(
    golden: Sequence[GoldenItem], *, sessions: int, turns: int, arrival_ticks: int, prefix: str = "s"
) -> list[PlannedSession]:
    """Sessions starting evenly over `arrival_ticks`, each asking `turns` golden questions in rotation."""
    if not golden:
        raise ConfigError("Simulated traffic needs at least one golden question")
    if sessions < 1 or turns < 1 or arrival_ticks < 1:
        raise ConfigError("Simulated traffic needs at least one session, one turn and one arrival tick")
    n = len(golden)
    return [
        PlannedSession(
            session_id=f"{prefix}-{i:04d}",
            user_id=f"u-{i:04d}",
            start=i * arrival_ticks // sessions,
            items=tuple(golden[(i * turns + k) % n] for k in range(turns)),
        )
        for i in range(sessions)
    ]


def last_tick(plan: Sequence[PlannedSession]) -> int:
    """The tick of the last turn the plan produces."""
    return max(p.start + len(p.items) for p in plan) - 1


def run_tick(manager: SessionManager, plan: Sequence[PlannedSession], at: int) -> list[Turn]:
    """Start the sessions due at `at`, then let every active planned session take its next turn."""
    for p in plan:
        if p.start == at:
            manager.start(p.session_id, user_id=p.user_id, at=at)
    turns = []
    for p in plan:
        session = manager.sessions.get(p.session_id)
        if session is None or not session.active:
            continue
        item = p.items[len(session.turns)]
        turns.append(manager.turn(p.session_id, item.question, at=at, golden=item))
        if len(session.turns) == len(p.items):
            manager.end(p.session_id, at=at)
    return turns
