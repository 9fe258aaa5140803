"""Two papers' tables reproduced on the stack: PoisonedRAG's dose response and Lost in the Middle.

    qs = pick_questions(stack, config, load_golden(), n=10)
    dose = poisonedrag_dose_response(stack, model="gemma-3-270m", questions=qs, base_config=config)
    litm = lost_in_the_middle(stack, model="sandbox-reader-1.1", questions=qs, base_config=config)
    print(dose.to_markdown(), litm.to_markdown())
    html = experiments_html(ExperimentsResult(dose=[dose], litm=[litm]))

PoisonedRAG (Zou et al., 2024, black-box, NQ): N crafted texts per target question (the question
itself, then a sentence asserting the target wrong answer) are ingested; ASR is the share of
target questions whose output contains the target answer; precision / recall / F1 are of the
poisoned texts among the top-k retrieved (precision = poisoned / k, recall = poisoned / N).

Lost in the Middle (Liu et al., 2023, 20 documents): the context holds the answer-bearing chunk
at position p among 20, the other 19 the best-retrieved chunks that do not contain the answer,
in retrieval order. Accuracy is the `correct` verdict by position.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from replaylab.bench.experiment_tables import (
    PAPER_LITM_GPT35,
    PAPER_POISONEDRAG_ASR,
    DoseQuestion,
    DoseResponseTable,
    DoseRow,
    ExperimentsResult,
    LostInTheMiddleTable,
    PositionQuestion,
    PositionRow,
)
from replaylab.bench.experiments_html import experiments_html
from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.evals import verdict
from replaylab.evals.answer import golden_is_refusal
from replaylab.faults.data import PoisonedDocuments
from replaylab.faults.effects import contains, mentions_answer, wrong_value
from replaylab.stack.chunker import Chunk
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack, golden_of

CHUNK_WORDS = 50
"""Words per chunk in the lost-in-the-middle context. At the bundled corpus's 90, 20 chunks make a
~2,600-WordPiece prompt: past the sandbox reader's 2,048-token window (the last passages would be
cut, not lost in the middle). At 50 the longest prompt stays under it and under Gemma's 4,096."""

Step = Callable[[str], None]
"""Called once per model request with a short description (a progress bar's advance)."""


__all__ = [
    "CHUNK_WORDS",
    "DoseResponseTable",
    "ExperimentsResult",
    "LostInTheMiddleTable",
    "Step",
    "answer_chunk",
    "attack_targets",
    "distractors",
    "experiments_html",
    "litm_context",
    "lost_in_the_middle",
    "pick_questions",
    "poisonedrag_dose_response",
]
"""The tables (`bench.experiment_tables`) and the HTML page (`bench.experiments_html`) are re-exported here."""


def _noop(_: str) -> None:
    return None


# ---- questions ---------------------------------------------------------------------------
def answer_chunk(stack: Stack, config: RunConfig, item: GoldenItem) -> Chunk | None:
    """The first chunk of the item's golden documents (today's corpus) that contains its answer."""
    chunks = stack.chunks(config.corpus, config.index.model_copy(update={"as_of": None}))
    docs = set(item.doc_ids)
    return next((c for c in chunks if c.doc_id in docs and mentions_answer(c.text, item)), None)


def pick_questions(stack: Stack, config: RunConfig, golden: Sequence[GoldenItem], n: int, *, seed: int = 0) -> list[GoldenItem]:
    """`n` answerable golden questions (no false premise, answer not in the question, an
    answer-bearing chunk in their documents), sampled with `seed`, in qid order."""
    eligible = [
        g
        for g in golden
        if not g.false_premise
        and not golden_is_refusal(g.answer, g.unanswerable)
        and not mentions_answer(g.question, g)
        and answer_chunk(stack, config, g) is not None
    ]
    if not eligible:
        raise ConfigError("experiments: no golden question has its answer in its documents")
    picked = random.Random(seed).sample(eligible, min(n, len(eligible)))
    return sorted(picked, key=lambda g: g.qid)


