"""Markdown building blocks for the postmortem sections: tables, fences, clipped cells, percentages."""

from __future__ import annotations

from typing import Any

__all__ = ["CONFIRM", "cell", "clip", "fence", "pct", "table"]

CONFIRM = "**[needs human confirmation]**"


def clip(text: str, n: int) -> str:
    """`text` cut to `n` characters with an ellipsis."""
    return text if len(text) <= n else text[: n - 1] + "…"


def cell(v: object) -> str:
    """`v` as one line of a table cell (pipes escaped)."""
    return " ".join(str(v).split()).replace("|", "\\|")


def table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table and the blank line after it."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def fence(text: str) -> list[str]:
    """`text` in a code fence that its own backticks cannot close."""
    fence = "~~~~" if "```" in text else "```"
    return [fence, text, fence, ""]


def pct(x: float | None) -> str:
    """A rate as a whole percentage, or n/a."""
    return "n/a" if x is None else f"{x:.0%}"
