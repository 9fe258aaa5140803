"""Every shipped scenario file: the editor hint resolves, the strict model accepts it, and the
real-model variants in scenarios/gemma/ pin traffic the golden set holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from replaylab.cli.schemas import all_schemas
from replaylab.scenario import SCENARIO_DIR, SCHEMA_HINT, load_scenario, scenario_names
from replaylab.stack.corpus import load_golden

# scenarios/staging/ holds the staging proxy's fault files and Chaos Toolkit experiments: other formats, other loaders
STAGING = SCENARIO_DIR / "staging"
FILES = sorted(p for p in SCENARIO_DIR.rglob("*.yaml") if STAGING not in p.parents)
SCHEMA_DIR = SCENARIO_DIR.parent / "schemas"


def as_editor_sees(path: Path) -> Any:
    """The YAML as JSON (dates as strings), the way a YAML language server checks it against the schema."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def scenario_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "scenario.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def test_there_are_fourteen_sandbox_scenarios_and_two_gemma_ones() -> None:
    assert len(scenario_names()) == 14
    assert sorted(p.stem for p in (SCENARIO_DIR / "gemma").glob("*.yaml")) == ["context-position-burial", "poisoned-documents"]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIO_DIR)) for p in FILES])
def test_scenario_file_has_a_resolvable_schema_hint_and_loads(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = SCHEMA_HINT.partition("=")[0] + "="
    assert first.startswith(prefix)
    assert (path.parent / first.removeprefix(prefix)).resolve() == (
        SCENARIO_DIR.parent / "schemas" / "scenario.schema.json"
    ).resolve()
    assert load_scenario(str(path)).version == 1


@pytest.mark.parametrize("name", ["gemma/poisoned-documents", "gemma/context-position-burial"])
def test_gemma_scenarios_pin_real_golden_questions(name: str) -> None:
    scenario = load_scenario(name)
    golden = {g.qid for g in load_golden()}
    assert scenario.baseline["model"] == "gemma-3-270m"
    assert scenario.traffic.sample == 0 and scenario.traffic.qids
    assert set(scenario.traffic.qids) <= golden
    assert "real-llm" in scenario.tags


def test_committed_schemas_match_the_models() -> None:
    for name, schema in all_schemas().items():
        assert json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")) == schema, (
            f"schemas/{name}.schema.json is stale: run make schema"
        )


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIO_DIR)) for p in FILES])
def test_scenario_file_validates_against_the_exported_schema(path: Path) -> None:
    scenario_validator().validate(as_editor_sees(path))


@pytest.mark.parametrize(
    ("method", "why"),
    [
        ({"kind": "context-position-burial", "top_k": 5}, "top_k"),  # a long context means >= 20 chunks
        ({"kind": "top-k-truncation", "tok_k": 1}, "tok_k"),  # a typo in a parameter name
        ({"kind": "no-such-fault"}, "Unknown fault 'no-such-fault'"),
    ],
)
def test_the_schema_checks_fault_parameters_like_the_loader(tmp_path: Path, method: dict[str, Any], why: str) -> None:
    data = as_editor_sees(SCENARIO_DIR / "top-k-truncation.yaml")
    data["method"] = method
    assert list(scenario_validator().iter_errors(data)), method
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(Exception, match=why):
        load_scenario(str(bad))


def test_simulation_scenarios_keep_an_open_method() -> None:
    data = as_editor_sees(SCENARIO_DIR / "bad-prompt-rollout.yaml")
    assert data["runner"] == "prompt-rollout" and data["method"]["kind"] == "prompt-rollout"  # not a fault kind
    scenario_validator().validate(data)


def test_the_staging_proxy_fault_files_load_with_the_proxy_loader() -> None:
    from replaylab.proxy.control import load_proxy_scenario

    files = sorted(STAGING.glob("*.yaml"))
    assert files, "scenarios/staging/ ships a proxy fault file"
    for path in files:
        assert load_proxy_scenario(path).faults
