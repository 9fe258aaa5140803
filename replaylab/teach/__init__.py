"""Game days for on-call rotations (Wheel of Misfortune): a scenario's fault is injected in
the sandbox, the trainee investigates the fault window's traces with the project's own tools,
submits a diagnosis, and gets a score and a debrief.

    with open_incident(scenario, stack=stack, base=base) as incident:
        session = GameSession(incident, stack=stack)
        record = run_script(session, ["traces", "eval 1", "submit layer=retrieval ..."])

The engine (`game`) never prints; `terminal` is the interactive front end.
"""

from replaylab.teach.blocks import Grid, Para, Reply
from replaylab.teach.game import COMMANDS, GameSession, SessionRecord, TranscriptEntry
from replaylab.teach.incident import AnswerKey, Incident, open_incident
from replaylab.teach.scoreboard import Scoreboard, ScoreEntry, Standing
from replaylab.teach.scoring import RollbackCheck, ScoreCard, ScoringRules, Submission
from replaylab.teach.script import read_script, run_script

__all__ = [
    "COMMANDS",
    "AnswerKey",
    "GameSession",
    "Grid",
    "Incident",
    "Para",
    "Reply",
    "RollbackCheck",
    "ScoreCard",
    "ScoreEntry",
    "Scoreboard",
    "ScoringRules",
    "SessionRecord",
    "Standing",
    "Submission",
    "TranscriptEntry",
    "open_incident",
    "read_script",
    "run_script",
]
