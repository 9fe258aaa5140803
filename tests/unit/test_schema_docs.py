"""The exported JSON Schemas carry each field's attribute docstring as its property's `description`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from replaylab.cli.schemas import DocumentedSchema, all_schemas, field_docs
from replaylab.diagnosis.facts import LayerEvidence
from replaylab.trace import Trace

SYNTHETIC = ("/if", "/then")
"""Parts of the scenario schema replaylab writes by hand (the fault union under `method`), not a model's properties."""


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, property schema) of every property anywhere in a schema, $defs included."""
    if isinstance(node, dict):
        for key, prop in (node.get("properties") or {}).items():
            yield f"{path}/properties/{key}", prop
        for key, sub in node.items():
            yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{path}/{i}")


def test_every_property_of_the_trace_schema_has_the_fields_docstring() -> None:
    schema = all_schemas()["trace"]
    props = dict(_properties(schema))
    assert len(props) > 50, "the walk found too few properties: the check itself is broken"
    assert [p for p, prop in props.items() if not prop.get("description")] == []
    assert schema["properties"]["trace_id"]["description"] == field_docs(Trace)["trace_id"]


def test_every_property_of_every_exported_schema_has_a_description() -> None:
    schemas = all_schemas()
    assert {"trace", "run-config", "scenario", "drill-journal", "bisect-report"} <= set(schemas)
    bare = [
        f"{name}:{path}"
        for name, schema in schemas.items()
        for path, prop in _properties(schema)
        if not path.startswith(SYNTHETIC) and not prop.get("description")
    ]
    assert bare == [], "properties without a description (add a docstring under the field):\n" + "\n".join(bare)


def test_the_fault_parameters_in_the_scenario_schema_are_described() -> None:
    defs = all_schemas()["scenario"]["$defs"]
    assert defs["StaleIndex"]["properties"]["kind"]["description"].startswith("The fault's registered name")
    assert "temperature" in defs["SamplingDrift"]["properties"]["temperature"]["description"]


class _Base(BaseModel):
    kept: int = 0
    """From the base."""
    replaced: int = 0
    """The base's words."""


class _Sample(_Base):
    replaced: int = 0
    """The subclass's words."""
    explicit: int = Field(0, description="Given explicitly.")
    """A docstring that loses to the explicit description."""
    aliased: int = Field(0, alias="seen-as")
    """Filed under the alias."""
    bare: int = 0


def test_an_explicit_description_wins_and_aliases_and_bases_are_followed() -> None:
    props = _Sample.model_json_schema(schema_generator=DocumentedSchema)["properties"]
    assert props["kept"]["description"] == "From the base."
    assert props["replaced"]["description"] == "The subclass's words."
    assert props["explicit"]["description"] == "Given explicitly."
    assert props["seen-as"]["description"] == "Filed under the alias."
    assert "description" not in props["bare"]
    by_name = _Sample.model_json_schema(schema_generator=DocumentedSchema, by_alias=False)["properties"]
    assert by_name["aliased"]["description"] == "Filed under the alias."


def test_an_aliased_file_format_field_is_described_under_its_alias() -> None:
    props = LayerEvidence.model_json_schema(schema_generator=DocumentedSchema)["properties"]
    assert props["for"]["description"].startswith("Sentences saying the failure is in this layer")
    assert props["against"]["description"] == "Sentences saying it is not, strongest first."
