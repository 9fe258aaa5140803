"""Tools with versioned JSON schemas, and the tool-set versions that make up the TAV.

A tool is registered once (`@register("tool", name)`) with every schema version it has
had. A *tool set* (`RunConfig.tools`, recorded in a trace as `versions.tav`) pins one
schema version per tool - the contract the router and the agents call against:

| tool set | doc_lookup | date_calc | ask_agent |
|---|---|---|---|
| tools-v1 | 1 `{doc_id}` | 1 `{start, days}` | 1 `{agent, question, context}` |
| tools-v2 | 1 | 1 | 2 `{agent, question}`: `context` dropped to "simplify" the schema |

tools-v2 is the agent-loop fault's trigger: without `context`, an agent asked for
clarification cannot see what the asker already knew, and asks back (see `loop.py`).

Arguments are checked against the pinned schema (the documented subset of
`replaylab.evals.formats.schema_errors`); a call that breaks it, or a tool that cannot do
what was asked, is a failed `ToolResult` - never an exception - so the agent loop can feed
failures to its circuit breaker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from replaylab.errors import ConfigError
from replaylab.registry import lookup, register
from replaylab.stack.schema_check import schema_errors

DOC_ID = r"^(hc|pol|chg|rb|sp)-[0-9]{4}$"
"""Document ids of the bundled corpus: source prefix, dash, four digits."""

Ask = Callable[[str, str, Mapping[str, Any]], str]
"""(callee agent, question, context) -> the callee's answer; supplied by the agent loop."""


class ToolSpec(BaseModel):
    """One version of one tool's contract, as a model sees it in its prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: int
    description: str
    parameters: dict[str, Any]
    """JSON Schema of the arguments (an object schema)."""


class ToolResult(BaseModel):
    """What a tool call returned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    output: str
    """The result text, or why the call failed."""


@dataclass
class ToolContext:
    """What tools may reach: the documents, and the agent loop for `ask_agent`."""

    documents: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None
    """doc_id -> "title: text", or a function returning it (called once, on first use)."""
    ask: Ask | None = None
    _docs: Mapping[str, str] | None = field(default=None, init=False, repr=False)

    def doc(self, doc_id: str) -> str | None:
        if self._docs is None:
            docs = self.documents() if callable(self.documents) else self.documents
            self._docs = docs or {}
        return self._docs.get(doc_id)


class ToolFailure(Exception):
    """A tool could not do what was asked (becomes a failed ToolResult)."""


class Tool:
    """A tool: its schema versions and what it does. Subclasses register themselves."""

    name: ClassVar[str]
    schemas: ClassVar[dict[int, tuple[str, dict[str, Any]]]]
    """version -> (description, JSON Schema of the arguments)."""

    def spec(self, version: int) -> ToolSpec:
        if version not in self.schemas:
            raise ConfigError(f"Tool {self.name!r} has no schema version {version}. Valid: {sorted(self.schemas)}")
        description, parameters = self.schemas[version]
        return ToolSpec(name=self.name, version=version, description=description, parameters=parameters)

    def run(self, arguments: Mapping[str, Any], ctx: ToolContext) -> str:
        """Do the work; raise ToolFailure when it cannot be done."""
        raise NotImplementedError


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


@register("tool", "doc_lookup")
class DocLookup(Tool):
    """The title and text of one document of the served corpus, by id."""

    name = "doc_lookup"
    schemas = {
        1: (
            "Return the title and text of one knowledge-base document.",
            _object(["doc_id"], doc_id={"type": "string", "pattern": DOC_ID}),
        )
    }

    def run(self, arguments: Mapping[str, Any], ctx: ToolContext) -> str:
        doc_id = str(arguments["doc_id"])
        text = ctx.doc(doc_id)
        if text is None:
            raise ToolFailure(f"no document {doc_id!r} in the served corpus")
        return text


