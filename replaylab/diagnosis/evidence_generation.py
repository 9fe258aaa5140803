"""Evidence for and against the generation layer: the model version, the prompt, the checks, the seeds."""

from __future__ import annotations

import re

from replaylab.diagnosis.facts import HOLD_RETRIEVAL, Facts, Ledger, short
from replaylab.errors import ReplaylabError
from replaylab.evals import EvalReport, EvalSettings, verdict
from replaylab.models.base import GenerationRequest
from replaylab.models.reader import parse_prompt
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

__all__ = ["generation_evidence", "prompt_conflict"]

_CONFLICTS: tuple[tuple[str, str, str], ...] = (
    (
        r"do not (?:repeat|state|give|share|mention) specific[^.\n]*",
        r"exact (?:figure|code|name|date)[^.\n]*",
        "withholds the figures the system rules ask for",
    ),
    (r"ignore the context[^.\n]*", r"only the (?:numbered )?context[^.\n]*", "tells the model to ignore the context"),
    (r"(?:use|answer from) your own knowledge[^.\n]*", r"only the (?:numbered )?context[^.\n]*", "asks for outside knowledge"),
)


def prompt_conflict(trace: Trace) -> str | None:
    """A user-turn instruction that contradicts the system rules, in words, if there is one."""
    if trace.prompt is None:
        return None
    parsed = parse_prompt(GenerationRequest(model="-", messages=trace.prompt.messages))
    for user_pat, sys_pat, what in _CONFLICTS:
        u = re.search(user_pat, parsed.instructions, re.IGNORECASE)
        s = re.search(sys_pat, parsed.system, re.IGNORECASE)
        if u and s:
            return f"the user turn says {short(u.group(0), 60)!r}, which {what} ({short(s.group(0), 50)!r})"
    return None


def generation_evidence(
    stack: Stack, trace: Trace, f: Facts, report: EvalReport, settings: EvalSettings, seeds: int, ledger: Ledger
) -> None:
    """Write what the model, its prompt, its checks and (for sampled requests) other seeds say."""
    mrv = trace.versions.mrv
    pinned = settings.pinned_model or mrv.requested
    if mrv.returned != pinned:
        f.model_changed = True
        ledger.pro(
            "generation",
            0.35,
            f"The trace requested {mrv.requested!r} (pinned {pinned!r}) but "
            f"{mrv.returned!r} answered: a silent model version change.",
        )
    else:
        ledger.con("generation", 0.1, f"The model that answered is the one requested ({mrv.returned!r}).")
    f.prompt_conflict = prompt_conflict(trace)
    if f.prompt_conflict:
        ledger.pro("generation", 0.35, f"Prompt {trace.versions.ppv} has a conflicting instruction: {f.prompt_conflict}.")
    syc = report.score("sycophancy")
    if syc is not None and syc.passed is False:
        f.sycophantic = True
        ledger.pro("generation", 0.4, f"The output endorses the false premise: {syc.reason} (sycophancy {syc.value:.2f}).")
    fmt = report.score("format")
    if fmt is not None and fmt.passed is False:
        ledger.pro("generation", 0.3, f"The output breaks the required format: {fmt.reason}.")
    _sampling(stack, trace, f, settings, seeds, ledger)


def _sampling(stack: Stack, trace: Trace, f: Facts, settings: EvalSettings, seeds: int, ledger: Ledger) -> None:
    s = trace.config.sampling
    f.temperature = s.temperature
    if s.temperature <= 0:
        ledger.con("generation", 0.05, "Greedy decoding (temperature 0): sampling cannot explain the output.")
        return
    if seeds <= 0 or not f.in_ctx:
        return
    fails = 0
    for seed in range(1, seeds + 1):
        sampling = s.model_copy(update={"seed": s.seed + seed})
        try:
            new = stack.replay(trace, overrides={"sampling": sampling.model_dump()}, holds=HOLD_RETRIEVAL)
        except ReplaylabError:
            continue
        fails += not verdict(new, settings=settings).passed
    f.seed_fail_rate = fails / seeds
    ledger.pro(
        "generation",
        0.3,
        f"Sampling at temperature {s.temperature:g} (top_p {s.top_p:g}): the held "
        f"context fails on {fails} of {seeds} other seeds.",
    )