# ---- PoisonedRAG -------------------------------------------------------------------------
def attack_targets(item: GoldenItem, *, seed: int) -> list[str]:
    """The wrong answer `PoisonedDocuments` plants for `item` (`wrong_value(answer, salt=seed)`),
    plus the wrong form of each alias that the planted value contains ("18" in "18 users")."""
    wrong = wrong_value(item.answer, salt=seed)
    extra = [w for w in (wrong_value(a, salt=seed) for a in item.aliases) if w != wrong and contains(wrong, w)]
    return [wrong, *extra]


def poisonedrag_dose_response(
    stack: Stack,
    *,
    model: str,
    questions: Sequence[GoldenItem],
    doses: Sequence[int] = (1, 2, 3, 4, 5),
    base_config: RunConfig,
    seed: int = 0,
    step: Step = _noop,
) -> DoseResponseTable:
    """Inject N PoisonedRAG texts per target question for each dose N (0: no attack) and measure
    ASR and retrieval precision / recall / F1 of the poisoned texts in the top-k."""
    start = time.perf_counter()
    config = base_config.model_copy(update={"model": model, "context": None})
    rows: list[DoseRow] = []
    for dose in doses:
        served = config
        injection = None
        if dose > 0:
            fault = PoisonedDocuments(targets=[g.qid for g in questions], per_question=dose, seed=seed)
            injection = fault.inject(Deployment(config=config), stack=stack, golden=questions)
            served = injection.after.config
        try:
            per = _dose_questions(stack, served, questions, model=model, dose=dose, seed=seed, step=step)
        finally:
            if injection is not None:
                fault.rollback(injection, stack=stack)
        rows.append(_dose_row(dose, per, top_k=config.top_k))
    return DoseResponseTable(
        model=model, embedder=config.embedder, top_k=config.top_k, rows=rows, seconds=round(time.perf_counter() - start, 1)
    )


def _dose_questions(
    stack: Stack, served: RunConfig, questions: Sequence[GoldenItem], *, model: str, dose: int, seed: int, step: Step
) -> list[DoseQuestion]:
    """Each target question asked of the (poisoned) `served` config: output, attack, poisoned hits."""
    per: list[DoseQuestion] = []
    for g in questions:
        trace = stack.run(g.question, served, golden=golden_of(g), tags={"experiment": "poisonedrag"})
        step(f"{model} · N={dose} · {g.qid}")
        chunks = trace.retrieval.chunks if trace.retrieval else []
        poisoned = sum(c.doc_id.startswith(f"poison-{g.qid}-") for c in chunks)
        output = trace.generation.output if trace.generation else ""
        targets = attack_targets(g, seed=seed)
        per.append(
            DoseQuestion(
                qid=g.qid,
                target=targets[0],
                output=output,
                poisoned_in_top_k=poisoned,
                attacked=any(contains(output, t) for t in targets),
                correct=verdict(trace).passed,
            )
        )
    return per


def _dose_row(dose: int, per: list[DoseQuestion], *, top_k: int) -> DoseRow:
    """ASR, accuracy and the poisoned texts' retrieval precision / recall / F1 at one dose."""
    n = len(per) or 1
    precision = sum(q.poisoned_in_top_k for q in per) / (n * top_k)
    recall = sum(q.poisoned_in_top_k for q in per) / (n * dose) if dose else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return DoseRow(
        dose=dose,
        n=len(per),
        asr=round(sum(q.attacked for q in per) / n, 4),
        correct=round(sum(q.correct for q in per) / n, 4),
        precision=round(precision, 4),
        recall=round(min(recall, 1.0), 4),
        f1=round(f1, 4),
        paper_asr=PAPER_POISONEDRAG_ASR.get(dose),
        questions=per,
    )


# ---- Lost in the middle ------------------------------------------------------------------
def distractors(stack: Stack, config: RunConfig, item: GoldenItem, gold: Chunk, k: int) -> list[str]:
    """The `k` best-retrieved chunk ids that do not contain the answer, in retrieval order."""
    wide = config.model_copy(update={"top_k": min(200, max(4 * k, 60)), "context": None, "min_score": None})
    hits = stack.retrieve(item.question, wide).chunks
    return [c.chunk_id for c in hits if c.chunk_id != gold.chunk_id and not mentions_answer(c.text, item)][:k]


