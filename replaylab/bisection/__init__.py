"""Bisect: the pure search over a predicate, the memoised prober, narrowing, ddmin, and
bisecting one recorded trace through the stack.

    result = bisect(good=good_cfg, bad=bad_cfg, outcome=replay_outcome)
    result.causes, result.replays, result.stopped_because, result.reproduce

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.registry import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
