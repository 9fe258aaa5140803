"""The Markdown of a postmortem draft: one function per section, each filled from data or
saying in words that there is none. Drift vs acute is decided from the cause:

- a configuration or artifact change (prompt, model, embedder, sampling, retrieval and
  assembly knobs, router, tools) is *acute*: one change at one moment, fixed by a rollback;
- an index built from an older corpus than the one served (`index` with an `as_of`) is a
  *drift*: the snapshot ages every day the pipeline stays stopped; fixed by a rebuild and a
  freshness alert, not by a rollback;
- an ingested batch (`corpus`) is an acute *data incident* with a drift-like footprint (one
  topic cluster from the ingestion date on).

The sections up to the cause are here; the ones after it in `postmortem.response`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from replaylab.postmortem import response
from replaylab.postmortem.context import SectionContext
from replaylab.postmortem.inputs import PostmortemInput
from replaylab.postmortem.markup import CONFIRM, fence, pct, table
from replaylab.stack.pipeline import Stack
from replaylab.teach.views import versions_rows
from replaylab.trace import Trace

_INCIDENT_TYPE = {
    "retrieval": "quality degradation (retrieval)",
    "generation": "quality degradation (generation)",
    "routing": "quality degradation (routing)",
    "upstream_data": "data incident",
}


def _header(c: SectionContext, now: datetime) -> list[str]:
    inp = c.inp
    j = inp.journal
    title = (
        f"{j.title or j.scenario} (drill {j.scenario})"
        if j
        else (f"failing request {c.primary.trace_id}" if c.primary else "bisect report")
    )
    out = [
        f"# Postmortem draft: {title}",
        "",
        f"> Drafted by replaylab on {now:%Y-%m-%d %H:%M} UTC from the {inp.kind} "
        f"{'journal' if j else 'report'} `{inp.source}`. Timeline and evidence come from recorded data; every "
        f"causal claim is marked {CONFIRM}. Traces: {inp.trace_note or 'none'}.",
        "",
    ]
    if c.primary is not None:
        out += [
            f'- Failing request: `{c.primary.trace_id}` at {c.primary.created_at:%Y-%m-%d %H:%M:%S} UTC: "{c.primary.question}"'
        ]
    if j is not None:
        out.append(
            f"- Drill status: {j.status}; {'passed' if j.passed else 'deviated'}; pass rate "
            f"{pct(j.steady_state_before)} before the fault, {pct(j.pass_rate_under_fault)} under it, "
            f"{pct(j.steady_state_after)} after the rollback"
        )
    return [*out, ""]


def _root_cause(c: SectionContext) -> list[str]:
    out = [f"## Root cause (draft from replay evidence) {CONFIRM}", ""]
    r = c.inp.result
    if r is None:
        return [
            *out,
            "No data: no bisect ran, so no variable is isolated. "
            + (f"The drill's error: {c.inp.journal.error}" if c.inp.journal and c.inp.journal.error else ""),
            "",
        ]
    for cause in r.causes:
        out.append(
            f"- `{cause.variable}` ({cause.layer} layer): swapping it alone from `{json.dumps(cause.bad_value)}` "
            f"back to `{json.dumps(cause.good_value)}` fixes the failing request in {cause.fix_rate:.0%} of "
            f"{len(r.seeds)} seed(s); setting it alone to the failing value breaks the known-good configuration "
            f"in {cause.cause_rate:.0%}."
        )
    for v in r.independent_causes():
        out.append(f"- Independent cause: `{v}` fails on its own (ddmin, 1-minimal); revert it too.")
    for group in r.true_interactions():
        out.append(f"- Interaction: {', '.join(group)} fail only together (ddmin, 1-minimal).")
    for fb in r.first_bad_version:
        out.append(
            f"- First bad version of `{fb.variable}`: version {fb.index + 1} `{json.dumps(fb.value)}` "
            f"(last good: version {fb.last_good_index + 1}, oldest = 1; {fb.replays} replays)."
        )
    if r.culprit_chunks:
        out.append(f"- Culprit chunks (removing them makes the request pass): {', '.join(r.culprit_chunks)}.")
    if not r.causes and not r.interactions:
        out.append(f"- No cause isolated: {r.stopped_because}")
    out.append(
        f"- Bisect: {'reproducible' if r.reproducible else 'NOT reproducible'} (bad fails {r.bad_fail_rate:.0%}, "
        f"good passes {r.good_pass_rate:.0%}); {r.replays} replays; stopped because {r.stopped_because}"
    )
    return [*out, ""]


def _versions(c: SectionContext) -> list[str]:
    out = ["## Version snapshot at incident start", ""]
    if c.primary is None:
        return [*out, "No data: no failing trace is available, and the version snapshot lives in the trace.", ""]
    good = c.inp.good_values()
    out += table(["artifact", "at incident start"], versions_rows(c.primary))
    if good:
        out += ["Known-good values of the variables bisect named:", ""]
        out += table(
            ["variable", "failing", "known good"],
            [[v, json.dumps(cause.bad_value), json.dumps(cause.good_value)] for cause in c.causes for v in [cause.variable]],
        )
    if c.inp.result is not None:
        out += [f"Variables that differ from the known-good configuration: {', '.join(c.inp.result.differing) or 'none'}.", ""]
    return out


def _trace_block(t: Trace, path: Path | None, report: Any) -> list[str]:
    from replaylab.evals import evaluate

    report = report or evaluate(t)
    failed = [f"{s.name}: {s.reason}" for s in report.scores if s.passed is False]
    out = [
        f"### `{t.trace_id}`",
        "",
        f'- Question: "{t.question}"; expected: {json.dumps(t.golden.answer) if t.golden else "no golden answer"}',
        f"- Replay in the sandbox: `replaylab replay {path or '<trace file>'}`",
        f"- Verdict: {'PASS' if report.passed else 'FAIL'}; failing evaluators: {'; '.join(failed) or 'none'}",
        "",
    ]
    if t.retrieval is not None:
        placed = t.prompt.context_chunk_ids if t.prompt else []
        out += table(
            ["rank", "chunk", "score", "source", "ingested", "in prompt", "text"],
            [
                [
                    ch.rank,
                    ch.chunk_id,
                    f"{ch.score:.3f}",
                    ch.source,
                    ch.ingested_at,
                    placed.index(ch.chunk_id) + 1 if ch.chunk_id in placed else "no",
                    ch.text[:140],
                ]
                for ch in t.retrieval.chunks
            ],
        )
    if t.prompt is not None:
        out += ["Rendered prompt:", "", *fence("\n\n".join(f"[{m.role}]\n{m.content}" for m in t.prompt.messages))]
    out += ["Output:", "", *fence(t.generation.output if t.generation else "(no generation span)")]
    return out


def _evidence(c: SectionContext) -> list[str]:
    out = ["## Request-level evidence", ""]
    j = c.inp.journal
    if j is not None:
        out += [
            f"Failing trace ids in the drill journal ({len(j.failing_trace_ids)}): "
            + (", ".join(f"`{t}`" for t in j.failing_trace_ids[:12]) or "none"),
            "",
        ]
    if not c.inp.traces:
        return [*out, f"No trace attached: {c.inp.trace_note}.", ""]
    for i, t in enumerate(c.inp.traces[:3]):
        out += _trace_block(t, c.inp.trace_paths.get(t.trace_id), c.report if i == 0 else None)
    return out


def _layers(c: SectionContext) -> list[str]:
    out = ["## Failure layer classification", ""]
    j = c.inp.journal
    layer = None
    if c.diagnosis is not None:
        d = c.diagnosis
        layer = d.layer
        out += [
            f"Diagnosis of `{c.primary.trace_id if c.primary else '?'}`: **{d.layer}** (confidence "
            f"{d.confidence:.2f}). {d.summary} {CONFIRM}",
            "",
        ]
        out += table(
            ["layer", "evidence for", "evidence against"],
            [[k, " / ".join(ev.for_) or "none", " / ".join(ev.against) or "none"] for k, ev in d.evidence.items()],
        )
    else:
        out += [f"No per-layer evidence: {c.diagnosis_error or 'no failing trace to diagnose'}.", ""]
    if c.causes:
        out.append(f"Bisect files the cause(s) under: {', '.join(f'{x.variable} → {x.layer}' for x in c.causes)}.")
    if j is not None and j.diagnosed_layer:
        layer = layer or j.diagnosed_layer
        out.append(f"The drill's diagnosis over its failing requests: {j.diagnosed_layer} (votes {j.diagnosis_votes}).")
    if layer and layer in _INCIDENT_TYPE:
        out.append(f"Incident type: {_INCIDENT_TYPE[layer]}.")
    return [*out, ""]


def render(inp: PostmortemInput, *, stack: Stack, now: datetime) -> str:
    c = SectionContext(inp, stack)
    parts = [
        _header(c, now),
        _root_cause(c),
        _versions(c),
        _evidence(c),
        _layers(c),
        response.timeline(c),
        response.drift(c),
        response.eval_gap(c),
        response.guardrails(c),
        response.recovery(c),
        response.residual(c),
        response.signals(c),
    ]
    return "\n".join(line for part in parts for line in part).rstrip() + "\n"
