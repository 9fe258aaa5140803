"""Cassettes: the vcrpy profile (record modes, matcher, loader), the session a trace's
replays run inside, and the scrubbers and audit for secrets.

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.registry import lazy_exports

if TYPE_CHECKING:
    from replaylab.cassettes.profile import RecordMode, use_cassette
    from replaylab.cassettes.session import cassette_session

__all__ = ["RecordMode", "cassette_session", "use_cassette"]

_LAZY = {
    "RecordMode": "replaylab.cassettes.profile",
    "cassette_session": "replaylab.cassettes.session",
    "use_cassette": "replaylab.cassettes.profile",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
