"""A backtest: find the traces, warm the snapshots once, replay every pair on an engine, decide.

items = collect_items("traffic/")                      # a folder, a glob, a .json or a .jsonl
job = BacktestJob(workspace=str(ws.root), candidate={"prompt": "rag-answer@5"})
report = run_backtest(job, items, engine=get_engine("local", workers=2))
report.verdict, report.evaluators[0].mcnemar_p, report.flips
"""

from __future__ import annotations

import contextlib
import glob
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from replaylab.backtest.engines import Engine, EngineResult, Progress
from replaylab.backtest.model import BacktestJob, BacktestReport, Flip, PairOutcome, ReplayItem
from replaylab.backtest.stats import EvaluatorStat, compare_pairs, overall_verdict
from replaylab.errors import InputError, ReplaylabError

__all__ = ["collect_items", "flips_of", "run_backtest", "summarize"]


def _file_items(path: Path) -> list[ReplayItem]:
    if path.suffix == ".jsonl":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"Cannot read traces {path}: {exc.strerror or exc}") from None
        where = str(path.resolve())  # workers may run elsewhere (Ray): absolute paths
        return [ReplayItem(ref=f"{path}:{i + 1}", path=where, line=i) for i, ln in enumerate(lines) if ln.strip()]
    return [ReplayItem(ref=str(path), path=str(path.resolve()))]


def collect_items(spec: str) -> list[ReplayItem]:
    """The traces `spec` names: a folder (every .json/.jsonl under it), a glob, or one file."""
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
    elif path.is_file():
        files = [path]
    else:
        files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).suffix in (".json", ".jsonl"))
    items = [item for f in files for item in _file_items(f)]
    if not items:
        raise InputError(f"No trace matches --traces {spec} (give a folder, a glob, or a .json/.jsonl file)")
    return items


def summarize(outcomes: Sequence[PairOutcome], *, alpha: float = 0.05, seed: int = 0) -> list[EvaluatorStat]:
    """Per-evaluator paired statistics: `verdict` first, then evaluators with pass pairs, then score-only ones."""
    ok = [o for o in outcomes if o.error is None]
    passes: dict[str, list[tuple[bool, bool]]] = {}
    scores: dict[str, list[tuple[float, float]]] = {}
    for o in ok:
        for name, pair in o.passes.items():
            passes.setdefault(name, []).append(pair)
        for name, spair in o.scores.items():
            scores.setdefault(name, []).append(spair)
    verdicts = [(o.production_passed, o.candidate_passed) for o in ok]
    stats = [compare_pairs("verdict", verdicts, alpha=alpha, seed=seed)]
    stats += [compare_pairs(n, passes[n], scores=scores.get(n), alpha=alpha, seed=seed) for n in sorted(passes)]
    stats += [compare_pairs(n, [], scores=scores[n], alpha=alpha, seed=seed) for n in sorted(scores) if n not in passes]
    return [s for s in stats if s.n]


def flips_of(outcomes: Sequence[PairOutcome], *, most: int = 200) -> list[Flip]:
    """Traces whose gate verdict flipped, regressions first (at most `most`)."""
    out = []
    for o in outcomes:
        if o.error is not None or o.production_passed == o.candidate_passed:
            continue
        regressed = o.production_passed and not o.candidate_passed
        same_way = [n for n, (p, c) in sorted(o.passes.items()) if p != c and p == regressed]
        out.append(
            Flip(
                ref=o.ref,
                direction="regressed" if regressed else "fixed",
                evaluators=same_way,
                production_output=o.production_output,
                candidate_output=o.candidate_output,
            )
        )
    out.sort(key=lambda f: f.direction != "regressed")
    return out[:most]


def _warm(engine: Engine, job: BacktestJob, items: Sequence[ReplayItem]) -> None:
    """Build the first item's index snapshots in the driver, so parallel workers only load them."""
    from replaylab.backtest.worker import Worker

    with contextlib.suppress(ReplaylabError):  # a bad first item is reported by the worker that replays it
        Worker(job, stack=engine.stack).warm(items[0])


def run_backtest(
    job: BacktestJob,
    items: Sequence[ReplayItem],
    *,
    engine: Engine,
    alpha: float = 0.05,
    max_flips: int = 200,
    keep_outcomes: bool = False,
    progress: Progress | None = None,
) -> BacktestReport:
    """Replay every item under both configurations on `engine` and report the paired comparison."""
    if not items:
        raise InputError("A backtest needs at least one trace")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"--alpha must be between 0 and 1, got {alpha}")
    _warm(engine, job, items)
    start = time.perf_counter()
    result: EngineResult = engine.run(job, items, progress=progress)
    wall = time.perf_counter() - start
    stats = summarize(result.outcomes, alpha=alpha)
    verdict, reason = overall_verdict(stats)
    failed = [o for o in result.outcomes if o.error is not None]
    ok = len(result.outcomes) - len(failed)
    if ok == 0:
        verdict, reason = "no significant difference", f"no trace could replay ({failed[0].error})"
    return BacktestReport(
        created_at=datetime.now(timezone.utc),
        engine=engine.describe(),
        traces=len(items),
        replayed=ok,
        production=job.production,
        candidate=job.candidate,
        holds=list(job.holds),
        alpha=alpha,
        verdict=verdict,
        reason=reason,
        evaluators=stats,
        flips=flips_of(result.outcomes, most=max_flips),
        flipped=sum(1 for o in result.outcomes if o.error is None and o.production_passed != o.candidate_passed),
        errors=[f"{o.ref}: {o.error}" for o in failed[:50]],
        error_count=len(failed),
        workers=result.workers,
        wall_s=round(wall, 3),
        traces_per_s=round(len(items) / wall, 2) if wall > 0 else 0.0,
        outcomes=list(result.outcomes) if keep_outcomes else [],
    )
