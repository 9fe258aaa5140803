"""`replaylab sessions`: the session service and a CLI to inspect and revert what it stored.

replaylab sessions serve --port 8766                 # POST /v1/sessions, /v1/sessions/{id}/turns ...
replaylab sessions start s-1 && replaylab sessions turn s-1 "How long is the refund window?"
replaylab sessions list | show s-1 | snapshot s-1 pre-release | revert s-1 --to pre-release
replaylab sessions drain rag-answer@5 --to rag-answer@4 [--force [--revert-to 2026-12-03T10:00]]
replaylab sessions canary 10                          # 10 % of new sessions follow the canary label
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import base_config, console, get_stack, short
from replaylab.errors import InputError
from replaylab.sessions.store import SessionStore

sessions_app = typer.Typer(no_args_is_help=True, help="Stateful sessions: PPV pinning, drain, memory snapshots, canary.")
app.add_typer(sessions_app, name="sessions")

StoreOpt = Annotated[Path | None, typer.Option("--store", help="The SQLite file (default: <workspace>/sessions.sqlite)")]


def open_store(path: Path | None) -> SessionStore:
    """The workspace's session store, resolving labels through its prompt registry."""
    stack = get_stack()
    return SessionStore(path or stack.ws.root / "sessions.sqlite", resolve=lambda ref: stack.prompts.resolve(ref).id)


@sessions_app.command("start")
def start_cmd(
    session_id: Annotated[str, typer.Argument(help="The session id")],
    user: Annotated[str, typer.Option(help="The user the session belongs to")] = "",
    template: Annotated[str | None, typer.Option(help="Prompt template (default: the baseline's)")] = None,
    store: StoreOpt = None,
) -> None:
    """Open a session pinned to the PPV its label points at now."""
    tpl = template or base_config(None).prompt.split("@")[0].split(":")[0]
    s = open_store(store).start(session_id, template=tpl, user_id=user)
    console.print(f"session {s.session_id} pinned to {s.ppv} (follows {tpl}:{s.follows})")


@sessions_app.command("turn")
def turn_cmd(
    session_id: Annotated[str, typer.Argument(help="The session id")],
    question: Annotated[str, typer.Argument(help="The customer's message")],
    store: StoreOpt = None,
) -> None:
    """Answer one turn through the stack under the session's pinned PPV, with its memory."""
    from replaylab.sessions.service import serve_turn

    with console.status("answering…"):
        turn, trace = serve_turn(open_store(store), get_stack(), base_config(None), session_id, question)
    console.print(f"[bold]{turn.ppv}[/bold] turn {turn.index}: {escape(turn.output)}  [dim](trace {trace.trace_id})[/dim]")


