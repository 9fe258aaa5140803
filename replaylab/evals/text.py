"""Text normalisation and answer matching shared by the evaluators.

Normalisation follows the SQuAD / Lost-in-the-Middle recipe (lowercase, drop punctuation
and the articles a/an/the, collapse whitespace) with one change: punctuation becomes a
space instead of vanishing, and a needle must match whole tokens. Lost-in-the-Middle's raw
substring test would count "7" as found in "17 users" and "1.5 GB" as "15 GB"; a token
match does not. For answers, `answer_tokens` also makes every calendar date one token, so
that "16" is not found in "2026-05-16" and a date matches the same date written another way.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from replaylab.models.reader import content_words
from replaylab.stack.chunker import split_sentences

__all__ = [
    "answer_text",
    "answer_tokens",
    "claim_sentences",
    "contains_tokens",
    "content_words",
    "date_token",
    "find_answer",
    "find_dates",
    "find_needle",
    "is_refusal",
    "norm_tokens",
    "normalise",
    "number_tokens",
    "specific_needles",
    "token_f1",
]

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ARTICLES = frozenset({"a", "an", "the"})
_DIGIT = re.compile(r"\d")

REFUSAL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bi (?:do not|don'?t|dont) know\b",
        r"\bi(?:'m| am) not (?:sure|certain|able)\b",
        r"\b(?:cannot|can'?t|can not|unable to) (?:answer|find|say|tell|determine|help)\b",
        r"\bno (?:information|answer|mention)\b",
        r"\bnot (?:mentioned|stated|specified|provided|available|found) in\b",
        r"\b(?:the )?(?:context|passages?|documents?) (?:does|do) not (?:contain|mention|say|specify|include)\b",
        r"\bi (?:do not|don'?t) have (?:enough |that |the )?information\b",
        r"\bcheck the help cent(?:re|er)\b",
    )
)
"""Refusals and deflections: "I don't know" and its variants, and the withholding reply."""


def normalise(text: str) -> str:
    """Lowercase, punctuation to spaces, articles dropped, whitespace collapsed."""
    return " ".join(norm_tokens(text))


def norm_tokens(text: str) -> list[str]:
    """The normalised tokens of `text`."""
    return [t for t in _NON_WORD.sub(" ", text.lower()).split() if t not in _ARTICLES]


def contains_tokens(hay: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether `needle` occurs as a contiguous run of whole tokens in `hay` (empty never does)."""
    n = len(needle)
    if n == 0 or n > len(hay):
        return False
    first = needle[0]
    return any(hay[i] == first and list(hay[i : i + n]) == list(needle) for i in range(len(hay) - n + 1))


def find_needle(text: str, needles: Iterable[str]) -> str | None:
    """The first of `needles` that `text` contains (normalised, whole tokens), else None."""
    hay = norm_tokens(text)
    for needle in needles:
        if contains_tokens(hay, norm_tokens(needle)):
            return needle
    return None


def specific_needles(answer: str, aliases: Iterable[str]) -> list[str]:
    """The answer and the aliases specific enough to look for in a context.

    A bare-number alias ("5") matches the answer in an output, but in a context it would
    also match "5 billing contacts"; it is left out unless nothing else remains.
    """
    out = [answer] if norm_tokens(answer) else []
    for alias in aliases:
        toks = norm_tokens(alias)
        if not toks or alias in out:
            continue
        if len(toks) == 1 and toks[0].isdigit():
            continue
        out.append(alias)
    if not out:
        out = [a for a in aliases if norm_tokens(a)]
    return out


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two texts after normalisation (0..1)."""
    pred, ref = norm_tokens(prediction), norm_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def is_refusal(text: str) -> str | None:
    """The refusal phrase `text` uses, or None."""
    for pattern in REFUSAL_PATTERNS:
        m = pattern.search(text)
        if m:
            return m.group(0)
    return None


def answer_text(output: str) -> str:
    """The answer inside an output: the `answer` field of a JSON reply, else the text itself."""
    stripped = output.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            return output
        if isinstance(data, dict) and isinstance(data.get("answer"), str):
            return str(data["answer"])
    return output


_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "ymd"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE), "dmy"),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE), "mdy"),
)


def _as_date(groups: tuple[str, ...], order: str) -> date | None:
    try:
        if order == "ymd":
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        if order == "dmy":
            return date(int(groups[2]), _MONTHS[groups[1].lower()], int(groups[0]))
        return date(int(groups[2]), _MONTHS[groups[0].lower()], int(groups[1]))
    except (ValueError, KeyError):
        return None


def find_dates(text: str) -> list[tuple[int, int, date]]:
    """The calendar dates `text` states (ISO `2026-05-16`, with or without a time; `16 May
    2026`; `May 16, 2026`), as (start, end, date), in order and not overlapping."""
    spans: list[tuple[int, int, date]] = []
    for pattern, order in _DATES:
        for m in pattern.finditer(text):
            when = _as_date(m.groups(), order)
            if when is not None and not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), when))
    return sorted(spans)


def date_token(when: date) -> str:
    """The single token a date becomes in `answer_tokens` (no digit of it matches a number)."""
    return f"date{when.strftime('%Y%m%d')}"


def answer_tokens(text: str) -> list[str]:
    """`norm_tokens` with every date one token: "16" is not found in "2026-05-16", and
    "2026-05-16", "16 May 2026" and "May 16, 2026" are the same token."""
    parts, last = [], 0
    for start, end, when in find_dates(text):
        parts += [text[last:start], f" {date_token(when)} "]
        last = end
    parts.append(text[last:])
    return norm_tokens("".join(parts))


def find_answer(text: str, needles: Iterable[str]) -> str | None:
    """`find_needle` over `answer_tokens`: numbers as whole tokens, dates as dates."""
    hay = answer_tokens(text)
    for needle in needles:
        if contains_tokens(hay, answer_tokens(needle)):
            return needle
    return None


def number_tokens(text: str) -> set[str]:
    """Normalised tokens that hold a digit: the figures, codes and dates a claim makes."""
    return {t for t in norm_tokens(text) if _DIGIT.search(t)}


def claim_sentences(text: str, *, min_words: int = 2) -> list[str]:
    """Sentences of `text` that make a claim (at least `min_words` content words or a figure)."""
    return [s for s in split_sentences(text) if len(content_words(s)) >= min_words or number_tokens(s)]
