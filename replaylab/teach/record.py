"""The game-day session record: what `teach --json` writes and the scoreboard summarises."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from replaylab.teach.incident import AnswerKey
from replaylab.teach.scoring import RollbackCheck, ScoreCard, Submission

__all__ = ["SessionRecord", "TranscriptEntry"]


class TranscriptEntry(BaseModel):
    at_s: float
    """Seconds since the page."""
    command: str
    """The command line the trainee typed."""
    output: str
    """What the command printed."""
    error: bool = False
    """True when the command failed (bad input or an error)."""


class SessionRecord(BaseModel):
    """Everything one game day did: what `--json` writes and the scoreboard summarises."""

    version: Literal[1] = 1
    """Session record format version (always 1)."""
    scenario: str
    """Name of the incident scenario played."""
    title: str
    """The scenario's title."""
    trainee: str
    """Name of the trainee who played."""
    started_at: datetime
    """When the session started (the page)."""
    ended_at: datetime
    """When the session ended: `started_at` plus the scorecard's elapsed seconds."""
    status: Literal["submitted", "quit"]
    """How the session ended: `submitted` or `quit`."""
    opening: str
    """The opening page text shown to the trainee."""
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    """Every command typed, in order."""
    submission: Submission | None = None
    """The trainee's submitted diagnosis; None if they quit."""
    rollback_check: RollbackCheck | None = None
    """The result of checking the trainee's rollback, if one was made."""
    score: ScoreCard
    """The scorecard."""
    debrief: list[str]
    """Debrief lines shown at the end."""
    answer: AnswerKey
    """The scenario's answer key."""
    shown_trace_ids: list[str]
    """Ids of the traces shown to the trainee."""
    fired_detectors: list[str] = Field(default_factory=list)
    """Names of the detectors that fired on the incident."""
