"""Postmortem drafts from a bisect report or a drill journal, filled from recorded data.

    inp = load_run(Path("bisect.json"))
    markdown = draft_postmortem(inp, stack=stack)

Names are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaylab.registry import lazy_exports

if TYPE_CHECKING:
    from replaylab.postmortem.draft import draft_postmortem, load_run, reproduce_drill
    from replaylab.postmortem.inputs import GUARDRAILS, PostmortemInput

__all__ = ["GUARDRAILS", "PostmortemInput", "draft_postmortem", "load_run", "reproduce_drill"]

_LAZY = {
    "GUARDRAILS": "replaylab.postmortem.inputs",
    "PostmortemInput": "replaylab.postmortem.inputs",
    "draft_postmortem": "replaylab.postmortem.draft",
    "load_run": "replaylab.postmortem.draft",
    "reproduce_drill": "replaylab.postmortem.draft",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
