"""The postmortem sections after the cause: timeline, drift or acute, the eval gap, guardrails,
recovery, residual risk and the optimisation signals."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from replaylab.postmortem.context import SectionContext
from replaylab.postmortem.inputs import GUARDRAILS
from replaylab.postmortem.markup import CONFIRM, clip, pct, table
from replaylab.postmortem.relevance import drill_window, in_window, relevant_detectors
from replaylab.trace import Trace

if TYPE_CHECKING:
    from replaylab.drills.journal import DrillJournal

__all__ = ["drift", "eval_gap", "guardrails", "recovery", "residual", "signals", "timeline"]

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


def timeline(c: SectionContext) -> list[str]:
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
            detail = ", ".join(f"{k}={clip(json.dumps(v, default=str), 70)}" for k, v in fields.items())
            rows.append(
                [s.started_at.isoformat(timespec="seconds"), f"drill step **{s.name}** ({s.status}, {s.elapsed_s:.2f}s) {detail}"]
            )
    if not rows:
        return [*out, "No data: neither a trace nor a journal with timestamps is available.", ""]
    return out + table(["when (UTC)", "event"], sorted(rows, key=lambda r: str(r[0])))


def drift(c: SectionContext) -> list[str]:
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


def eval_gap(c: SectionContext) -> list[str]:
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
        rates = _measured(j)
        for d in j.detections:
            name = d.get("detector") or d.get("name") or "detector"
            why = d.get("reason") or d.get("summary") or d.get("error") or ""
            rate = f" ({rates[name]})" if name in rates else ""
            out.append(
                f"- Detector `{name}`: {'fired' if d.get('fired') else 'did NOT fire'}{': ' + str(why) if why else ''}{rate}"
            )
    return [*out, ""]


def _measured(j: DrillJournal) -> dict[str, str]:
    """Detector -> its measured TP/FP rates in words, from the journal's detect step."""
    from replaylab.drills.rates import rate_line
    from replaylab.drills.steps import DetectStep

    step = j.find(DetectStep)
    return {r.detector: rate_line(r) for r in step.detail.measured} if step is not None else {}


def guardrails(c: SectionContext) -> list[str]:
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


def recovery(c: SectionContext) -> list[str]:
    out = ["## Proof of recovery", ""]
    j, r = c.inp.journal, c.inp.result
    if j is not None:
        out += table(
            ["metric", "before the fault", "under the fault", "after the rollback"],
            [
                ["pass rate", pct(j.steady_state_before), pct(j.pass_rate_under_fault), pct(j.steady_state_after)],
                ["affected questions failing", "n/a", pct(j.affected_failure_rate), "n/a"],
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
        out += table(
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


def residual(c: SectionContext) -> list[str]:
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


def signals(c: SectionContext) -> list[str]:
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
