"""What of a drill belongs in its postmortem: its own time window, and the detectors that target
its fault (a silent detector built for another layer is not a gap in this incident).

    window = drill_window(journal)             # (first step start, last step end) or None
    relevant_detectors(journal)                # {"query-embedding-drift"} for embedding-drift
"""

from __future__ import annotations

from datetime import datetime, timedelta

from replaylab.detectors.measure import OWN_FAULTS
from replaylab.drills.journal import DrillJournal
from replaylab.errors import ReplaylabError

__all__ = ["drill_window", "in_window", "relevant_detectors"]

_EXPECTED = "detector "
"""Expectation names read `detector NAME fires`."""


def drill_window(journal: DrillJournal) -> tuple[datetime, datetime] | None:
    """When the drill ran: its first step's start to its last step's end (None without steps)."""
    if not journal.steps:
        return None
    start = min(s.started_at for s in journal.steps)
    end = max(s.started_at + timedelta(seconds=s.elapsed_s) for s in journal.steps)
    return start, end + timedelta(seconds=1)


def in_window(at: str, window: tuple[datetime, datetime] | None) -> bool:
    """Whether an ISO timestamp (a label move's `at`) falls inside the drill's window."""
    if window is None:
        return True
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=window[0].tzinfo)
    return window[0] <= when <= window[1]


def relevant_detectors(journal: DrillJournal) -> set[str]:
    """The detectors the scenario expects to fire, plus those built for its fault kind."""
    names = {
        e.name[len(_EXPECTED) :].removesuffix(" fires")
        for e in journal.expectations
        if e.name.startswith(_EXPECTED) and e.name.endswith(" fires")
    }
    kind = _fault_kind(journal.scenario)
    if kind is not None:
        names |= {d for d, faults in OWN_FAULTS.items() if kind in faults}
    return names


def _fault_kind(scenario: str) -> str | None:
    from replaylab.scenario import load_scenario

    try:
        kind = load_scenario(scenario).method.get("kind")
    except ReplaylabError:
        return None
    return kind if isinstance(kind, str) else None
