"""The variables a replay can swap, each registered once.

A variable knows how to read its value from a configuration (or a trace), how to apply a
value to a configuration, how to parse one from `--set VAR=VALUE`, and which layer of the
diagnosis tree it belongs to. Adding a variable is one `@register("variable", name)`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import TypeAdapter, ValidationError

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.registry import items, lookup, register

Layer = Literal["retrieval", "generation", "routing", "upstream_data"]
LAYERS: tuple[Layer, ...] = ("retrieval", "generation", "routing", "upstream_data")


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(tp: type) -> TypeAdapter[Any]:
    """One TypeAdapter per value type: building one is far slower than using it, and bisect reads every
    variable of every configuration it tries."""
    if tp not in _ADAPTERS:
        _ADAPTERS[tp] = TypeAdapter(tp)
    return _ADAPTERS[tp]


class Variable:
    """A field of `RunConfig` that bisect can swap. Subclasses set name, field and layer."""

    name: ClassVar[str]
    field: ClassVar[str]
    layer: ClassVar[Layer]
    doc: ClassVar[str] = ""

    def read(self, config: RunConfig) -> Any:
        """The value as JSON-able data."""
        value = getattr(config, self.field)
        return _adapter(type(value)).dump_python(value, mode="json") if value is not None else None

    def apply(self, config: RunConfig, value: Any) -> RunConfig:
        """A copy of `config` with this variable set to `value` (validated)."""
        data = config.model_dump(mode="json")
        data[self.field] = value
        try:
            return RunConfig.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"Invalid value for {self.name}: {err['msg']} ({value!r})") from None

    def parse(self, text: str, current: Any) -> Any:
        """Parse `--set name=TEXT`: JSON, `k=v,k=v` updates of a structured value, or a plain string."""
        text = text.strip()
        if isinstance(current, dict) and "=" in text and not text.startswith("{"):
            merged = dict(current)
            for part in text.split(","):
                key, sep, val = part.partition("=")
                key = key.strip()
                if not sep or not key:
                    raise ConfigError(f"Cannot parse {self.name}={text!r}: expected key=value pairs")
                if key not in merged:
                    raise ConfigError(f"{self.name} has no field {key!r}. Fields: {sorted(merged)}")
                merged[key] = _scalar(val.strip())
            return merged
        if text.lower() in ("none", "null") and self.field in _NULLABLE:
            return None
        return _scalar(text)


def _scalar(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or an int past sys.get_int_max_str_digits()
        return text


_NULLABLE = {"min_score", "context", "router", "tools"}


def _field_variable(name: str, field: str, layer: Layer, doc: str) -> type[Variable]:
    cls = type(
        f"{name.title().replace('_', '')}Variable",
        (Variable,),
        {"name": name, "field": field, "layer": layer, "doc": doc, "__doc__": doc},
    )
    register("variable", name)(cls)
    return cls


_field_variable("prompt", "prompt", "generation", "Prompt version (template@version): PPV.")
_field_variable("model", "model", "generation", "The model version that answers: MRV.")
_field_variable("sampling", "sampling", "generation", "temperature, top_p, seed, max_tokens.")
_field_variable("context_order", "context_order", "generation", "Where chunks sit in the prompt (position bias).")
_field_variable("index", "index", "retrieval", "Index snapshot spec: embedder, as-of date, chunking, kind.")
_field_variable("embedder", "embedder", "retrieval", "The embedder queries are embedded with.")
_field_variable("top_k", "top_k", "retrieval", "How many chunks are retrieved.")
_field_variable("min_score", "min_score", "retrieval", "Score cutoff below which chunks are dropped.")
_field_variable("tokenizer", "tokenizer", "retrieval", "Tokenizer the context budget is counted with.")
_field_variable("context_budget", "context_budget", "retrieval", "Token budget of the assembled context.")
_field_variable("corpus", "corpus", "upstream_data", "The documents: base source plus ingested batches.")
_field_variable("router", "router", "routing", "Router version deciding the handler.")
_field_variable("tools", "tools", "routing", "Tool schema set (TAV).")


@register("variable", "context")
class ContextVariable(Variable):
    """The retrieved chunks themselves: `live`, `none`, or chunk ids held in order."""

    name = "context"
    field = "context"
    layer: ClassVar[Layer] = "retrieval"

    def parse(self, text: str, current: Any) -> Any:
        text = text.strip()
        if text == "live":
            return None
        if text == "none":
            return []
        if text.startswith("["):
            return _scalar(text)
        return [c.strip() for c in text.split(",") if c.strip()]


def get_variable(name: str) -> Variable:
    inst: Variable = lookup("variable", name)()
    return inst


def all_variables() -> list[Variable]:
    return [cls() for _, cls in items("variable")]


def apply_values(config: RunConfig, values: dict[str, Any]) -> RunConfig:
    """Apply several variable values to a configuration."""
    for name, value in values.items():
        config = get_variable(name).apply(config, value)
    return config


def read_values(config: RunConfig) -> dict[str, Any]:
    """Every variable's value in `config`, JSON-able."""
    return {v.name: v.read(config) for v in all_variables()}


def differing(good: RunConfig, bad: RunConfig) -> list[str]:
    """Names of the variables whose values differ between two configurations."""
    g, b = read_values(good), read_values(bad)
    return [name for name in g if json.dumps(g[name], sort_keys=True) != json.dumps(b[name], sort_keys=True)]


def parse_assignment(text: str, config: RunConfig) -> tuple[str, Any]:
    """Parse one `VAR=VALUE` against `config` (structured values merge key=value updates)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise ConfigError(f"--set expects VAR=VALUE, got {text!r}")
    var = get_variable(name.strip())
    return var.name, var.parse(value, var.read(config))


def layer_of(name: str) -> Layer:
    return get_variable(name).layer
