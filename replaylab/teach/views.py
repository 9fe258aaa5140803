"""What each investigation command shows, as Reply blocks (shared by the game and the terminal)."""

from __future__ import annotations

import json
from typing import Any

from replaylab.teach.blocks import Reply, clip
from replaylab.trace import Trace

__all__ = ["counterfactual_view", "diagnosis_view", "eval_view", "replay_view", "trace_view", "versions_rows"]


def versions_rows(trace: Trace) -> list[list[str]]:
    """The full version snapshot of a trace, one row per artifact."""
    v, c = trace.versions, trace.config
    s = c.sampling
    rows = [
        ["ALV (agent logic)", v.alv],
        ["PPV (prompt)", v.ppv],
        ["MRV (model)", f"requested {v.mrv.requested}, returned {v.mrv.returned}"],
        ["TAV (tools)", v.tav],
        ["index snapshot", f"{v.index_snapshot} (built with {c.index.embedder}, as of {c.index.as_of or 'latest'})"],
        ["query embedder", v.embedder],
        ["corpus", v.corpus_snapshot],
        ["eval set", v.eval_set],
        ["guardrails", v.guardrails],
        ["retrieval", f"top_k={c.top_k} min_score={c.min_score} order={c.context_order}"],
        ["assembly", f"tokenizer={c.tokenizer} budget={c.context_budget}"],
        ["sampling", f"temperature={s.temperature:g} top_p={s.top_p:g} seed={s.seed} max_tokens={s.max_tokens}"],
    ]
    if c.router:
        rows.append(["router", c.router])
    return rows


def trace_view(label: str, trace: Trace) -> Reply:
    r = Reply().say(f"{label} {trace.trace_id}  {trace.created_at:%Y-%m-%d %H:%M:%S}", "title")
    r.say(f"question: {trace.question}")
    r.grid(["artifact", "version"], versions_rows(trace), title="versions")
    if trace.routing.router or trace.routing.tool_calls:
        calls = "; ".join(f"{tc.tool}({json.dumps(tc.arguments)})" for tc in trace.routing.tool_calls) or "none"
        r.say(
            f"routing: intent={trace.routing.intent} ({trace.routing.confidence:.2f}) handler={trace.routing.handler} "
            f"tool calls: {calls}"
        )
    if trace.retrieval is not None:
        placed = trace.prompt.context_chunk_ids if trace.prompt else []
        dropped = set(trace.prompt.dropped_chunk_ids) if trace.prompt else set()
        rows = []
        for ch in trace.retrieval.chunks:
            where = (
                f"pos {placed.index(ch.chunk_id) + 1}/{len(placed)}"
                if ch.chunk_id in placed
                else "dropped"
                if ch.chunk_id in dropped
                else "–"
            )
            rows.append([str(ch.rank), ch.chunk_id, f"{ch.score:.3f}", ch.source, str(ch.ingested_at), where, clip(ch.title, 40)])
        title = f"retrieved chunks (query embedded with {trace.retrieval.embedder}, top_k={trace.retrieval.top_k})"
        r.grid(
            ["rank", "chunk", "score", "source", "ingested", "in prompt", "title"],
            rows,
            title=title + (" [held]" if trace.retrieval.held else ""),
        )
    if trace.prompt is not None:
        r.say(
            f"rendered prompt ({trace.prompt.template}@{trace.prompt.version}, {trace.prompt.context_tokens} context tokens):",
            "title",
        )
        for m in trace.prompt.messages:
            r.say(f"[{m.role}]\n{m.content}", "code")
    if trace.generation is not None:
        g = trace.generation
        r.say(f"output ({g.model_returned}, {g.prompt_tokens}+{g.completion_tokens} tokens, {g.latency_ms:.0f} ms):", "title")
        r.say(g.output)
    return r


def eval_view(label: str, report: Any) -> Reply:
    rows = []
    for s in report.scores:
        mark = "✓" if s.passed else ("✗" if s.passed is False else "–")
        rows.append([s.name, "error" if s.error else f"{s.value:.2f}", mark, s.error or s.reason])
    r = Reply().grid(["evaluator", "score", "pass", "reason"], rows, title=f"evaluation of {label}")
    verdict = "PASS" if report.passed else f"FAIL ({', '.join(report.failed)})"
    return r.say(f"verdict: {verdict}", "good" if report.passed else "bad")


def diagnosis_view(label: str, d: Any) -> Reply:
    r = Reply().say(f"diagnosis of {label}: {d.layer} (confidence {d.confidence:.2f})", "title").say(d.summary)
    rows = []
    for layer, ev in d.evidence.items():
        rows.append([layer, " | ".join(ev.for_[:2]) or "–", " | ".join(ev.against[:2]) or "–"])
    r.grid(["layer", "for", "against"], rows, title="evidence")
    if d.suspects:
        r.say(f"suspects: {', '.join(d.suspects)}")
    if d.next_step:
        r.say(f"next: {d.next_step}", "dim")
    return r


def counterfactual_view(label: str, report: Any) -> Reply:
    rows = []
    for run in report.runs:
        verdict = f"skipped: {run.skipped}" if run.skipped else run.error or ("PASS" if run.passed else "FAIL")
        aic = "–" if run.answer_in_context is None else ("yes" if run.answer_in_context else "no")
        rows.append([run.name, run.description, verdict, aic, clip(run.output or "", 70)])
    return (
        Reply()
        .grid(["run", "context", "verdict", "answer in context", "output"], rows, title=f"counterfactuals of {label}")
        .say(report.summary, "dim")
    )


def replay_view(
    ref: str, label: str, old: Trace, new: Trace, before: Any, after: Any, *, assignment: str, layer: str, runs: int, free: int
) -> Reply:
    def top(t: Trace) -> str:
        if t.retrieval is None:
            return "–"
        return ", ".join(f"{c.chunk_id}({c.score:.2f})" for c in t.retrieval.chunks[:3])

    def out(t: Trace) -> str:
        return t.generation.output if t.generation else "(no output)"

    def verdict(rep: Any) -> str:
        return "PASS" if rep.passed else f"FAIL ({', '.join(rep.failed)})"

    r = Reply().say(f"{ref} = {label} replayed with {assignment} ({layer} layer)", "title")
    r.grid(
        ["", f"recorded {label}", f"replay {ref}"],
        [
            ["output", out(old), out(new)],
            ["verdict", verdict(before), verdict(after)],
            ["top chunks", top(old), top(new)],
            ["model", old.versions.mrv.returned, new.versions.mrv.returned],
        ],
    )
    if after.passed and not before.passed:
        r.say(f"The swap fixes {label}.", "good")
    elif not after.passed:
        r.say(f"Still failing with {assignment}.", "bad")
    r.say(f"sandbox runs: {runs} ({free} free)", "dim")
    return r
