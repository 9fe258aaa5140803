"""Re-measure the bundled known failures on the real stack (MiniLM + FAISS + sandbox reader):
each still fails on the shipped baseline for its recorded cause, and the two cases fixed in the
data (q026, q049) pass."""

from __future__ import annotations

import pytest

from replaylab.config import load_config
from replaylab.evals import verdict
from replaylab.golden.known_failures import known_failures
from replaylab.stack.corpus import load_golden
from replaylab.stack.pipeline import golden_of
from replaylab.workspace import PACKAGE_DATA

pytestmark = [pytest.mark.minilm]


def test_known_failures_still_fail_for_their_recorded_cause_and_the_fixed_cases_pass(tiny_stack) -> None:  # type: ignore[no-untyped-def]
    config = load_config(PACKAGE_DATA / "baseline.yaml")
    bundled = {g.qid: g for g in load_golden()}
    for qid, known in known_failures().items():
        case = bundled[qid]
        trace = tiny_stack.run(case.question, config, golden=golden_of(case))
        assert not verdict(trace).passed, f"{qid} passes now: delete it from golden_known_failures.yaml"
        assert known.explains(trace, case.doc_ids), f"{qid} fails for another reason than {known.cause}"
    for qid in ("q026", "q049"):
        trace = tiny_stack.run(bundled[qid].question, config, golden=golden_of(bundled[qid]))
        assert verdict(trace).passed, (qid, trace.generation.output if trace.generation else None)
