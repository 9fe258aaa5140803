"""The interactive front end: renders the game's replies with Rich and reads commands."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from replaylab.teach.blocks import Grid, Para, Reply
from replaylab.teach.game import SANDBOX_COMMANDS, GameSession, SessionRecord

__all__ = ["PROMPT", "play", "render"]

PROMPT = "on-call> "
_STYLES = {"plain": "", "title": "bold", "alert": "bold red", "good": "green", "bad": "red", "dim": "dim", "code": "cyan"}


def render(console: Console, reply: Reply) -> None:
    """Print a reply's blocks: paragraphs styled, tables as Rich tables."""
    for block in reply.blocks:
        if isinstance(block, Para):
            console.print(Text(block.text, style=_STYLES[block.style]))
        elif isinstance(block, Grid):
            table = Table(title=block.title or None, title_justify="left", show_lines=False)
            for col in block.columns:
                table.add_column(col, overflow="fold")
            for row in block.rows:
                table.add_row(*[Text(c) for c in row])
            console.print(table)


def play(session: GameSession, *, console: Console, read: Callable[[str], str] = input) -> SessionRecord:
    """Run the session interactively until `submit`, `quit`, end of input or Ctrl-C."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    render(console, session.opening())
    while not session.ended:
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            console.print()
            line = "quit"
        verb = line.strip().split(" ", 1)[0].lower()
        try:
            if verb in SANDBOX_COMMANDS:
                with console.status("running in the sandbox…"):
                    reply = session.handle(line)
            else:
                reply = session.handle(line)
        except KeyboardInterrupt:  # Ctrl-C during a command cancels the command, not the game day
            console.print("(interrupted; `quit` ends the session)", style="dim")
            continue
        render(console, reply)
    return session.record()
