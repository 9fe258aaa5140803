"""Postmortem drafts from a bisect report or a drill journal, filled from recorded data.

    inp = load_run(Path("bisect.json"))                 # or a drill journal
    markdown = draft_postmortem(inp, stack=stack)

Where the failing traces come from (a bisect report does not embed its trace):

- `--trace PATH` (repeatable) wins;
- a bisect report: the trace named by its `reproduce` command (`replaylab bisect TRACE ...`),
  looked up from the current folder, then from the report's folder;
- a drill journal: `--traces DIR` (or a `traces_dir` key in the journal), matched by the
  journal's `failing_trace_ids`; or `--reproduce`, which re-injects the scenario's fault in
  the sandbox, records the fault window and rolls back (trace ids then differ from the
  journal's, and the draft says so).

A section with no data says so in words; nothing is a placeholder. The root cause is
stated from the replay evidence and marked for human confirmation: the playbook's advice
is to let the tool draft the timeline and let a person write the causal claim.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from replaylab.bisection.engine import BisectResult
from replaylab.config import RunConfig
from replaylab.drills.journal import DrillJournal
from replaylab.errors import InputError, TraceError, error_where
from replaylab.files import parse_json, read_input_text
from replaylab.postmortem.inputs import GUARDRAILS, PostmortemInput
from replaylab.scenario import Scenario
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack
from replaylab.trace import load_trace

__all__ = ["GUARDRAILS", "PostmortemInput", "draft_postmortem", "load_run", "reproduce_drill"]


def _read_json(path: Path, *, scenario: str | None = None) -> dict[str, Any]:
    text = read_input_text(path, what="postmortem input", max_bytes=64 * 1024 * 1024, error=InputError)
    data = parse_json(text, what="", path=path, error=InputError)
    if isinstance(data, list):
        data = pick_journal(data, path=path, scenario=scenario)
    if not isinstance(data, dict):
        raise InputError(
            f"{path} is neither a bisect report (replaylab bisect --json) nor a drill journal (replaylab drill SCENARIO --json)"
        )
    return data


def pick_journal(items: list[Any], *, path: Path, scenario: str | None) -> Any:
    """One journal out of `drill --all --json` (a list): the one named by `scenario`, else the
    only one that deviated, else the only one; several candidates is an InputError naming them."""
    journals = [j for j in items if isinstance(j, dict) and "scenario" in j and "steps" in j]
    if len(journals) != len(items):
        return items[0] if len(items) == 1 else None
    names = [str(j["scenario"]) for j in journals]
    if scenario is not None:
        chosen = [j for j in journals if j["scenario"] == scenario]
        if not chosen:
            raise InputError(f"{path} holds no journal for scenario {scenario!r}. It holds: {', '.join(names)}")
        return chosen[0]
    if len(journals) == 1:
        return journals[0]
    deviated = [j for j in journals if j.get("passed") is False]
    if len(deviated) == 1:
        return deviated[0]
    raise InputError(
        f"{path} holds {len(journals)} drill journals ({len(deviated)} deviated): "
        f"choose one with --scenario NAME ({', '.join(names)})"
    )


def _validate(model: Any, data: dict[str, Any], path: Path, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{path} is not a valid {what}: {error_where(err['loc'])}: {err['msg']}") from None


def _trace_from_reproduce(result: BisectResult, source: Path) -> Path | None:
    try:
        parts = shlex.split(result.reproduce)
    except ValueError:
        return None
    if len(parts) < 3 or parts[1] != "bisect":
        return None
    for candidate in (Path(parts[2]), source.parent / parts[2]):
        if candidate.exists():
            return candidate
    return None


def load_run(
    path: Path, *, traces: list[Path] | None = None, traces_dir: Path | None = None, scenario: str | None = None
) -> PostmortemInput:
    """Read a bisect report or a drill journal (one, or `drill --all --json`'s list: `scenario`
    picks one) and find its failing traces."""
    path = Path(path)
    data = _read_json(path, scenario=scenario)
    given = [load_trace(p) for p in traces or []]
    paths = {t.trace_id: p for t, p in zip(given, traces or [], strict=True)}
    if "reproducible" in data and "differing" in data:
        result = _validate(BisectResult, data, path, "bisect report")
        inp = PostmortemInput(
            source=path,
            kind="bisect",
            result=result,
            traces=given,
            trace_paths=paths,
            trace_note="given with --trace" if given else "",
        )
        if not given:
            found = _trace_from_reproduce(result, path)
            if found is None:
                raise InputError(
                    f"Bisect report {path} does not embed its trace, and its reproduce command "
                    f"({result.reproduce or 'none'}) names no trace file that exists: give --trace TRACE"
                )
            trace = load_trace(found)
            inp.traces, inp.trace_paths = [trace], {trace.trace_id: found}
            inp.trace_note = f"named by the report's reproduce command: {found}"
        return inp
    if "scenario" in data and "steps" in data:
        journal = _validate(DrillJournal, data, path, "drill journal")
        result = _validate(BisectResult, journal.bisect, path, "drill bisect") if journal.bisect else None
        inp = PostmortemInput(source=path, kind="drill", result=result, journal=journal, traces=given, trace_paths=paths)
        folder = traces_dir or (Path(data["traces_dir"]) if isinstance(data.get("traces_dir"), str) else None)
        if given:
            inp.trace_note = "given with --trace"
        elif folder is not None:
            _load_folder(inp, folder)
        else:
            inp.trace_note = (
                f"the journal lists {len(journal.failing_trace_ids)} failing trace id(s) but does not "
                "store the traces; give --traces DIR, or --reproduce to re-run the fault in the sandbox"
            )
        _primary_first(inp)
        return inp
    raise InputError(
        f"{path} is neither a bisect report (replaylab bisect --json) nor a drill journal (replaylab drill SCENARIO --json)"
    )


def _bisect_target(journal: DrillJournal) -> str | None:
    return journal.bisect_trace


def _load_folder(inp: PostmortemInput, folder: Path) -> None:
    assert inp.journal is not None
    if not folder.is_dir():
        raise InputError(f"--traces {folder} is not a folder")
    wanted = set(inp.journal.failing_trace_ids)
    for p in sorted(folder.rglob("*.json")):
        try:
            t = load_trace(p)
        except TraceError:
            continue
        if t.trace_id in wanted:
            inp.traces.append(t)
            inp.trace_paths[t.trace_id] = p
    inp.trace_note = (
        f"{len(inp.traces)} of the journal's {len(wanted)} failing traces found in {folder}"
        if inp.traces
        else f"none of the journal's {len(wanted)} failing traces is in {folder}"
    )


def _primary_first(inp: PostmortemInput) -> None:
    target = _bisect_target(inp.journal) if inp.journal else None
    inp.traces.sort(key=lambda t: t.trace_id != target)


def reproduce_drill(
    inp: PostmortemInput,
    *,
    stack: Stack,
    base: RunConfig,
    limit: int = 3,
    scenario: Scenario | None = None,
    golden: list[GoldenItem] | None = None,
) -> None:
    """Re-inject the journal's scenario (by name from scenarios/, unless given) in the sandbox and keep the
    failing traces; the fault is rolled back after. `golden`: the questions (default: the bundled set)."""
    from replaylab.scenario import load_scenario
    from replaylab.teach.incident import open_incident

    assert inp.journal is not None
    scenario = scenario or load_scenario(inp.journal.scenario)
    with open_incident(scenario, stack=stack, base=base, sample=limit, golden=golden) as incident:
        failing = incident.failing()
        affected = set(incident.injection.affected_qids)
        failing.sort(key=lambda t: t.golden is None or t.golden.qid not in affected)
        inp.traces = failing[:limit]
        inp.baseline = [b for t in inp.traces if (b := incident.before_of(t)) is not None]
    inp.trace_note = (
        f"reproduced in the sandbox by re-injecting scenario {scenario.name} (fault rolled back "
        f"after); {len(failing)} of {len(incident.window)} requests failed. Trace ids differ from the "
        "journal's, whose traces were not saved"
    )


def draft_postmortem(inp: PostmortemInput, *, stack: Stack, now: datetime | None = None) -> str:
    """The Markdown draft."""
    from replaylab.postmortem.markdown import render

    return render(inp, stack=stack, now=now or datetime.now(timezone.utc))
