"""replaylab: replay a failing LLM/RAG request, bisect its cause, and drill faults.

The public API is what `__all__` lists; everything else may change. Names are imported
lazily so that `import replaylab` (e.g. by the pytest plugin) loads nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from replaylab.errors import ReplaylabError

if TYPE_CHECKING:
    from replaylab.bisect import BisectResult, bisect
    from replaylab.config import RunConfig, SamplingParams
    from replaylab.stack.pipeline import Stack
    from replaylab.trace import Trace, load_trace, save_trace

__all__ = ["BisectResult", "ReplaylabError", "RunConfig", "SamplingParams", "Stack", "Trace", "bisect", "load_trace",
           "save_trace"]
__version__ = "0.1.0"

_LAZY = {"RunConfig": "replaylab.config", "SamplingParams": "replaylab.config", "Stack": "replaylab.stack.pipeline",
         "Trace": "replaylab.trace", "load_trace": "replaylab.trace", "save_trace": "replaylab.trace",
         "bisect": "replaylab.bisect", "BisectResult": "replaylab.bisect"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replaylab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
