"""Answer evaluators: correct, token_f1, refusal, grounded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from replaylab.evals.base import EvalContext, Evaluator, Score, evaluator
from replaylab.evals.text import (
    answer_text,
    answer_tokens,
    claim_sentences,
    contains_tokens,
    content_words,
    find_answer,
    find_dates,
    find_needle,
    is_refusal,
    number_tokens,
    token_f1,
)
from replaylab.stack.chunker import split_sentences
from replaylab.trace import RetrievedChunk


def golden_is_refusal(answer: str, unanswerable: bool | None = None) -> bool:
    """Whether a golden answer says the question cannot be answered: the golden set's explicit
    `unanswerable` flag when it has one, else (older traces) the answer's wording."""
    if unanswerable is not None:
        return unanswerable
    return is_refusal(answer) is not None or answer.strip().lower() in {"unanswerable", "none", "n/a"}


@evaluator("correct")
class Correct(Evaluator):
    """1.0 when the answer, or one of its aliases, occurs in the output as whole normalised
    tokens (the Lost-in-the-Middle / PoisonedRAG test), dates compared as dates, else 0.0.
    Two near misses fail with their own reason (`details["near_miss"]`): the answer's number
    appears only inside a date of the output ("16" in "2026-05-16"), or the matching text is
    stated in the context only by documents other than the golden ones (the wrong document). Token F1 against the best
    golden string is in `details["f1"]`. Range 0..1; passes at 1.0; None without a golden."""

    def evaluate(self, ctx: EvalContext) -> Score:
        g = ctx.golden
        if g is None:
            return self.score(0.0, None, "no golden answer to compare with")
        out = answer_text(ctx.output)
        golds = [g.answer, *g.aliases]
        f1 = max(token_f1(out, s) for s in golds)
        if golden_is_refusal(g.answer, g.unanswerable):
            refused = is_refusal(out)
            return self.score(
                float(refused is not None),
                refused is not None,
                f"the question has no answer and the output {'refuses' if refused else 'answers'}",
                f1=round(f1, 4),
            )
        found = find_answer(out, golds)
        if found is not None:
            wrong = wrong_documents(ctx, found)
            if wrong:
                reason = (
                    f"near miss: output contains {found!r}, but in the context only {wrong} states it, "
                    f"not the golden document ({', '.join(g.doc_ids)})"
                )
                return self.score(0.0, False, reason, f1=round(f1, 4), matched=found, near_miss="wrong_document")
            return self.score(1.0, True, f"output contains {found!r}", f1=round(f1, 4), matched=found)
        loose = find_needle(out, golds)
        if loose is not None:
            dates = ", ".join(d.isoformat() for _, _, d in find_dates(out))
            reason = f"near miss: output lacks {g.answer!r}; {loose!r} appears in it only inside a date ({dates})"
            return self.score(0.0, False, reason, f1=round(f1, 4), near_miss="number_in_date")
        return self.score(0.0, False, f"output lacks {g.answer!r} (token F1 {f1:.2f})", f1=round(f1, 4))


def wrong_documents(ctx: EvalContext, needle: str) -> str:
    """The non-golden documents that state `needle` in the context the model saw, when no
    golden document there does ("" when a golden one does, none does, or the golden answer
    names no document): the answer was drawn from the wrong document."""
    g = ctx.golden
    if g is None or not g.doc_ids:
        return ""
    toks = answer_tokens(needle)
    holding = [c for c in ctx.placed if contains_tokens(answer_tokens(f"{c.title}. {c.text}"), toks)]
    if not holding or any(c.doc_id in g.doc_ids for c in holding):
        return ""
    return ", ".join(sorted({c.doc_id for c in holding}))


@evaluator("token_f1")
class TokenF1(Evaluator):
    """SQuAD token F1 between the output and the best of the answer and its aliases. Range
    0..1; informational (passed=None) unless `min_f1` is set."""

    min_f1: float | None = Field(None, ge=0.0, le=1.0)

    def evaluate(self, ctx: EvalContext) -> Score:
        if ctx.golden is None:
            return self.score(0.0, None, "no golden answer to compare with")
        out = answer_text(ctx.output)
        best, gold = max((token_f1(out, s), s) for s in [ctx.golden.answer, *ctx.golden.aliases])
        passed = None if self.min_f1 is None else best >= self.min_f1
        return self.score(best, passed, f"token F1 {best:.2f} against {gold!r}")


@evaluator("refusal")
class Refusal(Evaluator):
    """1.0 when the output refuses or deflects ("I don't know", "check the help centre"),
    else 0.0. Range 0..1. Passes when it refuses exactly when the golden answer is a refusal;
    None without a golden answer."""

    higher_is_better = False

    def evaluate(self, ctx: EvalContext) -> Score:
        phrase = is_refusal(answer_text(ctx.output))
        refused = phrase is not None
        what = f"output refuses ({phrase!r})" if refused else "output does not refuse"
        if ctx.golden is None:
            return self.score(float(refused), None, what)
        should = golden_is_refusal(ctx.golden.answer, ctx.golden.unanswerable)
        return self.score(
            float(refused),
            refused == should,
            what + (" and the question has no answer" if should else " and the question has one"),
        )


