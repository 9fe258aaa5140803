"""Bisect one recorded trace: resolve the good reference, replay through the stack, and
turn the engine's result into a report with its rollback and the command that reproduces it.

`--good` may be a config file (.yaml/.json), a passing trace (its config), or a label set
as of a date, `prod@YYYY-MM-DD`: the prompt version the `production` label pointed at and
the index as it was built that day, on top of the workspace's declared baseline.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from replaylab.bisection.engine import BisectResult, RunResult, Step, bisect
from replaylab.config import RunConfig, load_partial_config
from replaylab.errors import ConfigError, ReplayFailed
from replaylab.files import parse_json, read_input_text
from replaylab.stack.pipeline import Stack, Stage
from replaylab.stack.prompts import parse_prompt_id
from replaylab.trace import Trace, load_trace
from replaylab.variables import apply_values, differing, get_variable, read_values

Verdict = Callable[[Trace], RunResult]


def resolve_good(
    spec: str | None, *, stack: Stack, baseline: RunConfig, bad: RunConfig, baseline_desc: str = "the workspace baseline"
) -> tuple[RunConfig, str]:
    """The good configuration named by `--good`, and a description of where it came from.

    `prod@DATE` changes only what labels and the indexing pipeline control (the prompt version
    `production` pointed at, the index as built that day); everything else is the bad side's.
    A config file's missing fields come from the trace (the bad side). Without `--good`, the
    baseline: the project file's, else the bundled one, which is refused for a trace recorded on
    another corpus (it would build the bundled index to compare against documents it never saw).
    """
    if spec is None:
        if baseline.corpus.source == "bundled" and bad.corpus.source != "bundled":
            raise ConfigError(
                f"The trace ran on corpus {bad.corpus.source!r}, and the bundled baseline is for the bundled corpus. "
                "Give the good side: --good CONFIG.yaml (fields left out come from the trace), a passing trace, "
                "or prod@YYYY-MM-DD; or describe your stack once with `replaylab init` (replaylab.yaml)"
            )
        return baseline, baseline_desc
    if spec.startswith("prod@"):
        try:
            when = date.fromisoformat(spec[5:])
        except ValueError:
            raise ConfigError(f"--good {spec!r}: expected prod@YYYY-MM-DD") from None
        template, _ = parse_prompt_id(bad.prompt)
        version = stack.prompts.label_as_of(template, "production", when)
        if version is None:
            raise ConfigError(f"--good {spec!r}: {template}:production pointed at nothing on {when}")
        cfg = bad.model_copy(update={"prompt": f"{template}@{version}", "index": bad.index.model_copy(update={"as_of": when})})
        return cfg, f"production as of {when} ({template}@{version}, index as of {when})"
    path = Path(spec)
    if not path.exists():
        raise ConfigError(f"--good {spec!r} is neither a file nor prod@YYYY-MM-DD")
    if path.suffix == ".json":
        text = read_input_text(path, what="--good file", max_bytes=32 * 1024 * 1024, error=ConfigError)
        data = parse_json(text, what="--good file", path=path, error=ConfigError)
        if isinstance(data, dict) and "trace_id" in data:
            return load_trace(path).config, f"the configuration of passing trace {path}"
    return load_partial_config(path, over=bad), f"config file {path} (fields it leaves out: the trace's)"


def default_verdict(trace: Trace) -> RunResult:
    """Pass/fail of one replay from the evaluators' gate."""
    from replaylab.evals import verdict

    report = verdict(trace)
    scores = {s.name: s.value for s in report.scores if s.error is None}
    failing = [s for s in report.scores if s.passed is False]
    reason = "; ".join(f"{s.name}: {s.reason}" for s in failing[:2]) or "all gating evaluators pass"
    return RunResult(passed=report.passed, scores=scores, reason=reason, ref=trace.trace_id)


