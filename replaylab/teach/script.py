"""Script mode: one command per line (blank lines and `#` comments skipped)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from replaylab.errors import InputError
from replaylab.teach.blocks import Reply
from replaylab.teach.game import GameSession, SessionRecord

__all__ = ["read_script", "run_script"]


def read_script(path: Path) -> list[str]:
    """The commands of a script file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot read script {path}: {exc.strerror or exc}") from None
    lines = [ln.strip() for ln in text.splitlines()]
    commands = [ln for ln in lines if ln and not ln.startswith("#")]
    if not commands:
        raise InputError(f"Script {path} holds no command")
    return commands


def run_script(
    session: GameSession, commands: Iterable[str], on_reply: Callable[[str, Reply], None] | None = None
) -> SessionRecord:
    """Play `commands` in order until the session ends; a script that never submits quits."""
    for command in commands:
        if session.ended:
            break
        reply = session.handle(command)
        if on_reply is not None:
            on_reply(command, reply)
    if not session.ended:
        reply = session.handle("quit")
        if on_reply is not None:
            on_reply("quit", reply)
    return session.record()
