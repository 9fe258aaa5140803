"""Routing turns of stateful sessions to prompt versions: pinning, hard cutover, canary.

- `pin`: a session keeps the PPV it started under for its whole life; a new session takes
  the label it follows (`production`, or the canary label) as it reads now. A label move
  reaches only new sessions, and old ones drain as they end.
- `hard_cutover`: every turn resolves the label afresh, so a moved label reaches sessions
  mid-conversation (and their memory, written under the old PPV, becomes inconsistent).
- canary: orthogonal to both; `Canary(percent, salt)` routes the sessions whose id hashes
  into the first `percent` % (`canary_assignment`) by the `canary` label instead of
  `production`. Deterministic, so a session never changes sides.

`recall` is the rollback primitive for sessions already on a bad PPV: move them to another
PPV, optionally reverting their memory to the snapshot from before a given time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.sessions.artifact import ArtifactId, canary_assignment
from replaylab.sessions.drain import DrainReport, drain_report
from replaylab.sessions.judge import Judge, Verdict, default_judge
from replaylab.sessions.labels import LabelStore
from replaylab.sessions.state import Session, SessionMove, Turn, render_with_memory
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.embedders import get_embedder
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace

Policy = Literal["pin", "hard_cutover"]
POLICIES: tuple[Policy, ...] = ("pin", "hard_cutover")


class Canary(BaseModel):
    """Route `percent` % of sessions, chosen by a hash of their id, by the canary label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percent: float = Field(1.0, ge=0.0, le=100.0)
    salt: str = ""
    """Changing the salt reshuffles which sessions are in the canary."""
    label: str = "canary"


class Reply(BaseModel):
    """What answering one turn produced."""

    output: str
    verdict: Verdict
    artifact: ArtifactId
    trace_id: str = ""


class Responder(Protocol):
    """Answers one turn under `ppv`; the stack in production, a stub in property tests."""

    def __call__(self, *, question: str, memory: list[str], ppv: str, session_id: str, golden: GoldenItem | None) -> Reply: ...


class StackResponder:
    """Answers turns through a `Stack`: retrieval on the question, memory in the prompt.

    Retrieval does not depend on the PPV or the memory, so it runs once per question and is
    held for later turns that ask it (the rendered prompt and the generation are live).
    With `memoize`, a request identical to an earlier one (question, memory read, PPV) gets
    the earlier reply: right for a generator that is a pure function of its request, as the
    sandbox reader is; pass `memoize=False` for one that is not.
    """

    def __init__(self, stack: Stack, config: RunConfig, *, judge: Judge = default_judge, memoize: bool = True) -> None:
        self.stack = stack
        self.config = config
        self.judge = judge
        self.memoize = memoize
        self._retrieved: dict[str, Trace] = {}
        self._replies: dict[tuple[str, tuple[str, ...], str, str | None], Reply] = {}
        self.runs = 0
        """Turns answered (memoised ones included)."""
        self.answered = 0
        """Turns the stack answered (not from the memo)."""
        self.retrievals = 0
        """Turns that ran retrieval live (the first time their question was asked)."""

    def __call__(self, *, question: str, memory: list[str], ppv: str, session_id: str, golden: GoldenItem | None) -> Reply:
        self.runs += 1
        key = (question, tuple(memory), ppv, golden.model_dump_json() if golden is not None else None)
        if self.memoize and key in self._replies:
            return self._replies[key]
        self.answered += 1
        config = self.config.model_copy(update={"prompt": ppv})
        gold = golden_of(golden) if golden is not None else None
        base = self._retrieved.get(question)
        if base is None:
            self.retrievals += 1
            base = self.stack.run(question, config, golden=gold, session_id=session_id)
            self._retrieved[question] = base
        if memory or base.config.prompt != ppv:
            trace = self.stack.run(
                render_with_memory(question, memory),
                config,
                golden=gold,
                recorded=base,
                holds={"retrieval"},
                session_id=session_id,
            )
        else:
            trace = base
        reply = self._reply(trace)
        if self.memoize:
            self._replies[key] = reply
        return reply

    def prewarm(self, questions: Iterable[str]) -> int:
        """Embed every question in one batch, so each turn's retrieval is a cache hit; returns the count."""
        todo = sorted(set(questions))
        if todo:
            self.stack.cache.encode(get_embedder(self.config.embedder), todo)
        return len(todo)

    def _reply(self, trace: Trace) -> Reply:
        output = trace.generation.output if trace.generation is not None else ""
        return Reply(
            output=output, verdict=self.judge(trace), artifact=ArtifactId.of_versions(trace.versions), trace_id=trace.trace_id
        )


