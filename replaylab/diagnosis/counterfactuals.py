"""Counterfactual replays of one trace: the same request with five different contexts.

    recorded      the recorded retrieved context, held
    oracle        the chunks of the golden documents in the *current* corpus (the ones
                  holding the answer when any do, else every chunk of those documents)
    no_context    no context at all
    answer_first  the recorded context with the answer-bearing chunk moved first
    answer_last   answer_first mirrored: the answer-bearing chunk last, next to the question,
                  with the same neighbours (models with a recency bias, like Gemma 3 270M,
                  read the end of a context the way others read its start)

Each run is scored with the gating evaluators and `answer_in_context`, lexically, so the
five replays cost five generations and no embedding. A run that cannot apply (no golden
documents, no recorded chunk holding the answer) is `skipped` with the reason; a replay that
fails to run is recorded with its `error`, never raised.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from replaylab.errors import ReplaylabError
from replaylab.evals import EvalSettings, Score, evaluate, verdict
from replaylab.evals.retrieval import answer_chunks
from replaylab.evals.text import find_needle, specific_needles
from replaylab.stack.pipeline import Stack, Stage
from replaylab.trace import Golden, RetrievedChunk, Trace
from replaylab.variables import apply_values

__all__ = ["CounterfactualReport", "CounterfactualRun", "RunName", "counterfactuals", "oracle_chunk_ids", "recorded_chunk_ids"]

RunName = Literal["recorded", "oracle", "no_context", "answer_first", "answer_last"]

_DESCRIPTIONS: dict[RunName, str] = {
    "recorded": "the recorded retrieved context, held",
    "oracle": "the golden documents' chunks from the current corpus",
    "no_context": "no context",
    "answer_first": "the recorded context with the answer-bearing chunk first",
    "answer_last": "the answer-first context mirrored: the answer-bearing chunk last, next to the question",
}


class CounterfactualRun(BaseModel):
    """One counterfactual replay."""

    name: RunName
    """Which context: `recorded`, `oracle`, `no_context`, `answer_first` or `answer_last`."""
    description: str
    """That context in words, e.g. "no context"."""
    context_chunk_ids: list[str] = Field(default_factory=list)
    """The chunks placed in the prompt, in order."""
    output: str | None = None
    """The replay's answer (None when skipped or failed to run)."""
    passed: bool | None = None
    """The verdict of the replay (None when skipped or failed to run)."""
    answer_in_context: bool | None = None
    """Whether a chunk in this context holds the golden answer string."""
    scores: list[Score] = Field(default_factory=list)
    """The gating evaluators' and `answer_in_context`'s scores of the replay (empty when skipped or failed to run)."""
    skipped: str | None = None
    """Why the run could not apply, e.g. "no recorded chunk holds the answer" (None: it ran or failed)."""
    error: str | None = None
    """`Type: message` when the replay failed to run (None: it ran or was skipped)."""
    trace_id: str | None = None
    """Id of the replayed trace (None when skipped or failed to run)."""


class CounterfactualReport(BaseModel):
    """The five replays of one trace and what they say together."""

    trace_id: str
    """Id of the trace the counterfactuals replay."""
    recorded_output: str
    """The recorded answer ("" when the trace has no generation)."""
    recorded_passed: bool
    """The recorded trace's verdict from the gating evaluators, scored lexically like the runs."""
    runs: list[CounterfactualRun]
    """The five runs, in the order recorded, oracle, no_context, answer_first, answer_last."""
    summary: str
    """One clause per run, joined by `; `: `oracle: PASS ('...')`, `answer_first: skipped (...)`."""
    oracle_holds_answer: bool | None = None
    """Whether the golden documents in the current corpus state the answer (None: no golden)."""
    _traces: dict[str, Trace] = PrivateAttr(default_factory=dict)

    @property
    def traces(self) -> dict[str, Trace]:
        """The replayed traces by run name (kept in memory, never serialised)."""
        return self._traces

    def run(self, name: RunName) -> CounterfactualRun:
        return next(r for r in self.runs if r.name == name)


def recorded_chunk_ids(trace: Trace) -> list[str]:
    """The recorded context: prompt order, then chunks the assembler dropped."""
    if trace.prompt is not None:
        return [*trace.prompt.context_chunk_ids, *trace.prompt.dropped_chunk_ids]
    if trace.retrieval is not None:
        return [c.chunk_id for c in sorted(trace.retrieval.chunks, key=lambda c: c.rank)]
    return []


def oracle_chunk_ids(stack: Stack, trace: Trace, golden: Golden) -> tuple[list[str], bool]:
    """(chunk ids, whether they hold the answer): the golden documents' chunks in the current
    corpus, only the answer-bearing ones when there are any, at most `top_k`."""
    cfg = trace.config
    current = stack.chunks(cfg.corpus, cfg.index.model_copy(update={"as_of": None}))
    mine = [c for c in current if c.doc_id in set(golden.doc_ids)]
    needles = specific_needles(golden.answer, golden.aliases)
    holding = [c for c in mine if find_needle(f"{c.title}. {c.text}", needles) is not None]
    chosen = holding or mine
    return [c.chunk_id for c in chosen[: max(cfg.top_k, 1)]], bool(holding)


