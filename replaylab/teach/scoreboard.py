"""The scoreboard: every finished game day, stored in the workspace (atomic writes, one lock)."""

from __future__ import annotations

import fcntl
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replaylab.errors import ConfigError
from replaylab.files import atomic_write_text
from replaylab.teach.game import SessionRecord
from replaylab.workspace import Workspace

__all__ = ["ScoreEntry", "Scoreboard", "Standing"]


class ScoreEntry(BaseModel):
    """One finished session."""

    model_config = ConfigDict(extra="forbid")

    at: datetime
    trainee: str
    scenario: str
    score: int
    max_points: int
    layer_ok: bool
    variable_ok: bool
    rollback_ok: bool
    hints: int
    sandbox_runs: int
    elapsed_s: float
    status: Literal["submitted", "quit"]
    mode: Literal["interactive", "script"] = "interactive"


class Standing(BaseModel):
    """One trainee across sessions."""

    trainee: str
    sessions: int
    best: int
    mean: float
    scenarios: list[str]
    """Scenarios solved (layer, variable and rollback all right)."""


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    sessions: list[ScoreEntry] = Field(default_factory=list)


class Scoreboard:
    """`<workspace>/teach/scoreboard.json`."""

    def __init__(self, ws: Workspace) -> None:
        self.path = ws.root / "teach" / "scoreboard.json"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / ".scoreboard.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read(self) -> _File:
        if not self.path.exists():
            return _File()
        try:
            return _File.model_validate_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise ConfigError(f"Scoreboard {self.path} is unreadable: {str(exc).splitlines()[0]}") from None

    def add(self, record: SessionRecord, *, mode: Literal["interactive", "script"] = "interactive") -> ScoreEntry:
        """Append a finished session."""
        s = record.score
        entry = ScoreEntry(
            at=record.ended_at,
            trainee=record.trainee,
            scenario=record.scenario,
            score=s.total,
            max_points=s.max_points,
            layer_ok=s.layer_ok,
            variable_ok=s.variable_ok,
            rollback_ok=s.rollback_ok,
            hints=s.hints_used,
            sandbox_runs=s.sandbox_runs,
            elapsed_s=s.elapsed_s,
            status=record.status,
            mode=mode,
        )
        with self._locked():
            data = self._read()
            data.sessions.append(entry)
            atomic_write_text(self.path, json.dumps(data.model_dump(mode="json"), indent=2) + "\n")
        return entry

    def entries(self) -> list[ScoreEntry]:
        """Every session, best score first (faster first among equals)."""
        return sorted(self._read().sessions, key=lambda e: (-e.score, e.elapsed_s, e.at))

    def standings(self) -> list[Standing]:
        """Per trainee: sessions, best and mean score, scenarios fully solved."""
        by: dict[str, list[ScoreEntry]] = defaultdict(list)
        for e in self._read().sessions:
            by[e.trainee].append(e)
        out = [
            Standing(
                trainee=name,
                sessions=len(es),
                best=max(e.score for e in es),
                mean=round(sum(e.score for e in es) / len(es), 1),
                scenarios=sorted({e.scenario for e in es if e.layer_ok and e.variable_ok and e.rollback_ok}),
            )
            for name, es in by.items()
        ]
        return sorted(out, key=lambda s: (-s.best, -s.mean, s.trainee))
