"""The Markdown of a postmortem draft: one function per section, each filled from data or
saying in words that there is none. Drift vs acute is decided from the cause:

- a configuration or artifact change (prompt, model, embedder, sampling, retrieval and
  assembly knobs, router, tools) is *acute*: one change at one moment, fixed by a rollback;
- an index built from an older corpus than the one served (`index` with an `as_of`) is a
  *drift*: the snapshot ages every day the pipeline stays stopped; fixed by a rebuild and a
  freshness alert, not by a rollback;
- an ingested batch (`corpus`) is an acute *data incident* with a drift-like footprint (one
  topic cluster from the ingestion date on).
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from replaylab.errors import ReplaylabError
from replaylab.postmortem.inputs import GUARDRAILS, PostmortemInput
from replaylab.postmortem.relevance import drill_window, in_window, relevant_detectors
from replaylab.stack.pipeline import Stack
from replaylab.teach.views import versions_rows
from replaylab.trace import Trace

CONFIRM = "**[needs human confirmation]**"
_ACUTE = {
    "prompt",
    "model",
    "embedder",
    "sampling",
    "top_k",
    "min_score",
    "tokenizer",
    "context_budget",
    "context_order",
    "router",
    "tools",
    "context",
}
_INCIDENT_TYPE = {
    "retrieval": "quality degradation (retrieval)",
    "generation": "quality degradation (generation)",
    "routing": "quality degradation (routing)",
    "upstream_data": "data incident",
}


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _cell(v: object) -> str:
    return " ".join(str(v).split()).replace("|", "\\|")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _fence(text: str) -> list[str]:
    fence = "~~~~" if "```" in text else "```"
    return [fence, text, fence, ""]


class _Ctx:
    """What the sections share: the input, the stack, and replays run once."""

    def __init__(self, inp: PostmortemInput, stack: Stack) -> None:
        from replaylab.evals import evaluate

        self.inp, self.stack = inp, stack
        self.primary = inp.primary
        self.causes = list(inp.result.causes) if inp.result else []
        self.cause_vars = [c.variable for c in self.causes] or (list(inp.journal.bisect_causes) if inp.journal else [])
        self.report = evaluate(self.primary) if self.primary else None
        self.after: Trace | None = None
        self.after_error = ""
        self.diagnosis: Any = None
        self.diagnosis_error = ""
        if self.primary is not None:
            self._replay()

    def _replay(self) -> None:
        from replaylab.cassettes.session import cassette_session
        from replaylab.diagnosis.tree import diagnose
        from replaylab.teach.incident import sandbox_pins

        t = self.primary
        assert t is not None
        path = self.inp.trace_paths.get(t.trace_id, Path(f"{t.trace_id}.json"))
        with ExitStack() as es:
            es.enter_context(sandbox_pins(self.stack))
            try:
                es.enter_context(cassette_session(t, trace_path=path, live=False, stack=self.stack))
                self.diagnosis = diagnose(self.stack, t, good=self.inp.good_config())
            except ReplaylabError as exc:
                self.diagnosis_error = str(exc).splitlines()[0]
            if self.inp.good_values():
                try:
                    self.after = self.stack.replay(t, overrides=self.inp.good_values())
                except ReplaylabError as exc:
                    self.after_error = str(exc).splitlines()[0]


def _header(c: _Ctx, now: datetime) -> list[str]:
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
            f"{_pct(j.steady_state_before)} before the fault, {_pct(j.pass_rate_under_fault)} under it, "
            f"{_pct(j.steady_state_after)} after the rollback"
        )
    return [*out, ""]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _root_cause(c: _Ctx) -> list[str]:
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


def _versions(c: _Ctx) -> list[str]:
    out = ["## Version snapshot at incident start", ""]
    if c.primary is None:
        return [*out, "No data: no failing trace is available, and the version snapshot lives in the trace.", ""]
    good = c.inp.good_values()
    out += _table(["artifact", "at incident start"], versions_rows(c.primary))
    if good:
        out += ["Known-good values of the variables bisect named:", ""]
        out += _table(
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
        out += _table(
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
        out += ["Rendered prompt:", "", *_fence("\n\n".join(f"[{m.role}]\n{m.content}" for m in t.prompt.messages))]
    out += ["Output:", "", *_fence(t.generation.output if t.generation else "(no generation span)")]
    return out


def _evidence(c: _Ctx) -> list[str]:
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


def _layers(c: _Ctx) -> list[str]:
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
        out += _table(
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


def _timeline(c: _Ctx) -> list[str]:
    out = ["## Timeline", ""]
    rows: list[list[Any]] = []
    if c.primary is not None:
        template = c.primary.versions.ppv.split("@")[0]
        window = drill_window(c.inp.journal) if c.inp.journal is not None else None
        moves = [
            m
            for m in c.stack.prompts.history()
            if m.template == template and m.at <= c.primary.created_at.isoformat() and in_window(m.at, window)
        ][-3:]  # a drill's own label moves only: `drill --all` moves labels in the other drills too
        rows += [[m.at, f"label {m.template}:{m.label} moved {m.previous} → {m.version}"] for m in moves]
        if c.primary.retrieval and c.primary.retrieval.chunks:
            newest = max(ch.ingested_at for ch in c.primary.retrieval.chunks)
            rows.append([str(newest), "newest document ingestion among the retrieved chunks"])
        for t in c.inp.traces[:3]:
            label = c.stack.prompts.label_as_of(template, "production", t.created_at.date())
            rows.append(
                [
                    t.created_at.isoformat(timespec="seconds"),
                    f"failing request `{t.trace_id}` served "
                    f"{t.versions.ppv} and {t.versions.mrv.returned} (production label then: {template}@{label})",
                ]
            )
    if c.inp.journal is not None:
        for s in c.inp.journal.steps:
            fields = s.detail.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            detail = ", ".join(f"{k}={_clip(json.dumps(v, default=str), 70)}" for k, v in fields.items())
            rows.append(
                [s.started_at.isoformat(timespec="seconds"), f"drill step **{s.name}** ({s.status}, {s.elapsed_s:.2f}s) {detail}"]
            )
    if not rows:
        return [*out, "No data: neither a trace nor a journal with timestamps is available.", ""]
    return out + _table(["when (UTC)", "event"], sorted(rows, key=lambda r: str(r[0])))


def _drift(c: _Ctx) -> list[str]:
    out = ["## Drift vs acute failure", ""]
    if not c.cause_vars:
        return [*out, "Not classified: no cause was isolated, so the onset cannot be tied to a change.", ""]
    for v in c.cause_vars:
        if v == "index" and c.primary is not None and c.primary.config.index.as_of is not None:
            as_of = c.primary.config.index.as_of
            newest = max(d.ingested_at for d in c.stack.documents(c.primary.config.corpus))
            out.append(
                f"- `index`: **drift**. The served snapshot holds the corpus as of {as_of} while the corpus "
                f"holds documents up to {newest} ({(newest - as_of).days} days newer); it ages every day the "
                f"pipeline stays stopped. A rebuild and a freshness alert fix it, not a rollback. {CONFIRM}"
            )
        elif v == "corpus":
            out.append(
                f"- `corpus`: **acute data incident** (a batch entered the corpus) with a drift-like footprint: "
                f"failures cluster on the batch's topic from its ingestion on. {CONFIRM}"
            )
        elif v in _ACUTE or v == "index":
            out.append(f"- `{v}`: **acute**. One change at one moment; a rollback of `{v}` restores service. {CONFIRM}")
    j = c.inp.journal
    if j is not None and j.steady_state_before is not None and j.pass_rate_under_fault is not None:
        fell = f"- Pass rate fell from {j.steady_state_before:.0%} to {j.pass_rate_under_fault:.0%} within one traffic window"
        if "index" in c.cause_vars and c.primary is not None and c.primary.config.index.as_of is not None:
            out.append(
                f"{fell}: the drill injects the whole lag at once. In production the same drift arrives gradually, "
                "one updated document at a time, so alert on the snapshot's age rather than on a pass-rate jump."
            )
        else:
            out.append(f"{fell} after the fault step: a step change, not a slope, as an acute change makes.")
    return [*out, ""]


def _eval_gap(c: _Ctx) -> list[str]:
    from replaylab.golden.store import GoldenStore, case_checks

    out = ["## Why the existing evals and detectors missed it", ""]
    gs = GoldenStore(c.stack.ws).load()
    if c.primary is not None:
        t = c.primary
        same = [g for g in gs.cases if g.question == t.question or (t.golden and g.qid == t.golden.qid)]
        out.append(
            f"- Eval set at incident time: {t.versions.eval_set}; the workspace set is now {gs.id} ({len(gs.cases)} cases)."
        )
        if same:
            out.append(
                f"- The failing question is in the eval set as {', '.join(g.qid for g in same)}: the case existed, "
                "so the gap is that the changed configuration was never replayed against it before release."
            )
        else:
            out.append("- No eval case asks the failing question: the set had no coverage for it.")
        checks, reasons = case_checks(t)
        out.append(f"- Behaviour that failed: {'; '.join(reasons) or 'none of the regression checks'}.")
        fp = sum(1 for g in gs.cases if g.false_premise)
        out.append(f"- Behavioural coverage: {fp} of {len(gs.cases)} cases carry a false premise (sycophancy check).")
        path = c.inp.trace_paths.get(t.trace_id)
        out.append(
            f"- Eval case to add: `replaylab golden add {path or t.trace_id + '.json'}` (pins "
            f"{', '.join(checks) or 'no failing check'})."
        )
    else:
        out.append("- No data on the eval set: no failing trace is available.")
    j = c.inp.journal
    if j is None:
        out.append("- Detectors: no data (a bisect covers one request; `replaylab drill` measures detector coverage).")
    elif not j.detections:
        out.append("- Detectors: none ran in the drill.")
    else:
        for d in j.detections:
            name = d.get("detector") or d.get("name") or "detector"
            why = d.get("reason") or d.get("summary") or d.get("error") or ""
            out.append(f"- Detector `{name}`: {'fired' if d.get('fired') else 'did NOT fire'}{': ' + str(why) if why else ''}")
    return [*out, ""]


def _guardrails(c: _Ctx) -> list[str]:
    out = ["## New guardrails", ""]
    seen: list[str] = []
    for v in c.cause_vars:
        for g in GUARDRAILS.get(v, []):
            if g not in seen:
                seen.append(g)
    out += [f"- {g}" for g in seen] or ["- No cause isolated: no variable-specific guardrail can be derived."]
    if c.inp.result is not None:
        out += [f"- Rollback rule from bisect: {step}" for step in c.inp.result.rollback]
    if c.inp.journal is not None:
        out += [f"- Rollback steps the drill ran: {step}" for step in c.inp.journal.rollback_steps]
        relevant = relevant_detectors(c.inp.journal)
        out += [
            f"- Fix or add detector `{d.get('detector') or d.get('name')}`: it targets this fault and stayed silent."
            for d in c.inp.journal.detections
            if not d.get("fired") and (d.get("detector") or d.get("name")) in relevant
        ]
    return [*out, ""]


def _recovery(c: _Ctx) -> list[str]:
    out = ["## Proof of recovery", ""]
    j, r = c.inp.journal, c.inp.result
    if j is not None:
        out += _table(
            ["metric", "before the fault", "under the fault", "after the rollback"],
            [
                ["pass rate", _pct(j.steady_state_before), _pct(j.pass_rate_under_fault), _pct(j.steady_state_after)],
                ["affected questions failing", "n/a", _pct(j.affected_failure_rate), "n/a"],
            ],
        )
        out.append(f"Steady state restored: {'yes' if j.recovered else 'NO'}.")
    if r is not None:
        out.append(
            f"Replays: the failing configuration fails {r.bad_fail_rate:.0%} and the known-good passes "
            f"{r.good_pass_rate:.0%} over {len(r.seeds)} seed(s); "
            + "; ".join(f"{s.variable} alone fixes {s.fix_rate:.0%}" for s in r.swaps if s.fixes)
        )
    if c.primary is not None and c.after is not None:
        from replaylab.evals import evaluate

        after = evaluate(c.after)
        fix = ", ".join(f"{k}={json.dumps(v)}" for k, v in c.inp.good_values().items())
        out += ["", f"Sample trace before and after the fix ({fix}):", ""]
        out += _table(
            ["", "before (failing)", "after (replayed with the fix)"],
            [
                ["trace", c.primary.trace_id, c.after.trace_id],
                [
                    "output",
                    c.primary.generation.output if c.primary.generation else "",
                    c.after.generation.output if c.after.generation else "",
                ],
                ["verdict", "PASS" if c.report and c.report.passed else "FAIL", "PASS" if after.passed else "FAIL"],
                ["top chunks", _top(c.primary), _top(c.after)],
            ],
        )
    elif c.after_error:
        out.append(f"The after-fix replay could not run: {c.after_error}.")
    elif j is None and r is None:
        out.append("No data: neither metrics nor a fix to replay.")
    return [*out, ""]


def _top(t: Trace) -> str:
    return ", ".join(ch.chunk_id for ch in (t.retrieval.chunks[:3] if t.retrieval else [])) or "none"


def _residual(c: _Ctx) -> list[str]:
    out = ["## Residual risk", "", f"- The root cause above is a draft from replays {CONFIRM}."]
    r, j = c.inp.result, c.inp.journal
    if r is not None:
        if len(r.seeds) == 1:
            out.append("- Bisect ran one seed: right for greedy decoding, weak evidence if production samples.")
        if r.unresolved:
            out.append(f"- {r.unresolved} replay(s) did not resolve; their verdicts are unknown.")
        if r.interactions:
            out.append("- The failure needs several variables together; reverting one may not hold.")
    if j is not None:
        relevant = relevant_detectors(j)
        silent = [d.get("detector") or d.get("name") for d in j.detections if not d.get("fired")]
        silent = [n for n in silent if n in relevant]
        if silent:
            out.append(f"- Detectors that would still not page on this fault: {', '.join(map(str, silent))}.")
        before, after = j.steady_state_before, j.steady_state_after
        if after is not None and before is not None and after < before:
            out.append(f"- The pass rate after the rollback ({after:.0%}) is below the one before ({before:.0%}).")
    if "index" in c.cause_vars:
        out.append("- A stale index keeps drifting until the pipeline is fixed; a rollback does not stop it.")
    out.append("- Until the failing case is in the golden set and the canary gate runs it, the same change can ship again.")
    return [*out, ""]


def _signals(c: _Ctx) -> list[str]:
    out = ["## Optimization signals at incident time", ""]
    if c.primary is None:
        return [*out, "No data: no trace.", ""]
    s, mrv = c.primary.config.sampling, c.primary.versions.mrv
    text = (
        f"No reward-signal data: replaylab traces record the sampling (temperature {s.temperature:g}, top_p "
        f"{s.top_p:g}, seed {s.seed}) and the rendered prompt's instructions, not the provider's training or reward "
        "signals."
    )
    if "model" in c.cause_vars or mrv.requested != mrv.returned:
        text += (
            f" The model changed ({mrv.requested} requested, {mrv.returned} answered): ask the provider which "
            f"optimisation changed between the two versions. {CONFIRM}"
        )
    else:
        text += " The model did not change, so no provider-side optimisation signal is implicated by this evidence."
    return [*out, text, ""]


def render(inp: PostmortemInput, *, stack: Stack, now: datetime) -> str:
    c = _Ctx(inp, stack)
    parts = [
        _header(c, now),
        _root_cause(c),
        _versions(c),
        _evidence(c),
        _layers(c),
        _timeline(c),
        _drift(c),
        _eval_gap(c),
        _guardrails(c),
        _recovery(c),
        _residual(c),
        _signals(c),
    ]
    return "\n".join(line for part in parts for line in part).rstrip() + "\n"