@register("tool", "date_calc")
class DateCalc(Tool):
    """A calendar date plus or minus a number of days."""

    name = "date_calc"
    schemas = {
        1: (
            "Add a number of days (negative: subtract) to an ISO date.",
            _object(
                ["start", "days"],
                start={"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                days={"type": "integer", "minimum": -36500, "maximum": 36500},
            ),
        )
    }

    def run(self, arguments: Mapping[str, Any], ctx: ToolContext) -> str:
        try:
            start = date.fromisoformat(str(arguments["start"]))
        except ValueError:
            raise ToolFailure(f"{arguments['start']!r} is not a calendar date") from None
        end = start + timedelta(days=int(arguments["days"]))
        return f"{start.isoformat()} + {int(arguments['days'])} days = {end.isoformat()} ({end:%A})"


@register("tool", "ask_agent")
class AskAgent(Tool):
    """Ask another sub-agent a question and wait for its answer."""

    name = "ask_agent"
    schemas = {
        1: (
            "Ask another agent (billing, accounts) a question; put what you already know in context.",
            _object(
                ["agent", "question", "context"],
                agent={"type": "string", "minLength": 1},
                question={"type": "string", "minLength": 1},
                context={"type": "object"},
            ),
        ),
        2: (
            "Ask another agent (billing, accounts) a question.",
            _object(["agent", "question"], agent={"type": "string", "minLength": 1}, question={"type": "string", "minLength": 1}),
        ),
    }

    def run(self, arguments: Mapping[str, Any], ctx: ToolContext) -> str:
        if ctx.ask is None:
            raise ToolFailure("ask_agent needs an agent loop; the router cannot call it")
        return ctx.ask(str(arguments["agent"]), str(arguments["question"]), dict(arguments.get("context") or {}))


TOOLSETS: dict[str, dict[str, int]] = {
    "tools-v1": {"doc_lookup": 1, "date_calc": 1, "ask_agent": 1},
    "tools-v2": {"doc_lookup": 1, "date_calc": 1, "ask_agent": 2},
}
"""Tool-set version (TAV) -> tool -> pinned schema version."""


class ToolSet:
    """The tools one TAV pins: their specs, and calls checked against them."""

    def __init__(self, version: str) -> None:
        if version not in TOOLSETS:
            raise ConfigError(f"Unknown tool set {version!r}. Valid: {sorted(TOOLSETS)}")
        self.version = version
        self.pins = dict(TOOLSETS[version])
        self.tools: dict[str, Tool] = {name: lookup("tool", name)() for name in self.pins}

    def spec(self, tool: str) -> ToolSpec | None:
        """The pinned spec of `tool`, or None when this set does not offer it."""
        return self.tools[tool].spec(self.pins[tool]) if tool in self.tools else None

    def specs(self) -> list[ToolSpec]:
        return [self.tools[name].spec(v) for name, v in sorted(self.pins.items())]

    def accepts(self, tool: str, argument: str) -> bool:
        """Does the pinned schema of `tool` declare `argument`?"""
        spec = self.spec(tool)
        return spec is not None and argument in spec.parameters.get("properties", {})

    def rejection(self, tool: str, arguments: Mapping[str, Any]) -> str | None:
        """Why this set refuses the call (unknown tool, arguments off the pinned schema), or None."""
        spec = self.spec(tool)
        if spec is None:
            return f"{self.version} has no tool {tool!r}; it offers {sorted(self.pins)}"
        problems = schema_errors(dict(arguments), spec.parameters, path="arguments")
        return f"{tool}@{spec.version} rejected the call: " + "; ".join(problems) if problems else None

    def call(self, tool: str, arguments: Mapping[str, Any], ctx: ToolContext) -> ToolResult:
        """Run one call: unknown tool or schema violation or tool failure -> ok=False with why."""
        refused = self.rejection(tool, arguments)
        if refused is not None:
            return ToolResult(ok=False, output=refused)
        try:
            return ToolResult(ok=True, output=self.tools[tool].run(arguments, ctx))
        except ToolFailure as exc:
            return ToolResult(ok=False, output=f"{tool} failed: {exc}")


def toolset(version: str) -> ToolSet:
    """The tool set `version` (one ConfigError line when unknown)."""
    return ToolSet(version)


_DOC_REF = re.compile(r"\b(?:hc|pol|chg|rb|sp)-\d{4}\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DAYS = re.compile(r"\b(\d{1,5})\s+(?:calendar\s+)?days?\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(before|earlier|prior|ago|back from)\b", re.IGNORECASE)


def doc_lookup_arguments(question: str) -> dict[str, Any] | None:
    """The doc_lookup call a question asks for (a document id in it), or None."""
    m = _DOC_REF.search(question)
    return {"doc_id": m.group(0).lower()} if m else None


def date_calc_arguments(question: str) -> dict[str, Any] | None:
    """The date_calc call a question asks for (an ISO date and a number of days in it), or None."""
    d, n = _ISO_DATE.search(question), _DAYS.search(question)
    if not d or not n:
        return None
    days = int(n.group(1))
    return {"start": d.group(0), "days": -days if _BEFORE.search(question) else days}


ARGUMENT_EXTRACTORS: dict[str, Callable[[str], dict[str, Any] | None]] = {
    "doc_lookup": doc_lookup_arguments,
    "date_calc": date_calc_arguments,
}
"""How the router fills a direct tool call from the question text."""