@sessions_app.command("list")
def list_cmd(
    active: Annotated[bool, typer.Option(help="Only sessions that have not ended")] = False, store: StoreOpt = None
) -> None:
    """Every session with its pin, routing label, turns and state."""
    table = Table(title="sessions", title_justify="left")
    for col in ("session", "user", "pinned to", "started under", "follows", "turns", "snapshots", "state"):
        table.add_column(col)
    for s in open_store(store).list(active_only=active):
        table.add_row(
            s.session_id,
            s.user_id,
            s.ppv,
            s.started_under,
            s.follows,
            str(len(s.turns)),
            ", ".join(s.snapshots) or "–",
            "active" if s.active else f"ended {s.ended_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@sessions_app.command("show")
def show_cmd(session_id: Annotated[str, typer.Argument(help="The session id")], store: StoreOpt = None) -> None:
    """One session: turns, memory with who wrote it, snapshots and moves."""
    s = open_store(store).get(session_id)
    console.print(f"[bold]{s.session_id}[/bold] pinned to {s.ppv} (started under {s.started_under}, follows {s.follows})")
    turns = Table(title="turns", title_justify="left")
    for col in ("#", "at", "ppv", "question", "output"):
        turns.add_column(col)
    for t in s.turns:
        turns.add_row(str(t.index), f"{t.at:%H:%M:%S}", t.ppv, escape(short(t.question, 60)), escape(short(t.output, 80)))
    console.print(turns)
    memory = Table(title="memory", title_justify="left")
    for col in ("key", "written by", "text"):
        memory.add_column(col)
    for key, text in s.memory.items():
        memory.add_row(key, s.written_by.get(key, ""), escape(short(text, 100)))
    console.print(memory)
    console.print(f"snapshots: {', '.join(s.snapshots) or 'none'}")
    for m in s.moves:
        console.print(f"moved {m['from_ppv']} -> {m['to_ppv']} at {m['at']} ({m['reason']})")


@sessions_app.command("snapshot")
def snapshot_cmd(
    session_id: Annotated[str, typer.Argument(help="The session id")],
    label: Annotated[str, typer.Argument(help="The snapshot's name")],
    store: StoreOpt = None,
) -> None:
    """Take a named point-in-time copy of a session's memory."""
    snap = open_store(store).snapshot(session_id, label)
    console.print(f"snapshot {snap.label} of {session_id}: {len(snap.memory)} memory entries at {snap.at.isoformat()}")


@sessions_app.command("revert")
def revert_cmd(
    session_id: Annotated[str, typer.Argument(help="The session id")],
    to: Annotated[str, typer.Option(help="A snapshot label, or an ISO instant (the memory as it was then)")],
    store: StoreOpt = None,
) -> None:
    """Restore a session's memory to a snapshot or a past instant (logged; nothing is deleted)."""
    from replaylab.sessions.service import parse_instant

    snap = open_store(store).revert(session_id, to=parse_instant(to) or to)
    console.print(f"{session_id}: memory reverted to {snap.label} ({len(snap.memory)} entries)")


@sessions_app.command("drain")
def drain_cmd(
    from_ppv: Annotated[str, typer.Argument(help="The PPV to drain (template@N)")],
    to: Annotated[str, typer.Option(help="Where new sessions go instead (template@N)")],
    force: Annotated[bool, typer.Option(help="Move the active sessions now instead of letting them finish")] = False,
    revert_to: Annotated[str | None, typer.Option(help="With --force: revert their memory to this ISO instant")] = None,
    store: StoreOpt = None,
) -> None:
    """Drain a PPV gracefully: new sessions avoid it, old ones finish (or move now with --force). Exit 1 until drained."""
    from replaylab.sessions.service import parse_instant

    when = None
    if revert_to is not None:
        when = parse_instant(revert_to)
        if when is None:
            raise InputError(f"--revert-to {revert_to!r} is not an ISO instant (YYYY-MM-DDTHH:MM[:SS][+00:00])")
        if not force:
            raise InputError("--revert-to needs --force (only moved sessions have their memory reverted)")
    status = open_store(store).drain(from_ppv, to_ppv=to, force=force, revert_to=when)
    if status.complete:
        console.print(f"{from_ppv} drained: no active session on it; new sessions go to {to}")
        return
    console.print(f"{from_ppv} draining to {to}: {len(status.active_on_from)} active session(s) still on it")
    console.print(", ".join(status.active_on_from))
    raise typer.Exit(1)


@sessions_app.command("canary")
def canary_cmd(
    percent: Annotated[float, typer.Argument(help="Share of new sessions (by id hash) that follow the canary label")],
    salt: Annotated[str, typer.Option(help="Salt of the hash (change it to draw another cohort)")] = "",
    store: StoreOpt = None,
) -> None:
    """Route a share of new sessions, chosen by a hash of their id, by the `canary` label."""
    open_store(store).set_canary(percent, salt=salt)
    console.print(f"{percent:g} % of new sessions follow the canary label (salt {salt!r})")


@sessions_app.command("serve")
def serve_cmd(
    port: Annotated[int, typer.Option(min=1024, max=65535, help="Port on 127.0.0.1")] = 8766,
    store: StoreOpt = None,
) -> None:
    """Run the session service over HTTP on loopback (Ctrl-C stops it)."""
    import uvicorn

    from replaylab.sessions.service import create_app

    app_ = create_app(open_store(store), get_stack(), base_config(None))
    console.print(f"session service on http://127.0.0.1:{port}/v1/sessions")
    uvicorn.run(app_, host="127.0.0.1", port=port, log_level="warning")
