"""One registry for every plugin kind, filled by decorators.

    @register("fault", "stale-index")
    class StaleIndex(FaultBase): ...

    lookup("fault", "stale-index")   # -> the class
    names("fault")                   # -> sorted names

Built-in plugins live in modules listed in `_BUILTIN_MODULES`; they are imported on the
first lookup so that a registration is one decorator, never an edit elsewhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from replaylab.errors import UnknownPlugin

T = TypeVar("T")

_REGISTRY: dict[str, dict[str, Any]] = {}

# kind -> modules whose import registers the built-in plugins of that kind
_BUILTIN_MODULES: dict[str, tuple[str, ...]] = {
    "variable": ("replaylab.variables",),
    "embedder": ("replaylab.stack.embedders",),
    "generator": ("replaylab.models.reader", "replaylab.models.llama", "replaylab.models.openai_http"),
    "evaluator": ("replaylab.evals",),
    "fault": ("replaylab.faults",),
    "detector": ("replaylab.detectors", "replaylab.agents.detectors"),
    "tool": ("replaylab.agents.tools",),
    "router": ("replaylab.agents.router",),
}
_loaded: set[str] = set()


def register(kind: str, name: str) -> Callable[[T], T]:
    """Class or function decorator: file `obj` under `kind`/`name`."""

    def deco(obj: T) -> T:
        table = _REGISTRY.setdefault(kind, {})
        if name in table and table[name] is not obj:
            raise ValueError(f"{kind} {name!r} is registered twice")
        table[name] = obj
        return obj

    return deco


def _load(kind: str) -> None:
    if kind in _loaded:
        return
    _loaded.add(kind)
    for module in _BUILTIN_MODULES.get(kind, ()):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # a plugin module not written yet, or an optional dependency missing:
            # its plugins are simply not registered
            if not (exc.name or "").startswith("replaylab"):
                continue
            if exc.name != module:
                raise


def lookup(kind: str, name: str) -> Any:
    """The plugin registered as `kind`/`name`, or UnknownPlugin listing the valid names."""
    _load(kind)
    table = _REGISTRY.get(kind, {})
    if name not in table:
        raise UnknownPlugin(f"Unknown {kind} {name!r}. Valid: {sorted(table)}")
    return table[name]


def names(kind: str) -> list[str]:
    """Every name registered under `kind`, sorted."""
    _load(kind)
    return sorted(_REGISTRY.get(kind, {}))


def items(kind: str) -> list[tuple[str, Any]]:
    """Every (name, plugin) registered under `kind`, sorted by name."""
    _load(kind)
    return sorted(_REGISTRY.get(kind, {}).items())
