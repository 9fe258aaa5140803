"""JSON Schemas of every file replaylab reads or writes (`replaylab schema`)."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import textwrap
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

# (schema name, module, class): a module not present yet is skipped
_MODELS: tuple[tuple[str, str, str], ...] = (
    ("trace", "replaylab.trace", "Trace"),
    ("run-config", "replaylab.config", "RunConfig"),
    ("document", "replaylab.stack.corpus", "Document"),
    ("golden-item", "replaylab.stack.corpus", "GoldenItem"),
    ("prompt-version", "replaylab.stack.prompts", "PromptVersion"),
    ("index-manifest", "replaylab.stack.index", "Manifest"),
    ("bisect-report", "replaylab.bisection.engine", "BisectResult"),
    ("eval-report", "replaylab.evals", "EvalReport"),
    ("diagnosis", "replaylab.diagnosis.tree", "Diagnosis"),
    ("scenario", "replaylab.scenario", "Scenario"),
    ("drill-journal", "replaylab.drills.fault", "DrillJournal"),
    ("teach-session", "replaylab.teach.record", "SessionRecord"),
    ("canary-gate-report", "replaylab.golden.release_gate", "GateReport"),
    ("project", "replaylab.project", "ProjectFile"),
    ("golden-run-report", "replaylab.golden.batch", "GoldenRunReport"),
    ("backtest-report", "replaylab.backtest.model", "BacktestReport"),
    ("seed-vectors-header", "replaylab.stack.seed_vectors", "SeedHeader"),
)


@cache
def own_field_docs(cls: type) -> dict[str, str]:
    """Field name -> attribute docstring (the string literal right under `name: type = ...`) in `cls`'s own body."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):  # no source: a built-in, a parametrised generic, a REPL class
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out: dict[str, str] = {}
    for a, b in itertools.pairwise(body):
        if (
            isinstance(a, ast.AnnAssign)
            and isinstance(a.target, ast.Name)
            and isinstance(b, ast.Expr)
            and isinstance(b.value, ast.Constant)
            and isinstance(b.value.value, str)
        ):
            out[a.target.id] = inspect.cleandoc(b.value.value)
    return out


def field_docs(cls: type[BaseModel]) -> dict[str, str]:
    """Attribute docstrings of a model's fields, its own and its bases' (a subclass's wins)."""
    out: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if isinstance(base, type) and issubclass(base, BaseModel) and base is not BaseModel:
            out.update(own_field_docs(base))
    return out


class DocumentedSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema, with each field's attribute docstring as its property's `description`, so an
    editor shows it; a `Field(description=...)` given explicitly wins. (pydantic's `use_attribute_docstrings`
    does this per model class; doing it here covers every file-format model without touching each one.)"""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        props = json_schema.get("properties")
        cls = schema["cls"]
        if not isinstance(props, dict) or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return json_schema
        docs = field_docs(cls)
        for name, field in cls.model_fields.items():
            prop = props.get(self._property_name(field, name))
            if name in docs and isinstance(prop, dict) and "description" not in prop:
                prop["description"] = docs[name]
        return json_schema

    def _property_name(self, field: FieldInfo, name: str) -> str:
        """The key pydantic files this field under in `properties` (its alias when the schema uses aliases)."""
        if not self.by_alias:
            return name
        alias = field.serialization_alias if self.mode == "serialization" else field.validation_alias
        return alias if isinstance(alias, str) else name


def _scenario_methods(schema: dict[str, Any]) -> dict[str, Any]:
    """Check a fault scenario's `method` as one of the built-in faults, told apart by `kind`, so an
    editor flags a wrong parameter too. Other runners (simulations) keep an open mapping; a scenario
    without `runner` is a fault scenario, and `if` holds for it because `properties` ignores absent keys."""
    from pydantic import TypeAdapter

    from replaylab.faults import Fault

    union = TypeAdapter(Fault).json_schema(ref_template="#/$defs/{model}", schema_generator=DocumentedSchema)
    clash = set(union.get("$defs", {})) & set(schema.get("$defs", {}))
    if clash:
        raise RuntimeError(f"fault and scenario schemas both define {sorted(clash)}")
    schema.setdefault("$defs", {}).update(union.pop("$defs", {}))
    schema["if"] = {"properties": {"runner": {"const": "fault"}}}
    schema["then"] = {"properties": {"method": union}}
    return schema


_POST: dict[str, Any] = {"scenario": _scenario_methods}


def all_schemas() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema, for every model whose module is installed."""
    out: dict[str, dict[str, Any]] = {}
    for name, module, cls_name in _MODELS:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            schema = cls.model_json_schema(schema_generator=DocumentedSchema)
            out[name] = _POST[name](schema) if name in _POST else schema
    return out
