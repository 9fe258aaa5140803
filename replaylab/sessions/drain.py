"""The drain report: how many sessions still run on each PPV, tick by tick, after a label move."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel

from replaylab.sessions.state import Session


class DrainPoint(BaseModel):
    """Sessions that took a turn at one tick, by the PPV the turn ran under."""

    at: int
    by_ppv: dict[str, int]


class DrainReport(BaseModel):
    """What ran on the old PPV after `moved_at`, and when it stopped."""

    moved_at: int
    from_ppv: str
    to_ppv: str
    points: list[DrainPoint]
    """One point per tick from the move to the last turn."""
    turns_on_from: int
    """Turns served under `from_ppv` at or after the move."""
    sessions_on_from: int
    """Distinct sessions that served at least one turn under `from_ppv` at or after the move."""
    drained_at: int
    """The first tick from which no turn ran under `from_ppv` (the move itself if none did)."""

    @property
    def ticks_to_drain(self) -> int:
        return self.drained_at - self.moved_at

    def timeline(self) -> str:
        """`t=5 rag-answer@4:12 rag-answer@5:3 | t=6 ...`, for a journal or a terminal."""
        parts = []
        for p in self.points:
            counts = " ".join(f"{ppv}:{n}" for ppv, n in sorted(p.by_ppv.items()))
            parts.append(f"t={p.at} {counts}")
        return " | ".join(parts)


def drain_report(sessions: Iterable[Session], *, moved_at: int, from_ppv: str, to_ppv: str) -> DrainReport:
    """Count, per tick from `moved_at` on, the sessions taking a turn under each PPV."""
    per_tick: dict[int, Counter[str]] = {}
    on_from: set[str] = set()
    turns_on_from = 0
    last_on_from: int | None = None
    for session in sessions:
        for turn in session.turns:
            if turn.at < moved_at:
                continue
            per_tick.setdefault(turn.at, Counter())[turn.ppv] += 1
            if turn.ppv == from_ppv:
                turns_on_from += 1
                on_from.add(session.session_id)
                last_on_from = turn.at if last_on_from is None else max(last_on_from, turn.at)
    points = [DrainPoint(at=t, by_ppv=dict(per_tick[t])) for t in sorted(per_tick)]
    return DrainReport(
        moved_at=moved_at,
        from_ppv=from_ppv,
        to_ppv=to_ppv,
        points=points,
        turns_on_from=turns_on_from,
        sessions_on_from=len(on_from),
        drained_at=moved_at if last_on_from is None else last_on_from + 1,
    )
