"""Cassettes: the vcrpy profile (record modes, matcher, loader), the session a trace's
replays run inside, and the scrubbers and audit for secrets.

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replaylab.cassettes.profile import RecordMode, use_cassette
    from replaylab.cassettes.session import cassette_session

__all__ = ["RecordMode", "cassette_session", "use_cassette"]

_LAZY = {
    "RecordMode": "replaylab.cassettes.profile",
    "cassette_session": "replaylab.cassettes.session",
    "use_cassette": "replaylab.cassettes.profile",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replaylab.cassettes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
