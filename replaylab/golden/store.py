"""The workspace golden set: the bundled questions plus the failing cases incidents added.

The bundled set ships read-only in the package and is `golden@1`. `add_case` turns a failing
trace into a regression case (question, expected answer, supporting documents, and the
behaviour checked: the evaluators that failed on it) and bumps the version: `golden@2`,
`golden@3`... Everything the workspace adds lives in one JSON file, written atomically under
a lock, with the history of every version:

    store = GoldenStore(ws)
    case = store.add_trace(trace)        # -> GoldenCase(qid="reg-001", regression_of="q017", ...)
    store.load().version                 # 2
    store.load().cases                   # bundled + added, in order
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replaylab.errors import ConfigError, InputError
from replaylab.files import atomic_write_text
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.trace import Golden, Trace
from replaylab.workspace import BUNDLED_GOLDEN, Workspace

__all__ = ["REGRESSION_CHECKS", "GoldenCase", "GoldenSet", "GoldenStore", "GoldenVersion", "case_checks"]

REGRESSION_CHECKS: tuple[str, ...] = (
    "correct",
    "sycophancy",
    "format",
    "retrieval_hit",
    "answer_in_context",
    "grounded",
    "route",
    "tool_loops",
)
"""Evaluators a regression case may pin beyond the default gate: the behaviours an incident
can break and a golden replay can check without a baseline to compare with."""


class GoldenCase(GoldenItem):
    """A golden item, plus where a workspace-added case came from and what it checks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: tuple[str, ...] = ()
    """Evaluators that must pass on this case, in addition to the default gate."""
    behaviour: str = ""
    """The behaviour checked, in words (what went wrong when the case was added)."""
    source_trace: str | None = None
    """The trace id of the failing request the case was made from."""
    regression_of: str | None = None
    """The golden qid the failing request asked, when it came from the golden set."""
    added_in: int | None = None
    """The golden version that added this case (None: bundled)."""
    added_at: str | None = None


class GoldenVersion(BaseModel):
    """One entry of the history: what a version added."""

    model_config = ConfigDict(extra="forbid")

    version: int
    at: str
    added: list[str] = []
    source_trace: str | None = None
    note: str = ""


