"""The format evaluator, with a small JSON Schema checker.

The checker covers the subset output contracts use - `type`, `enum`, `const`,
`properties`, `required`, `additionalProperties` (bool), `items`, `minItems`/`maxItems`,
`minLength`/`maxLength`, `pattern`, `minimum`/`maximum` - and ignores other keywords, so
that format checks need no extra dependency.
"""

from __future__ import annotations

import json
import re
from typing import Any

from replaylab.evals.base import EvalContext, Evaluator, Score, evaluator
from replaylab.evals.text import answer_text

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _type_ok(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(kind, (object,)))


def schema_errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Where `value` breaks `schema` (the documented subset), as `path: problem` lines."""
    errs: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_type_ok(value, k) for k in kinds):
            return [f"{path}: expected {'/'.join(kinds)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        props: dict[str, Any] = schema.get("properties", {})
        errs += [f"{path}: missing {key!r}" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            errs += [f"{path}: unexpected {key!r}" for key in value if key not in props]
        for key, sub in props.items():
            if key in value and isinstance(sub, dict):
                errs += schema_errors(value[key], sub, f"{path}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errs.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                errs += schema_errors(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errs.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{path}: above {schema['maximum']}")
    return errs


@evaluator("format")
class Format(Evaluator):
    """1.0 when the output complies with the configured format, else 0.0: the answer fully
    matches `settings.format_regex`, and/or the output is JSON valid against
    `settings.format_schema`. Range 0..1; passes at 1.0; None when no format is configured."""

    def evaluate(self, ctx: EvalContext) -> Score:
        regex, schema = ctx.settings.format_regex, ctx.settings.format_schema
        if regex is None and schema is None:
            return self.score(1.0, None, "no output format configured")
        problems: list[str] = []
        if schema is not None:
            try:
                data = json.loads(ctx.output)
            except json.JSONDecodeError as exc:
                problems.append(f"output is not JSON ({exc.msg} at {exc.pos})")
            else:
                problems += schema_errors(data, schema)
        if regex is not None:
            text = answer_text(ctx.output).strip()
            if re.fullmatch(regex, text, flags=re.DOTALL) is None:
                problems.append(f"answer does not match /{regex}/")
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            return self.score(0.0, False, problems[0] + more, problems=len(problems))
        what = " and ".join(w for w, on in (("JSON Schema", schema is not None), ("regex", regex is not None)) if on)
        return self.score(1.0, True, f"output complies with the {what}")
