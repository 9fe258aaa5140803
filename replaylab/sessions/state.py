"""Session state: turns, memory, and point-in-time memory snapshots.

The memory model of the sandbox, kept deliberately simple and explicit:

- Each turn writes one memory entry, `turn-<n>` -> `fact: <answer>`, and the session
  records which PPV wrote it (`written_by`). A turn under a bad PPV writes bad memory.
- A turn reads the latest `memory_window` entries. They reach the model inside the
  customer's message, on a line after the question: `Earlier you said: fact: ... | fact: ...`
  (`render_with_memory`). Retrieval still runs on the question alone, as conversational RAG
  apps retrieve on the latest message; the memory rides in the prompt.
- A turn is *inconsistent* when its PPV differs from the PPV that wrote any entry it reads
  (the conversation's context was produced under other rules than the ones answering now).
  A turn is *corrupted* (counted by the rollout, which knows which PPV is bad) when it runs
  under a good PPV but reads an entry a bad PPV wrote: the incident outliving its version.

The sandbox reader does not condition its answer on the memory line, so corruption is
counted from provenance (who wrote what a turn reads), not from a change in the answer;
a real model served through the same stack sees the same rendered line.

Snapshots are copies of the memory (and its provenance) taken at a labelled point in
(simulated) time; `revert_to` restores one, so memory written under a bad version can be
rolled back to a checkpoint from before the incident.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from replaylab.errors import ConfigError
from replaylab.sessions.artifact import ArtifactId

MEMORY_PREFIX = "Earlier you said: "


def render_with_memory(question: str, memory: list[str]) -> str:
    """The customer's message with the memory the turn reads on a line after the question."""
    if not memory:
        return question
    return f"{question}\n{MEMORY_PREFIX}{' | '.join(memory)}"


class Turn(BaseModel):
    """One turn of a session."""

    model_config = ConfigDict(extra="forbid")

    index: int
    """0-based position in the session."""
    question: str
    """The customer's question (without the memory line)."""
    ppv: str
    """The prompt version this turn ran under."""
    output: str
    passed: bool
    """The judge's verdict on the answer."""
    at: int
    """Simulated time (tick of the drill clock) the turn ran at."""
    checks: dict[str, bool] = {}
    """Individual judge checks (`correct`, `not_sycophantic`, `evals`)."""
    reads: dict[str, str] = {}
    """Memory entries the turn read: key -> the PPV that wrote it."""
    artifact: ArtifactId | None = None
    """The artifact the request actually ran under (from its trace)."""
    trace_id: str = ""

    @property
    def inconsistent(self) -> bool:
        """True when the turn reads memory written under another PPV than its own."""
        return any(ppv != self.ppv for ppv in self.reads.values())

    def read_from(self, ppv: str) -> bool:
        """True when the turn reads memory that `ppv` wrote."""
        return ppv in self.reads.values()


class MemorySnapshot(BaseModel):
    """A point-in-time copy of a session's memory and who wrote each entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    at: int
    """Simulated time the snapshot was taken (before any turn at that tick)."""
    turns: int
    """How many turns the session had taken when the snapshot was taken."""
    memory: dict[str, str]
    written_by: dict[str, str]


class SessionMove(BaseModel):
    """A change of the PPV a session runs under (a cutover, a recall)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: int
    from_ppv: str
    to_ppv: str
    reason: str
    reverted_to: str | None = None
    """Label of the memory snapshot restored with the move, if any."""


class Session(BaseModel):
    """A multi-turn conversation, tagged with the artifact it runs under."""

    model_config = ConfigDict(extra="forbid")

    session_id: str
    user_id: str = ""
    artifact: ArtifactId
    """What the session runs under now; `started_under` is what it began with."""
    started_under: ArtifactId
    started_at: int = 0
    follows: str = "production"
    """The label the session was routed by (`production` or the canary label)."""
    turns: list[Turn] = []
    memory: dict[str, str] = {}
    written_by: dict[str, str] = {}
    """Memory key -> the PPV of the turn that wrote it."""
    snapshots: list[MemorySnapshot] = []
    moves: list[SessionMove] = []
    ended_at: int | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    # ---- memory -----------------------------------------------------------------------
    def read_memory(self, window: int) -> dict[str, str]:
        """The latest `window` memory entries, oldest first."""
        if window <= 0:
            return {}
        keys = list(self.memory)[-window:]
        return {k: self.memory[k] for k in keys}

    def write_memory(self, key: str, text: str, *, ppv: str) -> None:
        self.memory[key] = text
        self.written_by[key] = ppv

    # ---- snapshots --------------------------------------------------------------------
    def checkpoint(self, label: str, *, at: int) -> MemorySnapshot:
        """Take a point-in-time snapshot of the memory."""
        snap = MemorySnapshot(
            label=label, at=at, turns=len(self.turns), memory=dict(self.memory), written_by=dict(self.written_by)
        )
        self.snapshots.append(snap)
        return snap

    def snapshot(self, label: str) -> MemorySnapshot:
        """The snapshot labelled `label` (the latest, if several share it)."""
        for snap in reversed(self.snapshots):
            if snap.label == label:
                return snap
        raise ConfigError(
            f"Session {self.session_id} has no memory snapshot {label!r}. Snapshots: {[s.label for s in self.snapshots]}"
        )

    def snapshot_at(self, at: int) -> MemorySnapshot | None:
        """The latest snapshot taken at or before `at`: the memory as it was then."""
        found = [s for s in self.snapshots if s.at <= at]
        return found[-1] if found else None

    def revert_to(self, checkpoint: MemorySnapshot | str) -> MemorySnapshot:
        """Restore the memory to a snapshot (or the snapshot with that label)."""
        snap = self.snapshot(checkpoint) if isinstance(checkpoint, str) else checkpoint
        self.memory = dict(snap.memory)
        self.written_by = dict(snap.written_by)
        return snap
