"""Every shipped scenario file: the editor hint resolves, the strict model accepts it, and the
real-model variants in scenarios/gemma/ pin traffic the golden set holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaylab.scenario import SCENARIO_DIR, load_scenario, scenario_names
from replaylab.stack.corpus import load_golden

FILES = sorted(SCENARIO_DIR.rglob("*.yaml"))


def test_there_are_fourteen_sandbox_scenarios_and_two_gemma_ones() -> None:
    assert len(scenario_names()) == 14
    assert sorted(p.stem for p in (SCENARIO_DIR / "gemma").glob("*.yaml")) == [
        "context-position-burial", "poisoned-documents"]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIO_DIR)) for p in FILES])
def test_scenario_file_has_a_resolvable_schema_hint_and_loads(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (path.parent / first.removeprefix(prefix)).resolve() == (SCENARIO_DIR.parent / "schemas" /
                                                                     "scenario.schema.json").resolve()
    assert load_scenario(str(path)).version == 1


@pytest.mark.parametrize("name", ["gemma/poisoned-documents", "gemma/context-position-burial"])
def test_gemma_scenarios_pin_real_golden_questions(name: str) -> None:
    scenario = load_scenario(name)
    golden = {g.qid for g in load_golden()}
    assert scenario.baseline["model"] == "gemma-3-270m"
    assert scenario.traffic.sample == 0 and scenario.traffic.qids
    assert set(scenario.traffic.qids) <= golden
    assert "real-llm" in scenario.tags
