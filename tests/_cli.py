"""Run replaylab's console entry point in-process, as a user would."""

from __future__ import annotations

import sys

import pytest


def run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`replaylab ARGV...` through `replaylab.cli.main`: (exit code, stdout, stderr)."""
    from replaylab.cli import main

    monkeypatch.setattr(sys, "argv", ["replaylab", *argv])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
