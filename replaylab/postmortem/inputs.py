"""What a postmortem draft is built from, and the guardrails it proposes per cause variable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from replaylab.bisection.engine import BisectResult
from replaylab.config import RunConfig
from replaylab.drills.journal import DrillJournal
from replaylab.errors import ReplaylabError
from replaylab.trace import Trace

GUARDRAILS: dict[str, list[str]] = {  # what a postmortem proposes per cause variable
    "embedder": [
        "Alert when the query embedder id differs from the embedder the served index was built with.",
        "Canary gate: an embedder change ships only with a rebuilt index, through `replaylab canary-gate`.",
    ],
    "index": [
        "Alert when the served index's as-of date trails the corpus's newest document (chunk_age evaluator, "
        "indexing-pipeline heartbeat).",
        "Rollback rule: serve the last snapshot built from the current corpus.",
    ],
    "top_k": ["Canary gate on retrieval settings with retrieval_hit and recall_at_k."],
    "min_score": ["Canary gate on retrieval settings with retrieval_hit and recall_at_k."],
    "tokenizer": ["Gate: the assembler counts the budget with the model's own tokenizer; alert on model-side truncation."],
    "context_budget": ["Gate: the context budget fits the model window counted with the model's tokenizer."],
    "prompt": [
        "Canary gate: a new prompt version reaches `production` only through `replaylab canary-gate` with "
        "behavioural evaluators (correct, sycophancy, format).",
        "Rollback rule: move the `production` label back (a PPV change only; ALV, MRV, TAV untouched), with "
        "sessions pinned and drained.",
    ],
    "model": [
        "Alert on any response whose returned model differs from the pinned one (model_version evaluator).",
        "Pin exact model versions; a provider-side version change goes through the canary gate.",
    ],
    "sampling": [
        "Sampling parameters are versioned config: changes go through the canary gate; alert on drift from the pinned values."
    ],
    "context_order": ["Canary gate with the answer-first and answer-last counterfactuals (position-bias check)."],
    "corpus": [
        "Alert on source concentration: retrieved chunks concentrating on one recent ingestion.",
        "Quarantine new document batches behind a golden-set replay before they reach the index.",
        "Rollback rule: drop the batch and serve the index built without it.",
    ],
    "router": [
        "Alert when a handler's traffic share deviates from its baseline.",
        "Canary gate on router versions with the route evaluator.",
    ],
    "tools": [
        "Circuit breaker (open after 3 failures in 30 s), a step cap per session, and a loop guard on the same "
        "tool with the same arguments more than twice (replaylab.agents.guards).",
        "Token budget cap per session.",
    ],
}


@dataclass
class PostmortemInput:
    """What a draft is built from."""

    source: Path
    kind: Literal["bisect", "drill"]
    result: BisectResult | None
    """The bisect (for a drill: the journal's own bisect, when it ran)."""
    journal: DrillJournal | None = None
    traces: list[Trace] = field(default_factory=list)
    """Failing traces, the one bisect ran on first."""
    trace_paths: dict[str, Path] = field(default_factory=dict)
    trace_note: str = ""
    """Where the traces came from, in words (or why there are none)."""
    baseline: list[Trace] = field(default_factory=list)
    """The same requests served before the fault (a reproduced drill only)."""

    @property
    def primary(self) -> Trace | None:
        return self.traces[0] if self.traces else None

    def good_values(self) -> dict[str, Any]:
        """The known-good value of every cause bisect named."""
        return {c.variable: c.good_value for c in self.result.causes} if self.result else {}

    def good_config(self) -> RunConfig | None:
        from replaylab.variables import apply_values

        if self.primary is None or not self.good_values():
            return None
        try:
            return apply_values(self.primary.config, self.good_values())
        except ReplaylabError:
            return None