def histories(stack: Stack, good: RunConfig, bad: RunConfig) -> dict[str, list[Any]]:
    """Ordered version histories for variables that have one: prompt versions, index snapshots by date."""
    out: dict[str, list[Any]] = {}
    gt, gv = parse_prompt_id(good.prompt)
    bt, bv = parse_prompt_id(bad.prompt)
    if gt == bt and gv.isdigit() and bv.isdigit() and gv != bv:
        out["prompt"] = [pv.id for pv in stack.prompts.versions(gt)]
    gi, bi = good.index, bad.index
    if gi.model_copy(update={"as_of": None}) == bi.model_copy(update={"as_of": None}) and gi.as_of != bi.as_of:
        lo, hi = sorted([gi.as_of or date.max, bi.as_of or date.max])
        dates = sorted({d.ingested_at for d in stack.documents(bad.corpus) if lo < d.ingested_at < hi})
        points: list[date | None] = [lo, *dates, None if hi == date.max else hi]
        ordered = points if (gi.as_of or date.max) <= (bi.as_of or date.max) else points[::-1]
        var = get_variable("index")
        out["index"] = [var.read(good.model_copy(update={"index": gi.model_copy(update={"as_of": d})})) for d in ordered]
    return out


def live_positions(stack: Stack, history: Mapping[str, Sequence[Any]]) -> dict[str, set[int]]:
    """Positions in the prompt history that `production` ever pointed at (label history and current labels)."""
    hist = history.get("prompt")
    if not hist:
        return {}
    template, _ = parse_prompt_id(str(hist[0]))
    served = {m.version for m in stack.prompts.history() if m.template == template and m.label == "production"}
    current = stack.prompts.labels().get(template, {}).get("production")
    served |= {current} if current is not None else set()
    ids = {f"{template}@{v}" for v in served}
    return {"prompt": {i for i, pid in enumerate(hist) if str(pid) in ids}}


def rollback_for(
    result: BisectResult, *, good: RunConfig, bad: RunConfig, stack: Stack, history: Mapping[str, Sequence[Any]] | None = None
) -> list[str]:
    """What to roll back for each cause, in words a deploy tool could follow."""
    steps: list[str] = []
    first_bad = {fb.variable: fb for fb in result.first_bad_version}
    for cause in result.causes:
        name = cause.variable
        if name == "prompt":
            target = good.prompt
            hist = (history if history is not None else histories(stack, good, bad)).get("prompt")
            found = next((t for t in result.rollback_targets if t.variable == "prompt"), None)
            if found is not None and found.index is None:
                steps.append(f"no prompt version to roll back to: {found.reason}; fix forward")
                continue
            if found is not None:
                target = str(found.value)
            elif "prompt" in first_bad and hist:
                target = str(hist[first_bad["prompt"].last_good_index])
            template, version = parse_prompt_id(target)
            steps.append(
                f"move {template}:production back to {target} "
                f"(replaylab prompts label {template}@{version}); leave ALV, MRV and TAV as they are"
            )
        elif name == "index":
            good_snap = stack.snapshot(good.corpus, good.index).id
            bad_snap = stack.snapshot(bad.corpus, bad.index).id
            steps.append(
                f"restore index snapshot {good_snap} (as of {good.index.as_of or 'latest'}, "
                f"{good.index.embedder}) in place of {bad_snap} (as of {bad.index.as_of or 'latest'}, "
                f"{bad.index.embedder}), then fix the indexing pipeline"
            )
        elif name == "embedder":
            steps.append(
                f"pin the query embedder back to {good.embedder} (the index was built with "
                f"{bad.index.embedder}), or rebuild the index with {bad.embedder}"
            )
        elif name == "model":
            steps.append(f"pin the model version {good.model}; the provider answered as {bad.model}")
        elif name == "corpus":
            extra = [b for b in bad.corpus.batches if b not in good.corpus.batches]
            steps.append(
                f"remove document batch(es) {', '.join(extra) or '(source change)'} from the corpus "
                "and rebuild the index; quarantine the source"
            )
        else:
            steps.append(f"set {name} back to {json.dumps(cause.good_value)} (now {json.dumps(cause.bad_value)})")
    if not steps and result.interactions:
        for group in result.interactions:
            steps.append("revert together: " + ", ".join(group))
    return steps


