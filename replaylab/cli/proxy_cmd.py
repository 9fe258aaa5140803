"""`replaylab proxy`: the fault-injecting OpenAI-compatible proxy for staging chaos drills."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import console, err_console
from replaylab.errors import ConfigError

TOKEN_VAR = "REPLAYLAB_PROXY_TOKEN"


def _fault_table() -> Table:
    from replaylab.proxy.control import fault_catalog

    table = Table(title="proxy faults")
    table.add_column("fault", no_wrap=True)
    table.add_column("layer")
    table.add_column("parameters")
    table.add_column("what it does")
    for f in fault_catalog():
        params = ", ".join(f"{k}={v.get('default', '?')!r}" for k, v in f["schema"].get("properties", {}).items())
        table.add_row(f["name"], f["layer"], params, f["doc"])
    return table


@app.command()
def proxy(
    upstream: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL to forward to, e.g. http://127.0.0.1:8000/v1")
    ] = None,
    scenario: Annotated[Path | None, typer.Option(help="YAML/JSON file of faults on from the start")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8100,
    record_dir: Annotated[
        Path | None, typer.Option(help="Where traces + cassettes go (default: <workspace>/proxy/recordings)")
    ] = None,
    no_record: Annotated[bool, typer.Option("--no-record", help="Keep exchanges in memory only")] = False,
    list_faults: Annotated[bool, typer.Option("--list-faults", help="List the registered proxy faults and exit")] = False,
) -> None:
    """Proxy an OpenAI-compatible API on loopback, injecting faults turned on at runtime (control API: /_replaylab/)."""
    if list_faults:
        console.print(_fault_table())
        return
    if not upstream:
        raise ConfigError("--upstream is required, e.g. --upstream http://127.0.0.1:8000/v1")
    if not upstream.startswith(("http://", "https://")):
        raise ConfigError(f"--upstream {upstream!r} is not an http(s) URL")
    if not 0 < port <= 65535:
        raise ConfigError(f"--port {port} is not a port number")
    from replaylab.proxy.app import ProxySettings
    from replaylab.proxy.control import load_proxy_scenario
    from replaylab.proxy.runner import run_proxy
    from replaylab.workspace import Workspace

    loaded = load_proxy_scenario(scenario) if scenario is not None else None
    token = os.environ.get(TOKEN_VAR) or secrets.token_urlsafe(24)
    if len(token) < 8:
        raise ConfigError(f"{TOKEN_VAR} must be at least 8 characters")
    folder = None if no_record else (record_dir or Workspace.default().root / "proxy" / "recordings")
    settings = ProxySettings(upstream=upstream, control_token=token, record_dir=folder)

    def ready(base_url: str) -> None:
        console.print(f"proxying {upstream} at {base_url} (Ctrl-C to stop)")
        console.print(f"faults on: {[s.fault for s in loaded.faults] if loaded else []}; recording to {folder or 'memory'}")
        if TOKEN_VAR not in os.environ:
            err_console.print(f"control token (set {TOKEN_VAR} to choose one): {token}")

    run_proxy(settings, port, scenario=loaded, ready=ready)


@app.command("staging-drill")
def staging_drill(
    experiment: Annotated[
        list[Path] | None, typer.Argument(help="Chaos Toolkit experiment files (default: every scenarios/staging/*.json)")
    ] = None,
    journal_dir: Annotated[Path | None, typer.Option(help="Where journals go (default: <workspace>/proxy/journals)")] = None,
    model: Annotated[str, typer.Option(help="The upstream model served behind the proxy")] = "sandbox-reader-1.0",
) -> None:
    """Start model server -> proxy -> example RAG app on loopback and run Chaos Toolkit experiments against it."""
    from replaylab.proxy.staging import run_experiment, staging_stack
    from replaylab.workspace import Workspace

    files = list(experiment or sorted(Path("scenarios/staging").glob("*.json")))
    if not files:
        raise ConfigError("No experiments given and none in scenarios/staging/*.json")
    for f in files:
        if not f.is_file():
            raise ConfigError(f"No experiment file {f}")
    root = Workspace.default().root / "proxy"
    journals = journal_dir or root / "journals"
    table = Table(title="staging drill")
    for col in ("experiment", "status", "deviated", "expected", "rollbacks", "journal"):
        table.add_column(col)
    surprises = 0
    with console.status("starting the staging stack (model server, proxy, MiniLM + FAISS app)…"):
        stack = staging_stack(model=model, record_dir=root / "recordings")
        urls = stack.__enter__()
    try:
        for f in files:
            with console.status(f"chaos run {f.name}…"):
                out = run_experiment(f, urls=urls, journal=journals / f"{f.stem}.journal.json")
            expected = "expect-deviated" in _tags(f)
            ok = out.deviated == expected and out.status == "completed"
            surprises += not ok
            table.add_row(
                f.name, out.status, "yes" if out.deviated else "no", "as expected" if ok else "[red]NOT as expected[/red]",
                str(out.rollbacks), str(out.journal),
            )  # fmt: skip
    finally:
        stack.__exit__(None, None, None)
    console.print(table)
    console.print(f"recordings (traces + cassettes): {root / 'recordings'}")
    if surprises:
        raise typer.Exit(1)


def _tags(path: Path) -> list[str]:
    """An experiment's tags (`expect-deviated` marks a drill whose steady state should break)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Experiment {path} is not readable JSON: {exc}") from None
    return [str(t) for t in data.get("tags") or []] if isinstance(data, dict) else []
