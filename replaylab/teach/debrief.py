"""The debrief: what happened, which signal would have caught it earliest, and what the
trainee could have done faster, computed from the incident and the trainee's own actions."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from replaylab.teach.incident import Incident
from replaylab.teach.scoring import ScoreCard, ScoringRules, Submission
from replaylab.variables import all_variables

__all__ = ["Action", "build_debrief", "data_hints", "shortest_path"]

_LOOK = frozenset({"eval", "show", "diagnose", "counterfactuals"})


class Action(BaseModel):
    """One investigation step the trainee took (for the debrief)."""

    at_s: float
    command: str
    ref: str | None = None
    variable: str | None = None
    value: str | None = None
    layer: str | None = None
    passed: bool | None = None


def mmss(seconds: float) -> str:
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


def _first_failing_ref(incident: Incident) -> str:
    for i, t in enumerate(incident.shown, 1):
        if not incident.verdicts.get(t.trace_id, True):
            return f"#{i}"
    return "#1"


def _rollback_text(incident: Incident) -> str:
    key = incident.key
    var = key.variables[0] if key.variables else ""
    value = key.good_values.get(var)
    if var == "prompt" and isinstance(value, str):
        return value
    return var


def shortest_path(incident: Incident) -> str:
    """The four commands that solve this incident."""
    key = incident.key
    ref = _first_failing_ref(incident)
    swaps = " ".join(f"{v}={json.dumps(key.good_values.get(v), separators=(',', ':'))}" for v in key.variables[:1])
    return (
        f"`eval {ref}` → `show {ref}` → `replay {ref} {swaps}` → "
        f"`submit layer={key.layer} variable={','.join(key.variables)} rollback={_rollback_text(incident)}`"
    )


def data_hints(incident: Incident) -> list[str]:
    """Hints from the incident itself, for a scenario that ships none."""
    layer = incident.key.layer
    suspects = [v.name for v in all_variables() if v.layer == layer and v.name != "context"]
    return [
        "Start from one failing request: `eval` it, then `show` it. Does a retrieved chunk hold the expected answer?",
        f"The fault is in the {layer.replace('_', ' ')} layer; leave the other layers alone.",
        f"Swap one {layer.replace('_', ' ')} variable at a time on a failing trace: {', '.join(suspects)}.",
    ]


def _signal_lines(incident: Incident) -> list[str]:
    t = incident.scenario.teaching
    lines = []
    if t.earliest_signal:
        lines.append(f"Earliest signal: {t.earliest_signal}")
    if not incident.detections:
        lines.append("Detectors: none is registered in this installation, so nothing but users could have paged.")
        return lines
    fired = [d for d in incident.detections if d.get("fired")]
    silent = [d for d in incident.detections if not d.get("fired")]
    if not t.earliest_signal and fired:
        names = ", ".join(str(d["detector"]) for d in fired)
        lines.append(
            f"Earliest signal: the first window under the fault already fired {names}; an alert on any of "
            "them pages before users complain."
        )
    if fired:
        lines.append(
            "Detectors that fired on this window: "
            + "; ".join(f"{d['detector']} ({d.get('reason') or d.get('summary') or 'fired'})" for d in fired)
        )
    else:
        lines.append("No detector fired on this window: the dashboards were blind to it.")
    if silent:
        lines.append("Silent: " + ", ".join(str(d["detector"]) for d in silent) + ".")
    return lines


def _path_line(actions: Sequence[Action]) -> str:
    steps = []
    for a in actions:
        if a.command == "traces":
            continue
        what = f"{a.command} {a.ref or ''}".strip()
        if a.command == "replay":
            what += f" {a.variable}={a.value} ({a.layer}, {'PASS' if a.passed else 'FAIL'})"
        elif a.command == "eval":
            what += " (PASS)" if a.passed else " (FAIL)"
        elif a.command == "diagnose" and a.layer:
            what += f" ({a.layer})"
        steps.append(f"{mmss(a.at_s)} {what}")
    return "Your path: " + (" → ".join(steps) if steps else "no investigation before the end")


def _faster(incident: Incident, actions: Sequence[Action], card: ScoreCard, rules: ScoringRules) -> list[str]:
    key = incident.key
    out: list[str] = []
    replays = [a for a in actions if a.command == "replay"]
    first_look = next((a.at_s for a in actions if a.command in _LOOK), None)
    if replays and (first_look is None or replays[0].at_s < first_look):
        out.append(
            f"You swapped {replays[0].variable} before looking at a trace: trace it, classify the layer, "
            "evaluate, and only then simulate."
        )
    wrong = [a for a in replays if a.layer != key.layer]
    if wrong:
        out.append(
            f"{len(wrong)} of your {len(replays)} replays swapped variables outside the {key.layer} layer "
            f"({', '.join(sorted({str(a.variable) for a in wrong}))}): classify first, then swap inside the layer."
        )
    proof = next((a for a in replays if a.variable in key.variables and a.passed), None)
    if proof is None:
        out.append(
            f"The replay that proves it was never run: `replay {_first_failing_ref(incident)} "
            f"{key.variables[0]}={json.dumps(key.good_values.get(key.variables[0]))}`."
        )
    elif card.elapsed_s - proof.at_s > 120:
        out.append(
            f"Your replay at {mmss(proof.at_s)} ({proof.variable}={proof.value}) already proved the cause; "
            f"you submitted {mmss(card.elapsed_s - proof.at_s)} later."
        )
    if card.hints_used:
        out.append(f"{card.hints_used} hint(s) cost {card.hints_used * rules.hint_cost} points.")
    if card.sandbox_runs > rules.free_runs:
        out.append(f"{card.sandbox_runs} sandbox runs ({rules.free_runs} free): each one should test a hypothesis.")
    if card.elapsed_s / 60 > rules.par_minutes:
        out.append(f"{card.elapsed_s / 60:.1f} minutes against a par of {rules.par_minutes:g}.")
    if not out:
        out.append("Nothing to shave: you went from evidence to the fix without a detour.")
    return out


def build_debrief(
    incident: Incident, *, actions: Sequence[Action], card: ScoreCard, submission: Submission | None, rules: ScoringRules
) -> list[str]:
    """The debrief lines, from the scenario's teaching material and what actually happened."""
    sc, inj, key = incident.scenario, incident.injection, incident.key
    failing = incident.failing()
    lines = [
        f"What happened: {sc.title}. {sc.teaching.debrief.strip()}",
        f"The fault as injected: {'; '.join(inj.notes)}.",
        f"Blast radius: {len(failing)} of {len(incident.window)} requests in the window failed; pass rate "
        f"{incident.pass_rate(incident.baseline):.0%} before the fault, {incident.pass_rate(incident.window):.0%} "
        f"under it, while the dashboards read: {sc.teaching.dashboards}.",
        f"The answer: layer {key.layer}; variable {', '.join(key.variables)} (last known good: "
        + ", ".join(f"{v}={json.dumps(key.good_values.get(v))}" for v in key.variables)
        + f"); rollback: {'; '.join(key.rollback_steps) or 'none recorded'}.",
        *_signal_lines(incident),
    ]
    if submission is not None:
        lines.append(
            f"You submitted: layer={submission.layer} variable={','.join(submission.variables) or '–'} "
            f"rollback={submission.rollback or '–'}."
        )
    lines.append(_path_line(actions))
    lines += [f"Faster: {x}" for x in _faster(incident, actions, card, rules)]
    lines.append(f"Shortest path: {shortest_path(incident)}.")
    return lines
