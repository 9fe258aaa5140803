"""The golden set: the workspace store, the release gate that guards the `production`
label, and the pytest plugin that runs the set as tests.

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replaylab.golden.store import GoldenStore, case_checks

__all__ = ["GoldenStore", "case_checks"]

_LAZY = {"GoldenStore": "replaylab.golden.store", "case_checks": "replaylab.golden.store"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replaylab.golden' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
