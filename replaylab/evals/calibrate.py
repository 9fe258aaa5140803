"""Calibrate the `grounded` evaluator's per-sentence thresholds on the golden set.

For every golden question whose answer a golden document states (current corpus), the
context is that document's answer-bearing chunk and the claims are:

    supported    the sentence stating the answer, verbatim; the same sentence paraphrased
                 (common words swapped for synonyms); the bare answer ("12 users."); the
                 question turned into a statement with the answer
    unsupported  the same sentence with every figure changed (a fabricated detail); the
                 answer sentence of a question on another topic; another question's answer

`calibrate_grounded` scores each claim lexically and picks the threshold with the best
balanced accuracy; given an embedder it also scores the best cosine against a context
sentence and picks the lowest cosine threshold that at most 1% of the unsupported claims
reach (the cosine only ever *adds* support, so it must be precise). `Grounded`'s defaults
come from it; `replaylab.evals.answer.Grounded` quotes the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from replaylab.config import RunConfig
from replaylab.evals.answer import lexical_support
from replaylab.evals.text import find_needle, specific_needles
from replaylab.stack.chunker import split_sentences
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.embedders import get_embedder
from replaylab.stack.pipeline import Stack

__all__ = [
    "Claim",
    "GroundedCalibration",
    "ThresholdFit",
    "calibrate_grounded",
    "fit_threshold",
    "grounding_claims",
    "paraphrase",
]


class Claim(BaseModel):
    qid: str
    sentence: str
    context: list[str]
    supported: bool
    kind: str


class ThresholdFit(BaseModel):
    """The best threshold for one score and how well it separates."""

    threshold: float
    balanced_accuracy: float
    true_positive_rate: float
    false_positive_rate: float
    auc: float | None
    """Probability that a supported claim outscores an unsupported one (None: one class empty)."""


class GroundedCalibration(BaseModel):
    questions: int
    positives: int
    negatives: int
    lexical: ThresholdFit
    semantic: ThresholdFit | None
    """Cosine over the claims whose figures all appear in the context (the rule's gate): the
    lowest threshold that at most `max_fpr` of the unsupported ones reach."""
    rule_balanced_accuracy: float
    """`lexical >= t_lex or (numbers ok and cosine >= t_sem)` at the fitted thresholds."""
    embedder: str | None


def _bump(text: str) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), text)


_SYNONYMS: dict[str, str] = {
    "must": "has to",
    "can": "is able to",
    "within": "inside",
    "after": "following",
    "before": "ahead of",
    "users": "people",
    "user": "person",
    "customers": "clients",
    "customer": "client",
    "workspace": "account",
    "workspaces": "accounts",
    "cancelled": "terminated",
    "returned": "sent back",
    "issued": "sent out",
    "allowed": "permitted",
    "requires": "needs",
    "required": "needed",
    "receive": "get",
    "receives": "gets",
    "billed": "charged",
    "price": "cost",
    "limit": "cap",
    "maximum": "most",
    "minimum": "least",
    "starts": "begins",
    "start": "begin",
    "deleted": "removed",
    "kept": "retained",
    "page": "contact",
    "shows": "displays",
    "automatically": "by itself",
    "daily": "every day",
    "monthly": "every month",
    "only": "just",
    "team": "group",
    "files": "documents",
    "file": "document",
    "admins": "administrators",
}
_SYN = re.compile(r"\b(" + "|".join(sorted(_SYNONYMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def paraphrase(sentence: str) -> str | None:
    """The sentence with common words swapped for synonyms (None when fewer than two change):
    a claim a model might make in its own words, which lexical overlap under-rates."""
    count = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _SYNONYMS[m.group(0).lower()]

    out = _SYN.sub(swap, sentence)
    return out if count >= 2 else None


def grounding_claims(stack: Stack, items: Sequence[GoldenItem], config: RunConfig) -> list[Claim]:
    """The labelled claims described in the module docstring."""
    chunks = stack.chunks(config.corpus, config.index.model_copy(update={"as_of": None}))
    found: list[tuple[GoldenItem, str, str]] = []  # item, chunk text, answer sentence
    for item in items:
        if item.false_premise:
            continue
        needles = specific_needles(item.answer, item.aliases)
        for c in chunks:
            if c.doc_id not in item.doc_ids:
                continue
            sent = next((s for s in split_sentences(c.text) if find_needle(s, needles)), None)
            if sent is not None:
                found.append((item, f"{c.title}. {c.text}" if c.title else c.text, sent))
                break
    claims: list[Claim] = []
    for n, (item, ctx, sent) in enumerate(found):
        other = next((f for f in found[n + 1 :] + found[:n] if f[0].topic != item.topic), None)
        claims += [
            Claim(qid=item.qid, sentence=sent, context=[ctx], supported=True, kind="answer sentence"),
            Claim(qid=item.qid, sentence=f"{item.answer}.", context=[ctx], supported=True, kind="bare answer"),
            Claim(
                qid=item.qid,
                sentence=f"{item.question.rstrip('?')}: {item.answer}.",
                context=[ctx],
                supported=True,
                kind="question as statement",
            ),
        ]
        para = paraphrase(sent)
        if para is not None:
            claims.append(Claim(qid=item.qid, sentence=para, context=[ctx], supported=True, kind="paraphrased sentence"))
        if _bump(sent) != sent:
            claims.append(Claim(qid=item.qid, sentence=_bump(sent), context=[ctx], supported=False, kind="fabricated figure"))
        if other is not None:
            claims.append(Claim(qid=item.qid, sentence=other[2], context=[ctx], supported=False, kind="off-topic sentence"))
            if find_needle(ctx, [other[0].answer]) is None:
                claims.append(
                    Claim(
                        qid=item.qid,
                        sentence=f"{other[0].answer}.",
                        context=[ctx],
                        supported=False,
                        kind="another question's answer",
                    )
                )
    return claims


def _auc(pos: npt.NDArray[np.float64], neg: npt.NDArray[np.float64]) -> float | None:
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def fit_threshold(scores: Sequence[float], labels: Sequence[bool], *, max_fpr: float | None = None) -> ThresholdFit:
    """The threshold (score >= t means supported) with the best balanced accuracy, or - with
    `max_fpr` - the lowest threshold whose false-positive rate stays within it."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    best = (-1.0, float(s.max()) if len(s) else 1.0, 0.0, 0.0)
    for t in np.unique(s):
        tpr = float((pos >= t).mean()) if len(pos) else 0.0
        fpr = float((neg >= t).mean()) if len(neg) else 0.0
        bacc = (tpr + 1 - fpr) / 2
        if max_fpr is not None:
            if fpr <= max_fpr:
                best = (bacc, float(t), tpr, fpr)
                break
        elif bacc > best[0]:
            best = (bacc, float(t), tpr, fpr)
    auc = _auc(pos, neg)
    return ThresholdFit(
        threshold=round(best[1], 4),
        balanced_accuracy=round(best[0], 4),
        true_positive_rate=round(best[2], 4),
        false_positive_rate=round(best[3], 4),
        auc=None if auc is None else round(auc, 4),
    )


def calibrate_grounded(
    stack: Stack,
    items: Sequence[GoldenItem],
    *,
    config: RunConfig | None = None,
    embedder: str | None = "minilm-l6-v2",
    max_fpr: float = 0.01,
) -> GroundedCalibration:
    """Fit `grounded`'s lexical and semantic thresholds on the golden set (see the module docstring)."""
    config = config or RunConfig()
    claims = grounding_claims(stack, items, config)
    labels = [c.supported for c in claims]
    lex = [lexical_support(c.sentence, c.context) for c in claims]
    lex_fit = fit_threshold([x for x, _ in lex], labels)
    sem_fit: ThresholdFit | None = None
    rule = [x >= lex_fit.threshold for x, _ in lex]
    if embedder is not None:
        emb = get_embedder(embedder)
        a = stack.cache.encode(emb, [c.sentence for c in claims])
        cos = []
        for i, c in enumerate(claims):
            sents = [s for t in c.context for s in split_sentences(t)] or [""]
            cos.append(float(np.max(stack.cache.encode(emb, sents) @ a[i])))
        # the cosine rescues a claim only at a level that at most `max_fpr` of the unsupported
        # claims (figures all present, so the rule's gate lets them through) reach
        gated = [i for i, (_, ok) in enumerate(lex) if ok]
        sem_fit = fit_threshold([cos[i] for i in gated], [labels[i] for i in gated], max_fpr=max_fpr)
        rule = [r or (ok and cs >= sem_fit.threshold) for r, (_, ok), cs in zip(rule, lex, cos, strict=True)]
    y = np.asarray(labels)
    return GroundedCalibration(
        questions=len({c.qid for c in claims}),
        positives=int(y.sum()),
        negatives=int((~y).sum()),
        lexical=lex_fit,
        semantic=sem_fit,
        rule_balanced_accuracy=round(_bacc(rule, labels), 4),
        embedder=embedder,
    )


def _bacc(predicted: Sequence[bool], labels: Sequence[bool]) -> float:
    r, y = np.asarray(predicted, dtype=bool), np.asarray(labels, dtype=bool)
    tpr = float(r[y].mean()) if y.any() else 0.0
    tnr = float(1 - r[~y].mean()) if (~y).any() else 0.0
    return (tpr + tnr) / 2