class SessionManager:
    """Starts sessions, routes their turns to PPVs by policy, and keeps their memory snapshots."""

    def __init__(
        self,
        stack: Stack | None,
        policy: Policy = "pin",
        *,
        config: RunConfig | None = None,
        template: str = "rag-answer",
        canary: Canary | None = None,
        memory_window: int = 3,
        labels: LabelStore | None = None,
        responder: Responder | None = None,
        judge: Judge = default_judge,
    ) -> None:
        if policy not in POLICIES:
            raise ConfigError(f"Unknown session routing policy {policy!r}. Valid: {list(POLICIES)}")
        if stack is None and (labels is None or responder is None):
            raise ConfigError("A SessionManager without a stack needs both `labels` and `responder`")
        self.policy: Policy = policy
        self.config = config or RunConfig()
        self.template = template
        self.canary = canary
        self.memory_window = memory_window
        if labels is None:
            assert stack is not None
            labels = LabelStore(stack.prompts, poll_interval_s=0.0)
        self.labels = labels
        if responder is None:
            assert stack is not None
            responder = StackResponder(stack, self.config, judge=judge)
        self.responder = responder
        self.sessions: dict[str, Session] = {}

    # ---- routing ----------------------------------------------------------------------
    def route(self, session_id: str) -> str:
        """The label a new session with this id follows."""
        if self.canary is not None and canary_assignment(session_id, self.canary.percent, self.canary.salt):
            return self.canary.label
        return "production"

    def label_ppv(self, label: str) -> str:
        """The PPV a label points at now; a missing canary label falls back to production."""
        if label != "production" and self.labels.get(self.template, label) is None:
            label = "production"
        return self.labels.resolve(self.template, label)

    def ppv_for(self, session: Session) -> str:
        """The PPV the session's next turn runs under."""
        if self.policy == "pin":
            return session.artifact.ppv
        return self.label_ppv(session.follows)

    # ---- lifecycle --------------------------------------------------------------------
    def get(self, session_id: str) -> Session:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise ConfigError(f"No session {session_id!r}") from None

    def start(self, session_id: str, *, user_id: str = "", at: int = 0) -> Session:
        """Open a session: it is tagged with the artifact its label points at now."""
        if session_id in self.sessions:
            raise ConfigError(f"Session {session_id!r} already exists")
        label = self.route(session_id)
        artifact = ArtifactId.for_config(self.config, ppv=self.label_ppv(label))
        session = Session(
            session_id=session_id, user_id=user_id, artifact=artifact, started_under=artifact, started_at=at, follows=label
        )
        session.checkpoint("start", at=at)
        self.sessions[session_id] = session
        return session

    def turn(self, session_id: str, question: str, *, at: int, golden: GoldenItem | None = None) -> Turn:
        """Run the session's next turn: checkpoint, read memory, answer, write memory."""
        session = self.get(session_id)
        if not session.active:
            raise ConfigError(f"Session {session_id!r} ended at t={session.ended_at}")
        ppv = self.ppv_for(session)
        if ppv != session.artifact.ppv:
            session.moves.append(
                SessionMove(
                    at=at, from_ppv=session.artifact.ppv, to_ppv=ppv, reason="hard cutover: the turn resolved the moved label"
                )
            )
            session.artifact = session.artifact.with_ppv(ppv)
        index = len(session.turns)
        session.checkpoint(f"before-turn-{index}", at=at)
        reads = session.read_memory(self.memory_window)
        reply = self.responder(question=question, memory=list(reads.values()), ppv=ppv, session_id=session_id, golden=golden)
        turn = Turn(
            index=index,
            question=question,
            ppv=ppv,
            output=reply.output,
            passed=reply.verdict.passed,
            at=at,
            checks=reply.verdict.checks,
            reads={k: session.written_by[k] for k in reads},
            artifact=reply.artifact,
            trace_id=reply.trace_id,
        )
        session.write_memory(f"turn-{index}", f"fact: {reply.output}", ppv=ppv)
        session.turns.append(turn)
        return turn

    def end(self, session_id: str, *, at: int) -> None:
        self.get(session_id).ended_at = at

    def active(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.active]

    # ---- rollback ---------------------------------------------------------------------
    def recall(
        self, from_ppv: str, *, to_ppv: str, at: int, revert_to_at: int | None = None, reason: str = "recall"
    ) -> list[str]:
        """Move every active session on `from_ppv` to `to_ppv`, reverting memory to `revert_to_at`.

        The memory restored is the latest snapshot taken at or before `revert_to_at` (a
        session that started later gets its empty start snapshot). Sessions on any other PPV
        are untouched. Returns the ids of the sessions moved.
        """
        moved = []
        for session in self.active():
            if session.artifact.ppv != from_ppv:
                continue
            reverted: str | None = None
            if revert_to_at is not None:
                snap = session.snapshot_at(revert_to_at) or session.snapshots[0]
                reverted = session.revert_to(snap).label
            session.moves.append(SessionMove(at=at, from_ppv=from_ppv, to_ppv=to_ppv, reason=reason, reverted_to=reverted))
            session.artifact = session.artifact.with_ppv(to_ppv)
            moved.append(session.session_id)
        return moved

    def revert_memory(self, written_by: str, *, to_at: int) -> list[str]:
        """Revert every session, active or ended, holding memory that `written_by` wrote.

        Each goes back to its latest snapshot taken at or before `to_at` (its start snapshot
        if it started later). Returns the ids of the sessions reverted.
        """
        reverted = []
        for session in self.sessions.values():
            if written_by in session.written_by.values():
                session.revert_to(session.snapshot_at(to_at) or session.snapshots[0])
                reverted.append(session.session_id)
        return reverted

    def fork(self, *, policy: Policy | None = None) -> SessionManager:
        """An independent copy of the sessions under the same labels and responder (a what-if branch)."""
        twin = SessionManager(
            None,
            policy or self.policy,
            config=self.config,
            template=self.template,
            canary=self.canary,
            memory_window=self.memory_window,
            labels=self.labels,
            responder=self.responder,
        )
        twin.sessions = {sid: s.model_copy(deep=True) for sid, s in self.sessions.items()}
        return twin

    def drain_report(self, *, moved_at: int, from_ppv: str, to_ppv: str) -> DrainReport:
        """Sessions per PPV, tick by tick, from a label move on."""
        return drain_report(self.sessions.values(), moved_at=moved_at, from_ppv=from_ppv, to_ppv=to_ppv)


def sessions_on(sessions: Iterable[Session], ppv: str) -> list[str]:
    """Ids of the active sessions currently running under `ppv`."""
    return [s.session_id for s in sessions if s.active and s.artifact.ppv == ppv]
