"""`replaylab detect` on a user's own trace folders, quality-drop's sensitivity to a mild drop,
and query-embedding-drift on agent traffic (no query embedded)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaylab.detectors import QualityDrop, QueryEmbeddingDrift, run_detectors
from replaylab.trace import Trace, save_trace

QUESTIONS = [
    "How long is the refund window?",
    "What is the grace period for failed payments?",
    "How many devices can a Team seat sync?",
    "How long are deleted files kept in the trash?",
    "What port does the sync service use?",
    "How long is an SSO session?",
]


class FixedFlags(QualityDrop):
    """quality-drop with the per-trace verdicts given (a stand-in for the evaluators)."""

    def flags(self, traces: Sequence[Trace]) -> list[bool]:
        return [t.tags.get("ok") == "1" for t in traces]


def _traces(base: Trace, ok: int, n: int) -> list[Trace]:
    return [base.model_copy(update={"tags": {"ok": "1" if i < ok else "0"}}) for i in range(n)]


def test_quality_drop_catches_the_mild_top_k_drop_over_21_requests(tiny_stack, tiny_config) -> None:  # type: ignore[no-untyped-def]
    t = tiny_stack.run(QUESTIONS[0], tiny_config)
    baseline = _traces(t, 95, 100)
    d = FixedFlags().detect(_traces(t, 16, 21), baseline, stack=tiny_stack)  # 95 % -> 76 %, the miss
    assert d.fired and d.p_value is not None and d.p_value < 0.01, d.reason
    quiet = FixedFlags().detect(_traces(t, 20, 21), baseline, stack=tiny_stack)
    assert not quiet.fired
    small = FixedFlags().detect(_traces(t, 3, 5), baseline, stack=tiny_stack)
    assert not small.fired and "underpowered: 5 requests" in small.reason
    need = FixedFlags().min_window([True] * 95 + [False] * 5)
    assert need is not None and 5 < need <= 40


def test_query_embedding_drift_is_quiet_on_agent_traffic(tiny_stack, tiny_config) -> None:  # type: ignore[no-untyped-def]
    t = tiny_stack.run(QUESTIONS[0], tiny_config)
    agent = t.model_copy(update={"retrieval": None, "versions": t.versions.model_copy(update={"embedder": "none"})})
    d = QueryEmbeddingDrift().detect([agent] * 10, [agent] * 10, stack=tiny_stack)
    assert not d.fired and "embed no query" in d.reason
    detections, _ = run_detectors([agent] * 10, [agent] * 10, stack=tiny_stack)
    assert not [x for x in detections if x["detector"] == "query-embedding-drift" and x.get("error")]


def _write(folder: Path, traces: list[Trace]) -> Path:
    folder.mkdir(parents=True)
    for i, tr in enumerate(traces):
        save_trace(tr, folder / f"t{i}.json")
    (folder / "journal.json").write_text('{"not": "a trace"}')  # skipped, not an error
    return folder


def test_detect_runs_every_detector_on_a_users_folders(tiny_stack, tiny_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import replaylab.cli.detect_cmd  # noqa: F401
    from replaylab.cli import app
    from replaylab.cli._common import get_stack
    from replaylab.registry import names

    good = [tiny_stack.run(q, tiny_config) for q in QUESTIONS]
    hot = tiny_config.model_copy(update={"sampling": tiny_config.sampling.model_copy(update={"temperature": 1.3})})
    bad = [tiny_stack.run(q, hot) for q in QUESTIONS]
    base_dir, win_dir = _write(tmp_path / "before", good), _write(tmp_path / "today", bad)
    get_stack.cache_clear()
    out = tmp_path / "detect.json"
    result = CliRunner().invoke(app, ["detect", "--traces", str(win_dir), "--baseline", str(base_dir), "--json", str(out)])
    assert result.exit_code == 1, result.output  # a detector fired
    assert "sampling-config-drift" in result.output and "FIRED" in result.output
    import json

    report = json.loads(out.read_text())
    assert {d["detector"] for d in report["detections"]} == set(names("detector"))
    fired = {d["detector"] for d in report["detections"] if d.get("fired")}
    assert "sampling-config-drift" in fired and "query-embedding-drift" not in fired
    same = CliRunner().invoke(app, ["detect", "--traces", str(base_dir), "--baseline", str(base_dir)])
    assert same.exit_code == 0, same.output


@pytest.mark.parametrize("args", [["detect", "--traces", "/nonexistent"], ["detectors", "measure", "--fault", "nope"]])
def test_bad_input_is_one_line_exit_2(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import replaylab.cli.detect_cmd  # noqa: F401
    from replaylab.cli import main

    monkeypatch.setattr("sys.argv", ["replaylab", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_measurement_is_kept_for_drill_journals(tiny_stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import math

    from replaylab.config import IndexSpec, RunConfig
    from replaylab.detectors import SamplingConfigDrift
    from replaylab.detectors.measure import load_measured, measure_detectors, measured_rates, save_measured
    from replaylab.faults.generation import SamplingDrift
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.deployment import Deployment

    cfg = RunConfig(embedder="hashing-test", index=IndexSpec(embedder="hashing-test"))
    table = measure_detectors(
        tiny_stack,
        deployment=Deployment.capture(tiny_stack, cfg),
        golden=load_golden()[:60],
        faults=[SamplingDrift(temperature=1.3)],
        detectors=[SamplingConfigDrift(), FixedFlags()],
        windows=2,
        window_size=6,
        clean_windows=3,
        baseline_size=12,
    )
    assert [(r.detector, r.fault, r.tp_rate) for r in table.rows] == [("sampling-config-drift", "sampling-drift", 1.0)]
    assert table.clean_windows == 3 and set(table.clean_fired) == {"sampling-config-drift", "quality-drop"}
    assert load_measured(tmp_path) is None
    save_measured(tmp_path, table)
    kept = load_measured(tmp_path)
    assert kept is not None
    rates = measured_rates(kept, "sampling-config-drift")
    assert rates["tp_rate"] == 1.0 and rates["fp_rate"] == 0.0 and rates["clean_windows"] == 3
    assert math.isnan(float(measured_rates(kept, "quality-drop")["tp_rate"]))  # no own fault measured
    from replaylab.detectors.measure import fault_label
    from replaylab.faults.retrieval import TopKTruncation

    assert (
        fault_label(TopKTruncation(top_k=3)) == "top-k-truncation(top_k=3)"
        and fault_label(TopKTruncation()) == "top-k-truncation"
    )
