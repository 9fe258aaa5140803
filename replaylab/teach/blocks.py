"""What the game says, as data: paragraphs and tables, rendered to plain text or by a terminal.

The game engine never prints. Every reply is a list of blocks; the transcript stores their
plain-text rendering, and the terminal renders the same blocks with Rich.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

Style = Literal["plain", "title", "alert", "good", "bad", "dim", "code"]


class Para(BaseModel):
    """A paragraph of text."""

    kind: Literal["para"] = "para"
    text: str
    style: Style = "plain"


class Grid(BaseModel):
    """A table: a title, column names and rows of cells."""

    kind: Literal["grid"] = "grid"
    title: str = ""
    columns: list[str]
    rows: list[list[str]]


Block = Annotated[Para | Grid, Field(discriminator="kind")]


class Reply(BaseModel):
    """The game's answer to one command."""

    blocks: list[Block] = Field(default_factory=list)
    ended: bool = False
    """True when the session is over (submitted or quit)."""
    error: bool = False
    """True when the command could not be carried out (bad syntax, unknown id): nothing was spent."""

    def say(self, text: str, style: Style = "plain") -> Reply:
        self.blocks.append(Para(text=text, style=style))
        return self

    def grid(self, columns: list[str], rows: list[list[str]], title: str = "") -> Reply:
        self.blocks.append(Grid(title=title, columns=columns, rows=rows))
        return self

    def text(self) -> str:
        """The plain-text rendering (what the transcript stores)."""
        return "\n".join(render_plain(b) for b in self.blocks)


def clip(cell: str, width: int) -> str:
    """`cell` on one line, cut to `width` characters with an ellipsis."""
    cell = " ".join(cell.split())
    return cell if len(cell) <= width else cell[: width - 1] + "…"


def render_plain(block: Para | Grid, *, max_cell: int = 90) -> str:
    """One block as plain text: a paragraph as is, a table with aligned columns."""
    if isinstance(block, Para):
        return block.text
    rows = [[clip(c, max_cell) for c in row] for row in block.rows]
    widths = [len(c) for c in block.columns]
    for row in rows:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))
    lines = [block.title] if block.title else []
    lines.append("  ".join(c.ljust(w) for c, w in zip(block.columns, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return "\n".join(lines)