def _score_run(run: CounterfactualRun, new: Trace, settings: EvalSettings) -> None:
    report = evaluate(new, evaluators=[*settings.gate, "answer_in_context"], settings=settings)
    run.output = new.generation.output if new.generation else ""
    run.passed = report.passed
    run.scores = report.scores
    aic = report.score("answer_in_context")
    run.answer_in_context = None if aic is None or aic.passed is None else aic.value == 1.0
    run.context_chunk_ids = list(new.prompt.context_chunk_ids) if new.prompt else []
    run.trace_id = new.trace_id


def _replay(
    stack: Stack,
    trace: Trace,
    name: RunName,
    overrides: dict[str, Any],
    holds: tuple[Stage, ...],
    settings: EvalSettings,
    out: dict[str, Trace],
    *,
    fresh: bool = False,
) -> CounterfactualRun:
    run = CounterfactualRun(name=name, description=_DESCRIPTIONS[name])
    try:
        if fresh:  # chunk ids resolve against the current corpus, not the recording's copies
            config = apply_values(trace.config, overrides)
            new = stack.run(trace.question, config, golden=trace.golden, session_id=trace.session_id, tags=trace.tags)
        else:
            new = stack.replay(trace, overrides=overrides, holds=holds)
    except ReplaylabError as exc:
        run.error = f"{type(exc).__name__}: {exc}"
        return run
    out[name] = new
    _score_run(run, new, settings)
    return run


def _answer_first(trace: Trace, golden: Golden) -> tuple[list[str], str | None]:
    """The recorded context's chunk ids with the best answer-bearing chunk moved first (answer_last
    is this arrangement mirrored: the answer chunk last, its neighbours in the same distance order)."""
    ids = recorded_chunk_ids(trace)
    chunks: dict[str, RetrievedChunk] = {c.chunk_id: c for c in (trace.retrieval.chunks if trace.retrieval else [])}
    ordered = [chunks[i] for i in ids if i in chunks]
    holding = answer_chunks(ordered, golden)
    if not holding:
        return [], "no recorded chunk holds the answer"
    moved = holding[0][1].chunk_id
    return [moved, *(i for i in ids if i != moved)], None


def counterfactuals(stack: Stack, trace: Trace, *, settings: EvalSettings | None = None) -> CounterfactualReport:
    """Replay `trace` with the recorded, oracle, empty, answer-first and answer-last contexts."""
    # every run here is scored lexically: no embedder
    settings = (settings or EvalSettings()).model_copy(update={"semantic_embedder": None})
    recorded = verdict(trace, settings=settings)
    golden = trace.golden
    traces: dict[str, Trace] = {}
    runs: list[CounterfactualRun] = []

    if trace.retrieval is not None and trace.config.context is None:
        runs.append(_replay(stack, trace, "recorded", {}, ("retrieval",), settings, traces))
    else:  # the recording held its context already (or had none): replaying the config holds it again
        runs.append(_replay(stack, trace, "recorded", {} if trace.retrieval else {"context": []}, (), settings, traces))

    oracle, holds_answer = _oracle_run(stack, trace, golden, settings, traces)
    runs.append(oracle)

    runs.append(_replay(stack, trace, "no_context", {"context": []}, (), settings, traces))

    first, why = _answer_first(trace, golden) if golden is not None else ([], "no golden answer to find in the context")
    moves: tuple[tuple[RunName, list[str]], ...] = (("answer_first", first), ("answer_last", first[::-1]))
    for name, ids in moves:
        if why is not None:
            runs.append(CounterfactualRun(name=name, description=_DESCRIPTIONS[name], skipped=why))
        else:
            runs.append(_replay(stack, trace, name, {"context": ids, "context_order": "rank"}, (), settings, traces))

    out = trace.generation.output if trace.generation else ""
    report = CounterfactualReport(
        trace_id=trace.trace_id,
        recorded_output=out,
        recorded_passed=recorded.passed,
        runs=runs,
        summary=_summary(runs),
        oracle_holds_answer=holds_answer,
    )
    report._traces = traces
    return report


def _oracle_run(
    stack: Stack, trace: Trace, golden: Golden | None, settings: EvalSettings, traces: dict[str, Trace]
) -> tuple[CounterfactualRun, bool | None]:
    """The replay with the golden documents' chunks from the current corpus, and whether they hold the answer."""
    if golden is None or not golden.doc_ids:
        skipped = "no golden documents to build an oracle context from"
        return CounterfactualRun(name="oracle", description=_DESCRIPTIONS["oracle"], skipped=skipped), None
    try:
        ids, holds_answer = oracle_chunk_ids(stack, trace, golden)
    except ReplaylabError as exc:
        error = f"{type(exc).__name__}: {exc}"
        return CounterfactualRun(name="oracle", description=_DESCRIPTIONS["oracle"], error=error), None
    if not ids:
        skipped = f"the current corpus holds none of {golden.doc_ids}"
        return CounterfactualRun(name="oracle", description=_DESCRIPTIONS["oracle"], skipped=skipped), holds_answer
    run = _replay(stack, trace, "oracle", {"context": ids, "context_order": "rank"}, (), settings, traces, fresh=True)
    return run, holds_answer


def _summary(runs: list[CounterfactualRun]) -> str:
    parts = []
    for r in runs:
        if r.skipped:
            parts.append(f"{r.name}: skipped ({r.skipped})")
        elif r.error:
            parts.append(f"{r.name}: error ({r.error})")
        else:
            text = (r.output or "").replace("\n", " ")
            text = text if len(text) <= 60 else text[:59] + "…"
            parts.append(f"{r.name}: {'PASS' if r.passed else 'FAIL'} ({text!r})")
    return "; ".join(parts)
