"""Model commands: serve a model over an OpenAI-compatible API, list models, audit cassettes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import console, err_console
from replaylab.errors import ConfigError, InputError

cassettes_app = typer.Typer(no_args_is_help=True, help="HTTP cassettes: audit them for secrets.")
app.add_typer(cassettes_app, name="cassettes")


def parse_served_as(items: list[str] | None) -> dict[str, str]:
    """`NAME=VERSION` options as a mapping; a malformed one is a ConfigError."""
    out: dict[str, str] = {}
    for item in items or []:
        public, sep, version = item.partition("=")
        if not sep or not public.strip() or not version.strip():
            raise ConfigError(f"--served-as {item!r} is not NAME=VERSION, e.g. sandbox-reader-1.0=sandbox-reader-1.1")
        out[public.strip()] = version.strip()
    return out


@app.command()
def serve(
    model: Annotated[list[str], typer.Option(help="Generator to serve (repeatable), e.g. gemma-3-270m")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8000,
    served_as: Annotated[
        list[str] | None,
        typer.Option("--served-as", help="NAME=VERSION: answer requests for NAME with VERSION (a silent model change)"),
    ] = None,
) -> None:
    """Serve models over an OpenAI-compatible API on loopback until Ctrl-C."""
    from replaylab.models.server import serve as run_server

    mapping = parse_served_as(served_as)
    if not 0 < port <= 65535:
        raise ConfigError(f"--port {port} is not a port number")
    err_console.print(f"loading {', '.join(model)}…")

    def ready(base_url: str, names: list[str]) -> None:
        console.print(f"serving {', '.join(names)} at {base_url} (Ctrl-C to stop)")

    run_server(model, port, served_as=mapping, ready=ready)


@app.command("models")
def models_list() -> None:
    """List the registered generators with their public alias and runtime facts (nothing is loaded)."""
    from replaylab.registry import items

    table = Table(title="generators")
    table.add_column("id", no_wrap=True)
    table.add_column("alias")
    table.add_column("runtime")
    table.add_column("what it is")
    for name, cls in items("generator"):
        runtime = dict(getattr(cls, "runtime", {}) or {})
        if runtime.get("file_sha256"):
            runtime["file_sha256"] = runtime["file_sha256"][:12] + "…"
        doc = (cls.__doc__ or "").strip().splitlines()
        table.add_row(
            "openai:<model>" if name == "openai" else name,
            getattr(cls, "alias", "") or name,
            ", ".join(runtime.values()) or "in-process",
            doc[0] if doc else "",
        )
    console.print(table)


@cassettes_app.command("audit")
def cassettes_audit(
    directory: Annotated[Path, typer.Argument(help="Folder (or file) of cassettes")] = Path("cassettes"),
) -> None:
    """Scan cassettes for secrets; exit 1 naming the file and line of each finding."""
    from replaylab.cassettes.profile import audit
    from replaylab.cassettes.redaction import audited_files

    if not directory.exists():
        raise InputError(f"No such folder or file: {directory}")
    files = audited_files(directory)
    findings = audit(directory)
    per_file: dict[Path, int] = {}
    for f in findings:
        per_file[f.file] = per_file.get(f.file, 0) + 1
    table = Table(title=f"cassette audit of {directory}", title_justify="left")
    for col in ("file", "bytes", "findings"):
        table.add_column(col)
    for path in files:
        n = per_file.get(path, 0)
        table.add_row(str(path), str(path.stat().st_size), "[red]" + str(n) + "[/red]" if n else "0")
    console.print(table)
    for f in findings:
        err_console.print(f"{f.file}:{f.line}: {f.what}", markup=False)
    if findings:
        err_console.print(f"{len(findings)} secret(s) found in {len(per_file)} of {len(files)} file(s)")
        raise typer.Exit(1)
    console.print(f"{len(files)} file(s) scanned, no secrets found")


@app.command()
def doctor(
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here")] = None,
    part: Annotated[list[str] | None, typer.Option(help="Smoke-test only these parts: minilm, faiss, gemma")] = None,
) -> None:
    """Versions, build flags and CPU features of the real parts, and a smoke test of each; exit 1 if one fails."""
    from replaylab.bench.doctor import PARTS, as_json, examine
    from replaylab.files import atomic_write_text

    chosen = tuple(part or PARTS)
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        raise ConfigError(f"Unknown part {unknown[0]!r} for --part. Valid: {list(PARTS)}")
    with console.status("smoke-testing each real part in a subprocess…"):
        report = examine(parts=chosen)
    facts = Table(title="replaylab doctor", show_header=False, title_justify="left")
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("python", f"{report.python} on {report.platform}")
    facts.add_row("cpu", f"{report.cpu}: {' '.join(report.cpu_flags) or '(no SIMD flags read)'}")
    for dist, version in report.versions.items():
        facts.add_row(dist, version)
    llama = report.builds.get("llama.cpp", {})
    shown = " ".join(
        f"{k}={v}"
        for k, v in llama.items()
        if k in ("AVX", "AVX2", "FMA", "F16C", "BMI2", "AVX512", "AVX512_VNNI", "AMX_INT8", "REPACK", "OPENMP")
    )
    facts.add_row("llama.cpp build", shown)
    facts.add_row("llama.cpp wheel", str(report.builds.get("replaylab_llama_wheel")))
    facts.add_row("torch cpu", str(report.builds.get("torch_cpu_capability")))
    facts.add_row("faiss", str(report.builds.get("faiss_compile_options")))
    console.print(facts)
    for w in report.warnings:
        console.print(f"[{'red' if w.startswith('FAIL') else 'yellow'}]{w}[/]")
    table = Table(title="smoke tests (each in its own subprocess)", title_justify="left")
    for col in ("part", "result", "seconds", "detail"):
        table.add_column(col)
    for s in report.smoke:
        table.add_row(s.part, "[green]ok[/green]" if s.ok else "[red]FAIL[/red]", f"{s.seconds:.1f}", s.detail)
    console.print(table)
    console.print(f"doctor: {'every part works' if report.ok else 'a part failed'}")
    if json_out:
        atomic_write_text(json_out, as_json(report) + "\n")
        console.print(f"report written to {json_out}")
    if not report.ok:
        raise typer.Exit(1)
