"""Fault injectors: each a registered pydantic model whose fields are its parameters.

    from replaylab.faults import Fault, parse_fault
    fault = parse_fault({"kind": "stale-index", "as_of": "2026-08-31"})
    injection = fault.inject(deployment, stack=stack, golden=golden)
    fault.rollback(injection, stack=stack)        # returns injection.before, served again

| kind | layer | what changes |
|---|---|---|
| embedding-drift | retrieval | query embedder -> another version; index not rebuilt |
| stale-index | retrieval | index built as of a date before the document updates |
| top-k-truncation | retrieval | top_k (or min_score) cut just above the answer chunk |
| tokenization-mismatch | retrieval | budget counted with whitespace; the model counts WordPiece |
| context-position-burial | generation | best chunk buried in the middle of a 20-chunk context |
| silent-model-change | generation | provider serves another version under the pinned name |
| prompt-instruction-conflict | generation | rag-answer@5 promoted to production |
| sampling-drift | generation | temperature / top_p raised |
| etl-bad-batch | upstream_data | one topic's documents re-ingested with altered facts |
| poisoned-documents | upstream_data | PoisonedRAG texts for target questions |
| routing-misclassification | routing | a new router version sends questions to the cheap model |
| agent-loop | routing | two sub-agents ask each other for clarification, no breaker |
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from replaylab.errors import ConfigError, error_where
from replaylab.faults.base import Change, FaultBase, Injection, rollback_steps
from replaylab.faults.data import EtlBadBatch, PoisonedDocuments
from replaylab.faults.generation import (
    ContextPositionBurial,
    PromptInstructionConflict,
    SamplingDrift,
    SilentModelChange,
)
from replaylab.faults.retrieval import EmbeddingDrift, StaleIndex, TokenizationMismatch, TopKTruncation
from replaylab.faults.routing import AgentLoop, RoutingMisclassification

Fault = Annotated[
    EmbeddingDrift
    | StaleIndex
    | TopKTruncation
    | TokenizationMismatch
    | ContextPositionBurial
    | SilentModelChange
    | PromptInstructionConflict
    | SamplingDrift
    | EtlBadBatch
    | PoisonedDocuments
    | RoutingMisclassification
    | AgentLoop,
    Field(discriminator="kind"),
]
"""Any built-in fault, told apart by `kind` (for scenario files and JSON Schema)."""

_ADAPTER: TypeAdapter[Fault] = TypeAdapter(Fault)


def parse_fault(data: dict[str, Any]) -> FaultBase:
    """A fault from its `kind` and parameters; one ConfigError line when they are wrong."""
    try:
        fault: FaultBase = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = error_where(err["loc"])
        raise ConfigError(f"Invalid fault {data.get('kind')!r}: {where}: {err['msg']}") from None
    return fault


__all__ = [
    "AgentLoop",
    "Change",
    "ContextPositionBurial",
    "EmbeddingDrift",
    "EtlBadBatch",
    "Fault",
    "FaultBase",
    "Injection",
    "PoisonedDocuments",
    "PromptInstructionConflict",
    "RoutingMisclassification",
    "SamplingDrift",
    "SilentModelChange",
    "StaleIndex",
    "TokenizationMismatch",
    "TopKTruncation",
    "parse_fault",
    "rollback_steps",
]
