"""The memoised replay runner bisect searches with, and the types it speaks.

    prober = Prober(outcome=replay, seeds=[0, 1, 2], pass_threshold=0.5)
    prober.verdict(assignment, phase="fix", name="index", bad=["prompt"]).status  # "pass"
    prober.replays, prober.cache_hits                                         # 3, 0

Every (assignment, seed) is replayed at most once: assignments are keyed by a hash of
their canonical JSON, so two equal configurations built in different ways share a
replay. Only replays actually run become Steps; a memo hit is only counted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from replaylab.errors import CassetteMiss, ReplayFailed

__all__ = [
    "ChunkOutcome",
    "Outcome",
    "Phase",
    "Prober",
    "RunResult",
    "Step",
    "Verdict",
    "canonical",
    "jsonable",
]


class RunResult(BaseModel):
    """What one replay returns."""

    passed: bool | None
    """True pass, False fail, None unresolved (cassette miss, model error): git bisect's skip."""
    scores: dict[str, float] = Field(default_factory=dict)
    """Score name -> value, e.g. an evaluator's score or a token count (empty: none reported)."""
    reason: str = ""
    """One line, e.g. "correct=0 (expected '45 days')"."""
    ref: str | None = None
    """An opaque id of the evidence, e.g. a trace id."""


Outcome = Callable[[Mapping[str, Any], int], RunResult]
"""One replay: (full assignment variable -> value, seed) -> result."""

ChunkOutcome = Callable[[Sequence[str], int], RunResult]
"""One replay of the bad run with its context held to exactly these chunk ids, in order."""

Phase = Literal["reproduce", "fix", "cause", "ddmin", "version", "chunks"]


class Step(BaseModel):
    """One replay that was run, and what it was for."""

    phase: Phase
    """What the replay was for: `reproduce` (good and bad), `fix` (bad with one variable good), `cause` (good
    with one variable bad), `ddmin` (a subset of the differing variables bad), `version` (one version of a
    variable's history) or `chunks` (the context held to a subset of the bad run's chunks)."""
    name: str
    """What was tried: "bad", "index" (the swapped variable), "prompt@3", "without c7"."""
    bad: list[str]
    """The differing variables at their bad value in this replay."""
    version: int | None = None
    """For phase "version": the position in the history of the variable in `name`."""
    chunks: list[str] | None = None
    """For phase "chunks": the chunk ids the context was held to."""
    seed: int
    """The seed this replay ran with."""
    result: RunResult
    """What the replay returned."""


class Verdict(BaseModel):
    """One configuration over all the seeds."""

    passed: int = 0
    failed: int = 0
    unresolved: int = 0
    status: Literal["pass", "fail", "unresolved"]
    """pass: pass rate over resolved seeds >= the threshold; unresolved: no seed resolved."""

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.unresolved

    def tally(self, of: Literal["pass", "fail"]) -> str:
        """'2/10 seeds' passed (or failed) out of the resolved ones, unresolved ones named."""
        hits = self.passed if of == "pass" else self.failed
        text = f"{hits}/{self.passed + self.failed} seeds"
        return text + (f" ({self.unresolved} unresolved)" if self.unresolved else "")

    @property
    def pass_rate(self) -> float | None:
        resolved = self.passed + self.failed
        return self.passed / resolved if resolved else None

    @property
    def fail_rate(self) -> float | None:
        resolved = self.passed + self.failed
        return self.failed / resolved if resolved else None


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(canonical(v) for v in value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def canonical(value: Any) -> str:
    """Canonical JSON of `value`: equal configurations give equal strings."""
    return json.dumps(value, sort_keys=True, default=_default, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data (pydantic models dumped, anything unknown as str)."""
    return json.loads(json.dumps(value, default=_default))


class Prober:
    """Runs replays over the seeds through a memo, counting what it runs and skips."""

    def __init__(
        self,
        *,
        outcome: Outcome,
        seeds: Sequence[int],
        pass_threshold: float = 0.5,
        on_step: Callable[[Step], None] | None = None,
    ) -> None:
        self.seeds = list(seeds)
        self.pass_threshold = pass_threshold
        self.replays = 0
        """Replays run."""
        self.cache_hits = 0
        """Replays asked for again and answered from the memo."""
        self.unresolved = 0
        """Replays run that did not resolve."""
        self.steps: list[Step] = []
        self._outcome = outcome
        self._on_step = on_step
        self._memo: dict[tuple[str, int], RunResult] = {}

    def verdict(
        self,
        assignment: Mapping[str, Any],
        *,
        phase: Phase,
        name: str,
        bad: Sequence[str],
        version: int | None = None,
    ) -> Verdict:
        """Replay `assignment` over every seed (memo first) and judge it."""
        key = "config:" + _digest(canonical(dict(assignment)))
        frozen = dict(assignment)

        def run(seed: int) -> RunResult:
            return self._outcome(frozen, seed)

        step = {"phase": phase, "name": name, "bad": list(bad), "version": version}
        return self._judge([self._replay(key, seed, run, step) for seed in self.seeds])

    def verdict_chunks(
        self,
        chunk_ids: Sequence[str],
        *,
        chunk_outcome: ChunkOutcome,
        name: str,
        bad: Sequence[str],
    ) -> Verdict:
        """Replay the bad run with its context held to `chunk_ids`, over every seed."""
        ids = list(chunk_ids)
        key = "chunks:" + _digest(json.dumps(ids))

        def run(seed: int) -> RunResult:
            return chunk_outcome(ids, seed)

        step = {"phase": "chunks", "name": name, "bad": list(bad), "chunks": ids}
        return self._judge([self._replay(key, seed, run, step) for seed in self.seeds])

    def _replay(self, key: str, seed: int, run: Callable[[int], RunResult], step: dict[str, Any]) -> RunResult:
        memo_key = (key, seed)
        if memo_key in self._memo:
            self.cache_hits += 1
            return self._memo[memo_key]
        try:
            result = run(seed)
        # a replay that could not run is unresolved, like git bisect skip
        except (ReplayFailed, CassetteMiss) as exc:
            first_line = (str(exc).splitlines() or [""])[0]
            result = RunResult(passed=None, reason=f"{type(exc).__name__}: {first_line}")
        self._memo[memo_key] = result
        self.replays += 1
        if result.passed is None:
            self.unresolved += 1
        done = Step(seed=seed, result=result, **step)
        self.steps.append(done)
        if self._on_step is not None:
            self._on_step(done)
        return result

    def _judge(self, results: list[RunResult]) -> Verdict:
        passed = sum(r.passed is True for r in results)
        failed = sum(r.passed is False for r in results)
        unresolved = len(results) - passed - failed
        if not passed + failed:
            status: Literal["pass", "fail", "unresolved"] = "unresolved"
        else:
            status = "pass" if passed / (passed + failed) >= self.pass_threshold else "fail"
        return Verdict(passed=passed, failed=failed, unresolved=unresolved, status=status)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
