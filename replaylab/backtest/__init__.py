"""Backtests: replay recorded traces under production and a candidate, at scale, and compare them pair by pair.

    items = collect_items("traffic/")
    job = BacktestJob(workspace=str(ws.root), candidate={"prompt": "rag-answer@5"})
    report = run_backtest(job, items, engine=get_engine("local", workers=2))   # or get_engine("ray")
    report.verdict                    # "regression" | "improvement" | "no significant difference"
    report.evaluators[0].mcnemar_p    # McNemar's exact test on the gate verdict's discordant pairs

Engines are plugins (registry kind `engine`): `local` (in-process or a process pool) and `ray`
(Ray actors; `pip install 'replaylab[ray]'`). Importing this package never imports Ray.
"""

from __future__ import annotations

from replaylab.backtest.engines import Engine, EngineResult, LocalEngine, engine_names, get_engine
from replaylab.backtest.model import BacktestJob, BacktestReport, Flip, PairOutcome, ReplayItem, WorkerStat, apply_patch
from replaylab.backtest.run import collect_items, flips_of, run_backtest, summarize
from replaylab.backtest.stats import EvaluatorStat, bootstrap_ci, compare_pairs, mcnemar_exact, overall_verdict

__all__ = [
    "BacktestJob",
    "BacktestReport",
    "Engine",
    "EngineResult",
    "EvaluatorStat",
    "Flip",
    "LocalEngine",
    "PairOutcome",
    "ReplayItem",
    "WorkerStat",
    "apply_patch",
    "bootstrap_ci",
    "collect_items",
    "compare_pairs",
    "engine_names",
    "flips_of",
    "get_engine",
    "mcnemar_exact",
    "overall_verdict",
    "run_backtest",
    "summarize",
]
