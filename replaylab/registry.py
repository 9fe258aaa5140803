"""One registry for every plugin kind, filled by decorators.

    @register("fault", "stale-index")
    class StaleIndex(FaultBase): ...

    lookup("fault", "stale-index")   # -> the class
    names("fault")                   # -> sorted names

Built-in plugins are found in each kind's home package (`_HOMES`): every module there that
calls `@register(` is imported on the first lookup of that kind, so a registration is one
decorator, never an edit elsewhere.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from replaylab.errors import UnknownPlugin

T = TypeVar("T")

PluginKind = Literal[
    "variable",
    "embedder",
    "generator",
    "evaluator",
    "fault",
    "detector",
    "tool",
    "router",
    "engine",
    "proxy_fault",
    "importer",
    "drill",
]
"""Every plugin kind; `register`, `lookup`, `names` and `items` accept only these."""

_REGISTRY: dict[str, dict[str, Any]] = {}

# kind -> the package (or module) holding its built-in plugins; every submodule of a package
# whose source calls `@register(` is imported on the first lookup of that kind
_HOMES: dict[str, tuple[str, ...]] = {
    "variable": ("replaylab.variables",),
    "embedder": ("replaylab.stack.embedders",),
    "generator": ("replaylab.models",),
    "evaluator": ("replaylab.evals",),
    "fault": ("replaylab.faults",),
    "detector": ("replaylab.detectors",),
    "tool": ("replaylab.stack.tools",),
    "router": ("replaylab.stack.router",),
    "engine": ("replaylab.backtest",),
    "proxy_fault": ("replaylab.proxy.faults",),
    "importer": ("replaylab.importers",),
    "drill": ("replaylab.drills",),
}
_loaded: set[str] = set()


def _plugin_modules(home: str) -> list[str]:
    """`home` and those of its submodules that register something, found without importing them."""
    spec = importlib.util.find_spec(home)
    if spec is None:
        return []
    found = [home]
    for path in spec.submodule_search_locations or ():
        for info in pkgutil.walk_packages([path], prefix=f"{home}."):
            origin = Path(path, *info.name.removeprefix(f"{home}.").split("."))
            file = origin / "__init__.py" if info.ispkg else origin.with_suffix(".py")
            try:
                if "@register(" in file.read_text(encoding="utf-8"):
                    found.append(info.name)
            except OSError:
                continue
    return found


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's module-level `__getattr__` and `__dir__` for names imported on first use:
    `names` maps each public name to the module that defines it, so importing the package
    loads nothing heavy (`__getattr__, __dir__ = lazy_exports(__name__, _LAZY)`)."""

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted([*vars(sys.modules[package]), *names])

    return getattr_, dir_


def register(kind: PluginKind, name: str | None = None) -> Callable[[T], T]:
    """Class or function decorator: file `obj` under `kind`/`name`. Without `name`, a class's own
    `kind` names it (a pydantic model's `kind` field default, else a `kind` class attribute), so the
    name is written once."""

    def deco(obj: T) -> T:
        key = _own_name(obj) if name is None else name
        table = _REGISTRY.setdefault(kind, {})
        if key in table and table[key] is not obj:
            raise ValueError(f"{kind} {key!r} is registered twice")
        table[key] = obj
        return obj

    return deco


def _own_name(obj: object) -> str:
    """The name a plugin class gives itself in `kind`."""
    fields = getattr(obj, "model_fields", None)
    field = fields.get("kind") if isinstance(fields, dict) else None
    own = field.default if field is not None else getattr(obj, "kind", None)
    if not isinstance(own, str) or not own:
        raise TypeError(f"{obj!r} has no `kind` to register it by: give the name")
    return own


def _load(kind: PluginKind) -> None:
    if kind in _loaded:
        return
    _loaded.add(kind)
    for module in [m for home in _HOMES.get(kind, ()) for m in _plugin_modules(home)]:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # a plugin module not written yet, or an optional dependency missing:
            # its plugins are simply not registered
            if not (exc.name or "").startswith("replaylab"):
                continue
            if exc.name != module:
                raise


def lookup(kind: PluginKind, name: str) -> Any:
    """The plugin registered as `kind`/`name`, or UnknownPlugin listing the valid names."""
    found = _REGISTRY.get(kind, {}).get(name)
    if found is not None:  # registered already: no need to import every plugin module of `kind`
        return found
    _load(kind)
    table = _REGISTRY.get(kind, {})
    if name not in table:
        raise UnknownPlugin(f"Unknown {kind} {name!r}. Valid: {sorted(table)}")
    return table[name]


def names(kind: PluginKind) -> list[str]:
    """Every name registered under `kind`, sorted."""
    _load(kind)
    return sorted(_REGISTRY.get(kind, {}))


def items(kind: PluginKind) -> list[tuple[str, Any]]:
    """Every (name, plugin) registered under `kind`, sorted by name."""
    _load(kind)
    return sorted(_REGISTRY.get(kind, {}).items())
