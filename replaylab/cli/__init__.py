"""The command line: the only place that prints and exits.

Exit codes: 0 success, 1 a deviation or failed check, 2 bad usage or bad input (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from replaylab.errors import ReplaylabError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Replay a failing LLM/RAG request, bisect its cause, and drill faults.",
)

# command modules; each adds its commands to `app` when imported
_COMMAND_MODULES = (
    "replaylab.cli.core",
    "replaylab.cli.analysis",
    "replaylab.cli.models",
    "replaylab.cli.bisect_cmd",
    "replaylab.cli.drill_cmd",
    "replaylab.cli.bench_cmd",
    "replaylab.cli.agents_cmd",
    "replaylab.cli.teach_cmd",
    "replaylab.cli.experiments_cmd",
    "replaylab.cli.import_cmd",
    "replaylab.cli.project_cmd",
    "replaylab.cli.detect_cmd",
    "replaylab.cli.sessions_cmd",
    "replaylab.cli.proxy_cmd",
    "replaylab.cli.backtest_cmd",
    "replaylab.cli.vectors_cmd",
)
for _mod in _COMMAND_MODULES:
    importlib.import_module(_mod)


def main() -> None:
    """Console entry point: run the app, turning every ReplaylabError into one line."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from replaylab.files import check_arguments

        check_arguments(sys.argv[1:])
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ReplaylabError as exc:
        # one line, always: a message written over several lines is joined
        msg = " ".join(ln.strip() for ln in str(exc).splitlines() if ln.strip()) or type(exc).__name__
        print(f"replaylab: error: {msg}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("replaylab: aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("replaylab: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        kinds: tuple[type[Exception], ...] = (click.ClickException,)
        try:
            from typer._click.exceptions import ClickException as TyperClickException

            kinds += (TyperClickException,)
        except ImportError:  # older typer re-uses click's own exceptions
            pass
        if isinstance(exc, kinds):
            formatter = getattr(exc, "format_message", None)
            message = formatter() if callable(formatter) else str(exc)
            print(f"replaylab: error: {message}", file=sys.stderr)
            sys.exit(2)
        raise
