"""The sentences bisect ends its search with (`BisectResult.stopped_because`)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["causes_sentence", "interactions_sentence"]

_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _number(n: int) -> str:
    return _WORDS[n] if n < len(_WORDS) else str(n)


def _quote(names: Sequence[str]) -> str:
    return "[" + ", ".join(names) + "]"


def causes_sentence(found: list[str], k: int) -> str:
    """Why the search stopped when single causes were found among `k` differing variables."""
    head = f"every differing variable was tried alone ({k} differing); "
    head += f"{_number(len(found))} ({', '.join(found)})"
    if len(found) == 1:
        return head + " fixes the failure and causes it in the good configuration"
    return head + " each fix the failure and cause it in the good configuration"


def interactions_sentence(sets: list[list[str]], fixers: list[str], k: int) -> str:
    """Why the search stopped when ddmin found failure-inducing `sets` (no single cause)."""
    text = "no single variable both fixes the failure and causes it in the good configuration"
    if fixers:
        verbs = "fixes it but does" if len(fixers) == 1 else "fix it but do"
        text += f" ({', '.join(fixers)} {verbs} not cause it alone)"
    plural = "set" if len(sets) == 1 else "sets"
    text += f"; ddmin over the {k} differing variables found {_number(len(sets))} "
    text += f"minimal failure-inducing {plural}: "
    text += ", ".join(_quote(s) for s in sets)
    alone = [s[0] for s in sets if len(s) == 1]
    together = [s for s in sets if len(s) > 1]
    if together and not alone and len(together) == 1:
        text += " (they fail only together)"
    elif alone and not together and len(alone) > 1:
        text += " (each fails on its own: revert every one)"
    elif alone and together:  # independent causes and true interactions are different findings
        text += f" ({', '.join(alone)} {'fails' if len(alone) == 1 else 'each fail'} alone; "
        text += "; ".join(f"{' + '.join(g)} fail only together" for g in together) + ": revert every set)"
    elif len(together) > 1:
        text += " (each set fails only together, and each on its own: revert every set)"
    return text