class TraceBisector:
    """Replays a trace under assignments of variables and records the evidence traces."""

    def __init__(self, stack: Stack, trace: Trace, *, verdict: Verdict | None = None) -> None:
        self.stack = stack
        self.trace = trace
        self.verdict = verdict or default_verdict
        self.evidence: dict[str, Trace] = {}
        self.histories: dict[str, list[Any]] = {}
        # a trace recorded by `replaylab proxy` holds the prompt exactly as it reached the model and
        # its passages, not a replaylab prompt version or index: those stages replay as recorded
        self.holds: tuple[Stage, ...] = ("retrieval", "prompt") if trace.tags.get("source") == "replaylab-proxy" else ()

    def _run(self, config: RunConfig, seed: int, *, seeded: bool) -> RunResult:
        if seeded:
            config = config.model_copy(update={"sampling": config.sampling.model_copy(update={"seed": seed})})
        try:
            replayed = self.stack.run(
                self.trace.question,
                config,
                golden=self.trace.golden,
                recorded=self.trace,
                holds=self.holds,
                session_id=self.trace.session_id,
            )
        except ReplayFailed as exc:
            return RunResult(passed=None, reason=str(exc).splitlines()[0])
        self.evidence[replayed.trace_id] = replayed
        return self.verdict(replayed)

    def run(
        self,
        *,
        good: RunConfig,
        seeds: Sequence[int],
        seeded: bool,
        on_step: Callable[[Step], None] | None = None,
        pass_threshold: float = 0.5,
    ) -> BisectResult:
        bad = self.trace.config
        base = read_values(good)
        names = sorted(base)
        good_values = {n: base[n] for n in names}
        bad_all = read_values(bad)
        bad_values = {n: bad_all[n] for n in names}

        def outcome(assignment: Mapping[str, Any], seed: int) -> RunResult:
            return self._run(apply_values(good, dict(assignment)), seed, seeded=seeded)

        diff = set(differing(good, bad))
        chunks = None
        chunk_outcome = None
        if self.trace.retrieval and diff & {"corpus", "context"}:
            chunks = [c.chunk_id for c in self.trace.retrieval.chunks]

            all_ids = list(chunks)

            def chunk_outcome_fn(ids: Sequence[str], seed: int) -> RunResult:
                # quarantine the removed chunks: retrieval refills the context from the next ranks
                removed = set(all_ids) - set(ids)
                wide = self.stack.retrieve(self.trace.question, bad.model_copy(update={"top_k": bad.top_k + len(removed)}))
                keep = [c.chunk_id for c in wide.chunks if c.chunk_id not in removed][: bad.top_k]
                return self._run(bad.model_copy(update={"context": tuple(keep)}), seed, seeded=seeded)

            chunk_outcome = chunk_outcome_fn
        start = time.perf_counter()
        self.histories = histories(self.stack, good, bad)
        saved, self.stack.provider_overrides = self.stack.provider_overrides, {}  # replays pin exact versions
        try:
            result = bisect(
                good=good_values,
                bad=bad_values,
                outcome=outcome,
                seeds=seeds,
                layers={n: get_variable(n).layer for n in names},
                histories=self.histories,
                live=live_positions(self.stack, self.histories),
                chunks=chunks,
                chunk_outcome=chunk_outcome,
                pass_threshold=pass_threshold,
                on_step=on_step,
            )
        finally:
            self.stack.provider_overrides = saved
        result.elapsed_s = round(time.perf_counter() - start, 3)
        result.rollback = rollback_for(result, good=good, bad=bad, stack=self.stack, history=self.histories)
        return result


def reproduce_command(
    trace_path: Path, good: str | None, seeds: int | None, *, live: bool = False, fail_rate: float | None = None
) -> str:
    parts = ["replaylab", "bisect", str(trace_path)]
    if live:
        parts.append("--live")
    if good:
        parts += ["--good", good]
    if seeds:
        parts += ["--seeds", str(seeds)]
    if fail_rate is not None:
        parts += ["--fail-rate", f"{fail_rate:g}"]
    return shlex.join(parts)
