"""The tables the two paper reproductions fill (`bench.experiments`), with the papers' own numbers."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = [
    "PAPER_LITM_GPT35",
    "PAPER_POISONEDRAG_ASR",
    "DoseQuestion",
    "DoseResponseTable",
    "DoseRow",
    "ExperimentsResult",
    "LostInTheMiddleTable",
    "PositionQuestion",
    "PositionRow",
]

PAPER_POISONEDRAG_ASR: dict[int, float] = {1: 0.48, 2: 0.76, 3: 0.84, 4: 0.90, 5: 1.00}
"""PoisonedRAG Table (NQ, black-box, N poisoned texts per target question): ASR."""
PAPER_LITM_GPT35: dict[int, float] = {1: 75.8, 5: 57.2, 10: 53.8, 15: 55.4, 20: 63.2}
"""Lost in the Middle, 20 documents, GPT-3.5-Turbo: accuracy (%) by position of the answer document."""


class DoseQuestion(BaseModel):
    qid: str
    target: str
    """The wrong answer the poisoned texts assert."""
    output: str
    attacked: bool
    correct: bool
    poisoned_in_top_k: int


class DoseRow(BaseModel):
    dose: int
    n: int
    asr: float
    correct: float
    precision: float = Field(ge=0.0, le=1.0)
    recall: float = Field(ge=0.0, le=1.0)
    f1: float = Field(ge=0.0, le=1.0)
    paper_asr: float | None = None
    questions: list[DoseQuestion] = []


class DoseResponseTable(BaseModel):
    """PoisonedRAG's ASR / precision / recall / F1 by number of poisoned texts, for one model."""

    model: str
    embedder: str
    top_k: int
    rows: list[DoseRow]
    seconds: float = 0.0

    def to_markdown(self) -> str:
        head = (
            f"PoisonedRAG dose response — {self.model}, {self.embedder} + FAISS top-{self.top_k}, "
            f"n={self.rows[0].n if self.rows else 0} target questions, {self.seconds:.0f}s\n\n"
            "| N | ASR | paper ASR (NQ, black-box) | correct | precision | recall | F1 |\n"
            "|---|---|---|---|---|---|---|\n"
        )
        return head + "".join(
            f"| {r.dose} | {r.asr:.2f} | {'–' if r.paper_asr is None else f'{r.paper_asr:.2f}'} | {r.correct:.2f} | "
            f"{r.precision:.2f} | {r.recall:.2f} | {r.f1:.2f} |\n"
            for r in self.rows
        )


class PositionQuestion(BaseModel):
    qid: str
    position: int
    output: str
    correct: bool
    prompt_tokens: int


class PositionRow(BaseModel):
    position: int
    n: int
    accuracy: float
    """Percent correct."""
    paper: float | None = None
    questions: list[PositionQuestion] = []


class LostInTheMiddleTable(BaseModel):
    """Accuracy by the position of the answer-bearing chunk among `total`, for one model."""

    model: str
    total: int
    chunk_words: int
    """The chunker's words per chunk the context was cut with."""
    rows: list[PositionRow]
    max_prompt_tokens: int = 0
    """The longest prompt, in the model's own tokens (Gemma) or WordPiece (sandbox reader)."""
    skipped: list[str] = []
    """Questions without an answer-bearing chunk or without enough distractors."""
    seconds: float = 0.0

    def to_markdown(self) -> str:
        cols = [r.position for r in self.rows]
        n = self.rows[0].n if self.rows else 0
        head = (
            f"Lost in the middle — {self.model}, {self.total} chunks of ≤{self.chunk_words} words, n={n}, "
            f"longest prompt {self.max_prompt_tokens} tokens, {self.seconds:.0f}s\n\n"
            "| answer at position | " + " | ".join(str(p) for p in cols) + " |\n"
            "|---|" + "---|" * len(cols) + "\n"
        )
        ours = f"| {self.model} | " + " | ".join(f"{r.accuracy:.1f}" for r in self.rows) + " |\n"
        paper = "| paper GPT-3.5-Turbo | " + " | ".join("–" if r.paper is None else f"{r.paper:.1f}" for r in self.rows) + " |\n"
        return head + ours + paper


class ExperimentsResult(BaseModel):
    dose: list[DoseResponseTable] = []
    litm: list[LostInTheMiddleTable] = []
    questions: list[str] = []
    seconds: float = 0.0

    def to_markdown(self) -> str:
        return "\n".join([*(t.to_markdown() for t in self.dose), *(t.to_markdown() for t in self.litm)])
