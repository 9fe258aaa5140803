"""What the diagnosis tree reads about one trace (`Facts`) and the evidence it writes (`Ledger`).

Weights (0..1) rank a ledger's sentences and decide which other layers count as rivals; they
never leave the diagnosis package.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from replaylab.stack.pipeline import Stage
from replaylab.variables import LAYERS

__all__ = ["DEFAULT_HANDLER", "HOLD_RETRIEVAL", "Facts", "LayerEvidence", "Ledger", "short"]

HOLD_RETRIEVAL: tuple[Stage, ...] = ("retrieval",)
DEFAULT_HANDLER = "rag"
"""The handler every request reaches when no router is configured."""


class LayerEvidence(BaseModel):
    """Sentences (with numbers) for and against one layer, strongest first."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    for_: list[str] = Field(default_factory=list, alias="for")
    """Sentences saying the failure is in this layer, strongest first (written as `for` in files)."""
    against: list[str] = Field(default_factory=list)
    """Sentences saying it is not, strongest first."""


@dataclass
class Ledger:
    """Weighted sentences for and against each layer."""

    items: dict[str, list[tuple[bool, float, str]]] = field(default_factory=lambda: {k: [] for k in LAYERS})

    def pro(self, layer: str, weight: float, text: str) -> None:
        self.items[layer].append((True, weight, text))

    def con(self, layer: str, weight: float, text: str) -> None:
        self.items[layer].append((False, weight, text))

    def strength(self, layer: str) -> float:
        return sum(w if pro else -w for pro, w, _ in self.items[layer])

    def evidence(self) -> dict[str, LayerEvidence]:
        """Each layer's sentences, strongest first."""
        out: dict[str, LayerEvidence] = {}
        for layer, rows in self.items.items():
            ranked = sorted(rows, key=lambda r: -r[1])
            out[layer] = LayerEvidence(for_=[t for p, _, t in ranked if p], against=[t for p, _, t in ranked if not p])
        return out


@dataclass
class Facts:
    """What the tree reads about one trace."""

    recorded_passed: bool
    failed: list[str]
    gated: list[str]
    has_golden: bool
    answer: str = ""
    output: str = ""
    route: str = "rag"
    route_expected: str | None = None
    route_source: str | None = None
    route_wrong: bool = False
    route_fix_passed: bool | None = None
    in_ctx: bool = False
    answer_pos: int | None = None
    n_placed: int = 0
    answer_dropped: str | None = None
    context_overflow: str | None = None
    """Why the assembled context is larger than its budget in the models' own tokens, if it is."""
    golden_retrieved_rank: int | None = None
    replay_passed: bool | None = None
    oracle_passed: bool | None = None
    oracle_has_answer: bool | None = None
    first_passed: bool | None = None
    last_passed: bool | None = None
    no_context_passed: bool | None = None
    stale: bool = False
    embedder_mismatch: bool = False
    model_changed: bool = False
    temperature: float = 0.0
    seed_fail_rate: float | None = None
    prompt_conflict: str | None = None
    sycophantic: bool = False
    changed_from: str | None = None
    changed_on: date | None = None
    attribution_id: str | None = None
    attribution_golden: bool = False
    attribution_recent: bool = False
    attribution_on_topic: bool = False
    """The chunk the wrong answer came from covers at least half of the question's content words."""
    attribution_ingestion: bool = False
    """That chunk came in a declared batch, or the context concentrates on its ingestion
    (diagnosis.ingestion): its recency counts as evidence of an ingestion problem."""

    def signals(self) -> dict[str, str | float | int | bool | None]:
        out: dict[str, str | float | int | bool | None] = {}
        for key, value in asdict(self).items():
            if isinstance(value, list):
                out[key] = ", ".join(str(v) for v in value)
            elif isinstance(value, date):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out


def short(text: str, n: int = 70) -> str:
    """`text` on one line, cut to `n` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
