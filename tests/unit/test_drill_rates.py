"""A drill journal's detect step carries each detector's measured TP and FP rates: read from the
measurement `replaylab detectors measure` keeps in the workspace, or "not measured" without one;
the terminal, the HTML report and the postmortem's eval-gap section show them."""

from __future__ import annotations

from pathlib import Path

from replaylab.config import IndexSpec, RunConfig
from replaylab.detectors import IndexStaleness, SamplingConfigDrift
from replaylab.detectors.measure import DetectorTable, measure_detectors, save_measured
from replaylab.drills.journal import DrillJournal
from replaylab.drills.rates import NOT_MEASURED, MeasuredRate, rate_line
from replaylab.drills.runner import run
from replaylab.drills.steps import DetectStep
from replaylab.faults.retrieval import StaleIndex
from replaylab.registry import names
from replaylab.scenario import load_scenario
from replaylab.stack.corpus import load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack

GOOD = RunConfig(prompt="rag-answer@4", embedder="hashing-test", index=IndexSpec(embedder="hashing-test"))
STALE = (Path(__file__).resolve().parents[1] / "data" / "stale_scenario.yaml").read_text()
"""A stale-index scenario small enough for the tiny corpus (tests/data)."""


def _drill(stack: Stack, tmp_path: Path) -> DrillJournal:
    (tmp_path / "stale.yaml").write_text(STALE)
    journal = run(load_scenario(str(tmp_path / "stale.yaml")), stack=stack, base=GOOD)
    assert journal.status == "completed", journal.error
    return journal


def _measured(journal: DrillJournal) -> dict[str, MeasuredRate]:
    step = journal.find(DetectStep)
    assert step is not None
    return {r.detector: r for r in step.detail.measured}


def _measure(stack: Stack) -> DetectorTable:
    """A real (small) measurement: the stale-index fault against its own detector, plus a clean-only one."""
    return measure_detectors(
        stack,
        deployment=Deployment.capture(stack, GOOD),
        golden=load_golden()[:60],
        faults=[StaleIndex()],
        detectors=[IndexStaleness(), SamplingConfigDrift()],
        windows=2,
        window_size=6,
        clean_windows=3,
        baseline_size=12,
    )


def test_without_a_measurement_every_detector_used_says_not_measured(tiny_stack: Stack, tmp_path: Path) -> None:
    journal = _drill(tiny_stack, tmp_path)
    rates = _measured(journal)
    assert set(rates) == set(names("detector")) == {d["detector"] for d in journal.detections}
    assert all(r.tp_rate is None and r.fp_rate is None and r.note == NOT_MEASURED for r in rates.values())
    assert rate_line(rates["index-staleness"]) == NOT_MEASURED
    again = DrillJournal.model_validate_json(journal.model_dump_json())
    assert _measured(again) == rates


def test_the_journal_quotes_the_workspace_measurement(tiny_stack: Stack, tmp_path: Path) -> None:
    table = _measure(tiny_stack)
    save_measured(tiny_stack.ws.root, table)
    own = next(r for r in table.rows if r.detector == "index-staleness")
    journal = _drill(tiny_stack, tmp_path)
    rates = _measured(journal)
    staleness = rates["index-staleness"]
    assert staleness.tp_rate == own.tp_rate and staleness.fp_rate == table.clean_fired["index-staleness"] / 3
    assert staleness.clean_windows == 3 and staleness.tp_faults.startswith("stale-index ") and not staleness.note
    assert staleness.source == str(tiny_stack.ws.root / "detectors" / "measured.json")
    # measured on clean traffic only: the FP rate is known, the TP rate is not
    drift = rates["sampling-config-drift"]
    assert drift.tp_rate is None and drift.fp_rate is not None and drift.note.startswith("TP not measured")
    # not in the measurement at all
    assert rates["chunk-age"].tp_rate is None and rates["chunk-age"].fp_rate is None
    assert f"TP {own.tp_rate:.0%} (stale-index" in rate_line(staleness)
    _shows_the_rates(tiny_stack, journal)


def _shows_the_rates(tiny_stack: Stack, journal: DrillJournal) -> None:
    """The terminal, the HTML report and the postmortem's eval-gap section quote them."""
    from replaylab.cli._common import console
    from replaylab.cli.drill_cmd import _print_journal
    from replaylab.cli.report import drill_html
    from replaylab.postmortem.response import eval_gap

    line = rate_line(_measured(journal)["index-staleness"])
    with console.capture() as cap:
        _print_journal(journal)
    shown = " ".join(cap.get().split())
    assert "measured rates" in shown and "index-staleness" in shown and "measured TP" in shown
    assert "measured=" not in shown  # not dumped into the step row
    assert line in drill_html([journal])
    text = "\n".join(_eval_gap_lines(tiny_stack, journal, eval_gap))
    assert "- Detector `index-staleness`: " in text and f"({line})" in text
    assert "`chunk-age`" in text and NOT_MEASURED in text


def _eval_gap_lines(stack: Stack, journal: DrillJournal, section) -> list[str]:  # type: ignore[no-untyped-def]
    """The postmortem's eval-gap section for a drill journal with no failing trace attached."""
    from types import SimpleNamespace

    ctx = SimpleNamespace(stack=stack, primary=None, inp=SimpleNamespace(journal=journal))
    return list(section(ctx))