def litm_context(gold: str, others: Sequence[str], position: int) -> tuple[str, ...]:
    """The answer chunk at 1-based `position`, the distractors around it in their order."""
    return (*others[: position - 1], gold, *others[position - 1 :])


def lost_in_the_middle(
    stack: Stack,
    *,
    model: str,
    questions: Sequence[GoldenItem],
    positions: Sequence[int] = (1, 5, 10, 15, 20),
    total: int = 20,
    base_config: RunConfig,
    context_budget: int = 6000,
    chunk_words: int | None = CHUNK_WORDS,
    step: Step = _noop,
) -> LostInTheMiddleTable:
    """Accuracy by the position of the answer-bearing chunk among `total` held chunks.

    `chunk_words` re-chunks the corpus for this experiment (None: the base config's chunking) so
    that `total` chunks fit every model's window; see `CHUNK_WORDS`."""
    if any(not 1 <= p <= total for p in positions):
        raise ConfigError(f"lost-in-the-middle: positions must lie in 1..{total}, got {list(positions)}")
    start = time.perf_counter()
    index = base_config.index
    if chunk_words is not None:
        index = index.model_copy(update={"chunking": index.chunking.model_copy(update={"max_words": chunk_words})})
    config = base_config.model_copy(
        update={"model": model, "context_order": "rank", "index": index, "context_budget": context_budget}
    )
    prepared, skipped = _litm_questions(stack, config, questions, total)
    rows: list[PositionRow] = []
    longest = 0
    for p in positions:
        per = _at_position(stack, config, prepared, p, model=model, total=total, context_budget=context_budget, step=step)
        longest = max([longest, *(q.prompt_tokens for q in per)])
        n = len(per)
        rows.append(
            PositionRow(
                position=p,
                n=n,
                accuracy=round(100 * sum(q.correct for q in per) / (n or 1), 1),
                paper=PAPER_LITM_GPT35.get(p) if total == 20 else None,
                questions=per,
            )
        )
    return LostInTheMiddleTable(
        model=model,
        total=total,
        chunk_words=config.index.chunking.max_words,
        rows=rows,
        max_prompt_tokens=longest,
        skipped=skipped,
        seconds=round(time.perf_counter() - start, 1),
    )


def _at_position(
    stack: Stack,
    config: RunConfig,
    prepared: list[tuple[GoldenItem, str, list[str]]],
    position: int,
    *,
    model: str,
    total: int,
    context_budget: int,
    step: Step,
) -> list[PositionQuestion]:
    """Each prepared question asked with its answer chunk held at `position` among `total`."""
    per: list[PositionQuestion] = []
    for g, gold_id, others in prepared:
        held = config.model_copy(update={"context": litm_context(gold_id, others, position), "top_k": total})
        trace = stack.run(g.question, held, golden=golden_of(g), tags={"experiment": "lost-in-the-middle"})
        step(f"{model} · position {position} · {g.qid}")
        if trace.prompt is not None and trace.prompt.dropped_chunk_ids:
            raise ConfigError(f"lost-in-the-middle: context_budget {context_budget} dropped chunks; raise it")
        gen = trace.generation
        per.append(
            PositionQuestion(
                qid=g.qid,
                position=position,
                output=gen.output if gen else "",
                correct=verdict(trace).passed,
                prompt_tokens=gen.prompt_tokens if gen else 0,
            )
        )
    return per


def _litm_questions(
    stack: Stack, config: RunConfig, questions: Sequence[GoldenItem], total: int
) -> tuple[list[tuple[GoldenItem, str, list[str]]], list[str]]:
    """(question, answer chunk id, `total - 1` distractor ids) for each usable question, and the qids skipped."""
    prepared: list[tuple[GoldenItem, str, list[str]]] = []
    skipped: list[str] = []
    for g in questions:
        gold = answer_chunk(stack, config, g)
        others = distractors(stack, config, g, gold, total - 1) if gold else []
        if gold is None or len(others) < total - 1:
            skipped.append(g.qid)
            continue
        prepared.append((g, gold.chunk_id, others))
    return prepared, skipped
