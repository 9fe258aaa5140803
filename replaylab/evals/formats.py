"""The format evaluator, with a small JSON Schema checker.

The checker covers the subset output contracts use - `type`, `enum`, `const`,
`properties`, `required`, `additionalProperties` (bool), `items`, `minItems`/`maxItems`,
`minLength`/`maxLength`, `pattern`, `minimum`/`maximum` - and ignores other keywords, so
that format checks need no extra dependency.
"""

from __future__ import annotations

import json
import re

from replaylab.evals.base import EvalContext, Evaluator, Score, evaluator
from replaylab.evals.text import answer_text
from replaylab.stack.schema_check import schema_errors


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