@dataclass(frozen=True)
class SentenceSupport:
    """How well one output sentence is supported by the context."""

    sentence: str
    lexical: float
    """Share of the sentence's content words found in the best single chunk, halved when a
    figure of the sentence is missing from the context sentence that best matches it ("3
    business days" is not vouched for by "2 business days" and a stray "3" elsewhere)."""
    semantic: float | None
    """Best MiniLM cosine against a context sentence (None when lexical only)."""
    numbers_ok: bool
    supported: bool


def lexical_support(sentence: str, chunks: list[str]) -> tuple[float, bool]:
    """(support, numbers_ok) of one sentence against chunk texts; see SentenceSupport."""
    words = content_words(sentence)
    figures = number_tokens(sentence)
    numbers_ok = True
    if figures:
        # the figures must be stated by the context sentence that best matches the claim
        sents = [s for text in chunks for s in split_sentences(text)]
        best_sent = max(sents, key=lambda s: len(words & content_words(s)), default="")
        numbers_ok = figures <= number_tokens(best_sent)
    if not words:
        return (1.0 if numbers_ok else 0.0), numbers_ok
    best = max((len(words & content_words(text)) / len(words) for text in chunks), default=0.0)
    return (best if numbers_ok else best * 0.5), numbers_ok


def context_texts(chunks: list[RetrievedChunk]) -> list[str]:
    return [f"{c.title}. {c.text}" if c.title else c.text for c in chunks]


@evaluator("grounded")
class Grounded(Evaluator):
    """Share of the output's claim sentences supported by the context the model saw. A
    sentence is supported when its lexical support reaches `lexical_threshold`, or - with a
    MiniLM stack - its best cosine against a context sentence reaches `semantic_threshold`
    and the context sentence that best matches it states every figure it states. Range 0..1;
    passes at `min_share`; a refusal claims nothing (1.0, None).

    Calibrated on the bundled golden set by `replaylab.evals.calibrate.calibrate_grounded`
    (237 questions, 813 supported and 685 unsupported claims): lexical support >= 0.6 has
    balanced accuracy 0.998 (TPR 0.9975, FPR 0.0015, AUC 1.00); the lowest MiniLM cosine
    that at most 1% of the unsupported claims reach is 0.451 (TPR 0.82, FPR 0.00 on claims
    whose figures match), so `semantic_threshold` is 0.5 - that level plus a margin."""

    lexical_threshold: float = Field(0.6, ge=0.0, le=1.0)
    semantic_threshold: float = Field(0.5, ge=-1.0, le=1.0)
    min_share: float = Field(0.5, ge=0.0, le=1.0)

    def supports(self, ctx: EvalContext, sentences: list[str]) -> list[SentenceSupport]:
        texts = context_texts(ctx.placed)
        lex = [lexical_support(s, texts) for s in sentences]
        sem: list[float | None] = [None] * len(sentences)
        embed = ctx.embed
        ctx_sents = [s for t in texts for s in split_sentences(t)]
        if embed is not None and sentences and ctx_sents:
            a, b = embed(sentences), embed(ctx_sents)
            sem = [float(x) for x in np.max(a @ b.T, axis=1)]
        out = []
        for s, (lx, ok), cs in zip(sentences, lex, sem, strict=True):
            supported = lx >= self.lexical_threshold or (cs is not None and ok and cs >= self.semantic_threshold)
            out.append(SentenceSupport(sentence=s, lexical=lx, semantic=cs, numbers_ok=ok, supported=supported))
        return out

    def evaluate(self, ctx: EvalContext) -> Score:
        out = answer_text(ctx.output)
        if is_refusal(out):
            return self.score(1.0, None, "a refusal claims nothing to ground")
        sentences = claim_sentences(out)
        if not sentences:
            return self.score(1.0, None, "the output makes no claim")
        if not ctx.placed:
            return self.score(0.0, False, f"{len(sentences)} claim(s) and no context to ground them in", method="none")
        sup = self.supports(ctx, sentences)
        share = sum(s.supported for s in sup) / len(sup)
        worst = min(sup, key=lambda s: s.lexical)
        method = "lexical+minilm" if sup[0].semantic is not None else "lexical"
        reason = (
            f"{sum(s.supported for s in sup)}/{len(sup)} claim sentences supported by the context "
            f"({method}); weakest lexical support {worst.lexical:.2f}"
        )
        if not worst.numbers_ok:
            reason += f"; it states figures absent from the context: {worst.sentence[:60]!r}"
        return self.score(share, share >= self.min_share, reason, method=method, weakest_lexical=round(worst.lexical, 4))
