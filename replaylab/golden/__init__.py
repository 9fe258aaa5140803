"""The golden set: the workspace store, the release gate that guards the `production`
label, and the pytest plugin that runs the set as tests.

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.registry import lazy_exports

if TYPE_CHECKING:
    from replaylab.golden.store import GoldenStore, case_checks

__all__ = ["GoldenStore", "case_checks"]

_LAZY = {"GoldenStore": "replaylab.golden.store", "case_checks": "replaylab.golden.store"}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
