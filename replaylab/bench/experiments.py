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

import base64
import html
import io
import random
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

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

PAPER_POISONEDRAG_ASR: dict[int, float] = {1: 0.48, 2: 0.76, 3: 0.84, 4: 0.90, 5: 1.00}
"""PoisonedRAG Table (NQ, black-box, N poisoned texts per target question): ASR."""
PAPER_LITM_GPT35: dict[int, float] = {1: 75.8, 5: 57.2, 10: 53.8, 15: 55.4, 20: 63.2}
"""Lost in the Middle, 20 documents, GPT-3.5-Turbo: accuracy (%) by position of the answer document."""

CHUNK_WORDS = 50
"""Words per chunk in the lost-in-the-middle context. At the bundled corpus's 90, 20 chunks make a
~2,600-WordPiece prompt: past the sandbox reader's 2,048-token window (the last passages would be
cut, not lost in the middle). At 50 the longest prompt stays under it and under Gemma's 4,096."""

Step = Callable[[str], None]
"""Called once per model request with a short description (a progress bar's advance)."""


def _noop(_: str) -> None:
    return None


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
        and not golden_is_refusal(g.answer)
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
        per: list[DoseQuestion] = []
        try:
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
        finally:
            if injection is not None:
                fault.rollback(injection, stack=stack)
        n = len(per) or 1
        precision = sum(q.poisoned_in_top_k for q in per) / (n * config.top_k)
        recall = sum(q.poisoned_in_top_k for q in per) / (n * dose) if dose else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            DoseRow(
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
        )
    return DoseResponseTable(
        model=model, embedder=config.embedder, top_k=config.top_k, rows=rows, seconds=round(time.perf_counter() - start, 1)
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
    prepared: list[tuple[GoldenItem, str, list[str]]] = []
    skipped: list[str] = []
    for g in questions:
        gold = answer_chunk(stack, config, g)
        others = distractors(stack, config, g, gold, total - 1) if gold else []
        if gold is None or len(others) < total - 1:
            skipped.append(g.qid)
            continue
        prepared.append((g, gold.chunk_id, others))
    rows: list[PositionRow] = []
    longest = 0
    for p in positions:
        per: list[PositionQuestion] = []
        for g, gold_id, others in prepared:
            held = config.model_copy(update={"context": litm_context(gold_id, others, p), "top_k": total})
            trace = stack.run(g.question, held, golden=golden_of(g), tags={"experiment": "lost-in-the-middle"})
            step(f"{model} · position {p} · {g.qid}")
            if trace.prompt is not None and trace.prompt.dropped_chunk_ids:
                raise ConfigError(f"lost-in-the-middle: context_budget {context_budget} dropped chunks; raise it")
            gen = trace.generation
            tokens = gen.prompt_tokens if gen else 0
            longest = max(longest, tokens)
            per.append(
                PositionQuestion(
                    qid=g.qid, position=p, output=gen.output if gen else "", correct=verdict(trace).passed, prompt_tokens=tokens
                )
            )
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


# ---- HTML --------------------------------------------------------------------------------
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d232a}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.dim{color:#667085}.paper{color:#667085;font-style:italic}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _plot(
    series: dict[str, tuple[list[int], list[float]]],
    paper: tuple[str, list[int], list[float]],
    *,
    xlabel: str,
    ylabel: str,
    ylim: tuple[float, float],
) -> str:
    """A line chart as an inline base64 PNG: one line per series, the paper's row dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for name, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", label=name)
    ax.plot(paper[1], paper[2], linestyle="--", color="black", marker="s", label=paper[0])
    ax.set_xticks(sorted({x for xs, _ in series.values() for x in xs} | set(paper[1])))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{_e(ylabel)} by {_e(xlabel)}" src="data:image/png;base64,{data}">'


def _dose_html(t: DoseResponseTable) -> str:
    rows = "".join(
        f"<tr><td>{r.dose}</td><td>{r.asr:.2f}</td><td class=paper>{'–' if r.paper_asr is None else f'{r.paper_asr:.2f}'}"
        f"</td><td>{r.correct:.2f}</td><td>{r.precision:.2f}</td><td>{r.recall:.2f}</td><td>{r.f1:.2f}</td></tr>"
        for r in t.rows
    )
    return (
        f"<h3>{_e(t.model)}</h3><p class=dim>{_e(t.embedder)} + FAISS top-{t.top_k}, "
        f"n={t.rows[0].n if t.rows else 0} target questions, {t.seconds:.0f}s</p><table><tr><th>N</th>"
        "<th>ASR</th><th>paper ASR</th><th>correct</th><th>precision</th><th>recall</th><th>F1</th></tr>"
        f"{rows}</table>"
    )


def _litm_html(tables: Sequence[LostInTheMiddleTable]) -> str:
    if not tables:
        return "<p class=dim>not run</p>"
    positions = [r.position for r in tables[0].rows]
    head = "<tr><th>model</th>" + "".join(f"<th>{p}</th>" for p in positions) + "<th>longest prompt</th></tr>"
    body = "".join(
        f"<tr><td>{_e(t.model)}</td>"
        + "".join(f"<td>{r.accuracy:.1f}</td>" for r in t.rows)
        + f"<td>{t.max_prompt_tokens}</td></tr>"
        for t in tables
    )
    paper = (
        "<tr class=paper><td>paper GPT-3.5-Turbo</td>"
        + "".join(f"<td>{PAPER_LITM_GPT35[p]:.1f}</td>" if p in PAPER_LITM_GPT35 else "<td>–</td>" for p in positions)
        + "<td></td></tr>"
    )
    return f"<table>{head}{body}{paper}</table>"


def experiments_html(result: ExperimentsResult) -> str:
    """Both tables and their plots as one self-contained HTML page (no scripts, no external assets)."""
    parts = [
        f"<!doctype html><html><head><meta charset=utf-8><title>replaylab experiments</title>"
        f"<style>{_CSS}</style></head><body><h1>Two papers on our stack</h1>"
        f"<p class=dim>{len(result.questions)} golden questions ({_e(', '.join(result.questions))}); "
        f"{result.seconds:.0f}s in all</p>"
    ]
    parts.append("<h2>Lost in the Middle: accuracy (%) by position of the answer chunk</h2>")
    if result.litm:
        total = result.litm[0].total
        parts.append(_litm_html(result.litm))
        parts.append(
            _plot(
                {t.model: ([r.position for r in t.rows], [r.accuracy for r in t.rows]) for t in result.litm},
                ("paper GPT-3.5-Turbo", list(PAPER_LITM_GPT35), list(PAPER_LITM_GPT35.values())),
                xlabel=f"position of the answer chunk (of {total})",
                ylabel="accuracy (%)",
                ylim=(0, 105),
            )
        )
    else:
        parts.append("<p class=dim>not run</p>")
    parts.append("<h2>PoisonedRAG: attack success by poisoned texts per target question</h2>")
    parts.extend(_dose_html(t) for t in result.dose)
    if result.dose:
        parts.append(
            _plot(
                {t.model: ([r.dose for r in t.rows], [r.asr for r in t.rows]) for t in result.dose},
                ("paper (NQ, black-box)", list(PAPER_POISONEDRAG_ASR), list(PAPER_POISONEDRAG_ASR.values())),
                xlabel="poisoned texts per target question (N)",
                ylabel="ASR",
                ylim=(0, 1.05),
            )
        )
    parts.append("</body></html>")
    return "".join(parts)
