"""Bisect: the pure search over a predicate, the memoised prober, narrowing, ddmin, and
bisecting one recorded trace through the stack.

    result = bisect(good=good_cfg, bad=bad_cfg, outcome=replay_outcome)
    result.causes, result.replays, result.stopped_because, result.reproduce

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replaylab.bisection.ddmin import ddmin
    from replaylab.bisection.engine import BisectResult, bisect
    from replaylab.bisection.narrow import first_bad_version
    from replaylab.bisection.probe import Prober
    from replaylab.bisection.trace_bisector import TraceBisector

__all__ = ["BisectResult", "Prober", "TraceBisector", "bisect", "ddmin", "first_bad_version"]

_LAZY = {
    "BisectResult": "replaylab.bisection.engine",
    "Prober": "replaylab.bisection.probe",
    "TraceBisector": "replaylab.bisection.trace_bisector",
    "bisect": "replaylab.bisection.engine",
    "ddmin": "replaylab.bisection.ddmin",
    "first_bad_version": "replaylab.bisection.narrow",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replaylab.bisection' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