class _Stored(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    version: int = 1
    history: list[GoldenVersion] = Field(default_factory=list)
    added: list[GoldenCase] = Field(default_factory=list)


class GoldenSet(BaseModel):
    """The workspace golden set at one version."""

    version: int
    """`golden@N`: 1 is the bundled set alone; every added case bumps it."""
    cases: list[GoldenCase]
    """Bundled cases first, then added ones, in the order they were added."""
    history: list[GoldenVersion]
    added: list[GoldenCase]

    @property
    def id(self) -> str:
        return f"golden@{self.version}"

    def case(self, qid: str) -> GoldenCase:
        for c in self.cases:
            if c.qid == qid:
                return c
        raise ConfigError(f"No golden case {qid!r} in {self.id}")


def case_checks(trace: Trace, *, extra: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The evaluators a regression case for `trace` should pin, and why each failed.

    Every evaluator in REGRESSION_CHECKS that failed on the trace, plus `extra`."""
    from replaylab.evals import evaluate, evaluator_names

    known = set(evaluator_names())
    wanted = [n for n in REGRESSION_CHECKS if n in known]
    report = evaluate(trace, evaluators=wanted)
    checks: list[str] = []
    reasons: list[str] = []
    for s in report.scores:
        if s.name in wanted and s.passed is False:
            checks.append(s.name)
            reasons.append(f"{s.name}: {s.reason}")
    for name in extra:
        if name not in known:
            raise ConfigError(f"Unknown evaluator {name!r} for --check. Valid: {sorted(known)}")
        if name not in checks:
            checks.append(name)
    return checks, reasons


class GoldenStore:
    """The workspace golden set on disk: `<workspace>/golden/golden.json` over the bundled set, and
    `golden-<hash of its path>.json` over a project's, so cases added on one never join the other."""

    def __init__(self, ws: Workspace, *, bundled: Path | None = None) -> None:
        from replaylab.project import active_golden_path

        self.ws = ws
        self.bundled = bundled if bundled is not None else active_golden_path()
        """The read-only base set (default: the project's golden set, else the one shipped in the package)."""
        name = "golden"
        if self.bundled is not None and self.bundled.resolve() != BUNDLED_GOLDEN.resolve():
            name += "-" + hashlib.sha256(str(self.bundled.resolve()).encode()).hexdigest()[:8]
        self.path = ws.root / "golden" / f"{name}.json"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / ".golden.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read(self) -> _Stored:
        if not self.path.exists():
            return _Stored()
        try:
            return _Stored.model_validate_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise ConfigError(f"Workspace golden set {self.path} is unreadable: {str(exc).splitlines()[0]}") from None

    def load(self) -> GoldenSet:
        """Bundled + added cases at the current version."""
        stored = self._read()
        base = [GoldenCase.model_validate(g.model_dump()) for g in load_golden(self.bundled)]
        return GoldenSet(version=stored.version, cases=[*base, *stored.added], history=stored.history, added=stored.added)

    def add_trace(
        self,
        trace: Trace,
        *,
        answer: str | None = None,
        doc_ids: Sequence[str] = (),
        checks: Sequence[str] = (),
        note: str = "",
        now: datetime | None = None,
    ) -> GoldenCase:
        """Add the failing request of `trace` as a regression case; returns it (the version is bumped)."""
        golden = trace.golden
        if golden is None and answer is None:
            raise InputError(f"Trace {trace.trace_id} has no golden answer: give the expected one with --answer")
        expected = answer if answer is not None else golden.answer if golden else ""
        docs = list(doc_ids) or (list(golden.doc_ids) if golden else [])
        failing = trace if answer is None else _with_answer(trace, expected, docs)
        found, reasons = case_checks(failing, extra=checks)
        if not found:
            raise InputError(
                f"Trace {trace.trace_id} passes every regression check ({', '.join(REGRESSION_CHECKS)}); "
                "there is no failure to pin. Add --check NAME to pin a behaviour anyway"
            )
        when = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        with self._locked():
            stored = self._read()
            current = self.load()
            _refuse_duplicate(stored.added, current.id, trace, expected=expected, found=found)
            version = stored.version + 1
            qid = f"reg-{len(stored.added) + 1:03d}"
            case = GoldenCase(
                qid=qid,
                question=trace.question,
                answer=expected,
                aliases=tuple(golden.aliases) if golden and answer is None else (),
                doc_ids=tuple(docs),
                topic=_topic(current, golden.qid if golden else None),
                false_premise=golden.false_premise if golden else None,
                route=golden.expected_route if golden else None,
                checks=tuple(found),
                behaviour=_behaviour(trace, expected, docs, reasons),
                source_trace=trace.trace_id,
                regression_of=golden.qid if golden else None,
                added_in=version,
                added_at=when,
            )
            stored.added.append(case)
            stored.version = version
            stored.history.append(
                GoldenVersion(
                    version=version,
                    at=when,
                    added=[qid],
                    source_trace=trace.trace_id,
                    note=note or f"regression case from {trace.trace_id}",
                )
            )
            atomic_write_text(self.path, json.dumps(stored.model_dump(mode="json"), indent=2) + "\n")
        return case


def _with_answer(trace: Trace, expected: str, docs: list[str]) -> Trace:
    """`trace` with its golden answer replaced by the one the user gave."""
    golden = trace.golden
    return trace.model_copy(
        update={
            "golden": Golden(
                qid=golden.qid if golden else None,
                answer=expected,
                doc_ids=docs,
                false_premise=golden.false_premise if golden else None,
            )
        }
    )


def _refuse_duplicate(added: Sequence[GoldenCase], set_id: str, trace: Trace, *, expected: str, found: list[str]) -> None:
    """InputError when `trace`, or the same question and behaviour, is already a regression case."""
    for c in added:
        if c.source_trace == trace.trace_id:
            raise InputError(f"Trace {trace.trace_id} is already in {set_id} as {c.qid}")
        if c.question == trace.question and c.answer == expected and set(found) <= set(c.checks):
            raise InputError(f"{c.qid} in {set_id} already checks this question and behaviour")


def _behaviour(trace: Trace, expected: str, docs: list[str], reasons: Sequence[str]) -> str:
    """The case's behaviour in words: what it must answer, and how the trace failed it."""
    return (
        f"must answer {expected!r}"
        + (f" from {', '.join(docs)}" if docs else "")
        + f"; on {trace.trace_id} ({trace.versions.ppv}, {trace.versions.mrv.returned}, "
        f"index {trace.versions.index_snapshot}, embedder {trace.versions.embedder}) it failed " + "; ".join(reasons)
    )


def _topic(current: GoldenSet, qid: str | None) -> str:
    if qid is None:
        return ""
    return next((c.topic for c in current.cases if c.qid == qid), "")
