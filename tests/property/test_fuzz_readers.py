"""Every reader of a user's file, fed hostile and careless shapes: one ReplaylabError, one line.

Readers: trace, config (YAML and JSON), scenario, golden set, corpus .jsonl, cassette, postmortem
input (bisect report / drill journal). Shapes: invalid UTF-8 and UTF-16 bytes, nesting 1,000 deep,
5,000-digit integers, lone surrogates, YAML alias bombs, random JSON/YAML; and non-regular files
(a FIFO, a directory, /dev/zero). Each must raise a replaylab error whose message is one line,
never anything else, never a hang. A few shapes also go through the CLI: exit 2, one stderr line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import replaylab.stack.corpus as corpus_mod
from replaylab.cassettes.profile import load_cassette
from replaylab.config import CorpusSpec, load_config
from replaylab.errors import ReplaylabError
from replaylab.postmortem.draft import load_run
from replaylab.scenario import load_scenario
from replaylab.stack.corpus import load_corpus, load_golden
from replaylab.trace import load_trace
from replaylab.workspace import Workspace

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
).encode()

FIXED_SHAPES: dict[str, bytes] = {
    "invalid-utf8": b'{"version": 1, "q": "\xff\xfe\xc3\x28"}',
    "utf16": '{"version": 1}'.encode("utf-16"),
    "deep-json": b"[" * 1000 + b"]" * 1000,
    "deep-yaml": b"- " * 900 + b"x",
    "deep-flow": b"{a: " * 1000 + b"1" + b"}" * 1000,
    "big-int-json": b'{"version": ' + b"9" * 5000 + b"}",
    "big-int-yaml": b"version: " + b"9" * 5000,
    "lone-surrogate": b'{"version": 1, "question": "\\ud800"}',
    "alias-bomb": BOMB,
    "recursive-alias": b"&a [*a]",
    "empty": b"",
    "nul": b"\x00\x00\x00",
}


def _corpus(path: Path) -> object:
    corpus_mod._ROWS.clear()
    return load_corpus(CorpusSpec(source=str(path)), Workspace(path.parent / "ws"))


READERS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "trace": (".json", load_trace),
    "config-yaml": (".yaml", load_config),
    "config-json": (".json", load_config),
    "scenario": (".yaml", lambda p: load_scenario(str(p))),
    "golden": (".jsonl", load_golden),
    "corpus": (".jsonl", _corpus),
    "cassette": (".yaml", load_cassette),
    "postmortem": (".json", lambda p: load_run(p)),
}


def _one_line_error(read: Callable[[Path], Any], path: Path) -> None:
    """`read(path)` either succeeds or raises a ReplaylabError with a one-line message."""
    try:
        read(path)
    except ReplaylabError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), msg
        assert "Traceback" not in msg


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("shape", sorted(FIXED_SHAPES))
def test_every_reader_refuses_every_fixed_shape_in_one_line(tmp_path: Path, reader: str, shape: str) -> None:
    suffix, read = READERS[reader]
    path = tmp_path / f"input{suffix}"
    path.write_bytes(FIXED_SHAPES[shape])
    if shape == "empty":  # an empty golden set is a set with no questions; the others refuse it
        _one_line_error(read, path)
        return
    with pytest.raises(ReplaylabError) as info:
        read(path)
    assert "\n" not in str(info.value).strip(), str(info.value)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)
RAW = st.one_of(
    st.binary(max_size=300),
    JSONISH.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(list(FIXED_SHAPES.values())),
    st.integers(1, 1200).map(lambda n: b"[" * n + b"]" * n),
)


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=RAW)
def test_every_reader_fails_only_with_one_line_errors_on_random_bytes(tmp_path: Path, reader: str, data: bytes) -> None:
    suffix, read = READERS[reader]
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _one_line_error(read, path)


def _fifo(tmp: Path, suffix: str) -> Path:
    path = tmp / f"pipe{suffix}"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("kind", ["fifo", "directory", "dev-zero"])
def test_every_reader_refuses_non_regular_files(tmp_path: Path, reader: str, kind: str) -> None:
    suffix, read = READERS[reader]
    if kind == "fifo":
        path = _fifo(tmp_path, suffix)
    elif kind == "directory":
        path = tmp_path / f"folder{suffix}"
        path.mkdir()
    else:
        path = Path("/dev/zero")
    with pytest.raises(ReplaylabError) as info:
        read(path)
    assert "\n" not in str(info.value).strip()


def test_corpus_source_root_is_refused(tmp_path: Path) -> None:
    corpus_mod._ROWS.clear()
    with pytest.raises(ReplaylabError, match="filesystem root"):
        load_corpus(CorpusSpec(source="/"), Workspace(tmp_path / "ws"))


def test_corpus_folder_walk_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_mod, "MAX_CORPUS_ENTRIES", 20)
    for i in range(30):
        (tmp_path / "docs" / f"d{i}.md").parent.mkdir(exist_ok=True)
        (tmp_path / "docs" / f"d{i}.md").write_text(f"# doc {i}\ntext")
    corpus_mod._ROWS.clear()
    with pytest.raises(ReplaylabError, match="more than 20 entries"):
        load_corpus(CorpusSpec(source=str(tmp_path / "docs")), Workspace(tmp_path / "ws"))


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REPLAYLAB_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "replaylab", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("shape", "args"),
    [
        ("big-int-json", ["eval", "{path}", "--lexical"]),
        ("alias-bomb", ["cassettes", "audit", "{path}"]),
        ("fifo", ["cassettes", "audit", "{path}"]),
    ],
)
def test_cli_exits_2_with_one_line(tmp_path: Path, shape: str, args: list[str]) -> None:
    if shape == "fifo":
        path = _fifo(tmp_path, ".yaml")
    else:
        path = tmp_path / ("input.yaml" if shape == "alias-bomb" else "input.json")
        if shape in FIXED_SHAPES:
            path.write_bytes(FIXED_SHAPES[shape])
    proc = _cli([a.format(path=path) for a in args], tmp_path / "ws")
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    if shape == "alias-bomb":  # audit: a file that cannot be audited is a finding (exit 1), quickly
        assert proc.returncode == 1, proc.stderr
        assert any("cannot be audited" in ln for ln in lines), proc.stderr
        return
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_refuses_an_argument_that_is_not_utf8(tmp_path: Path) -> None:
    """A lone surrogate in a question (invalid UTF-8 on the command line) is one line, exit 2."""
    question = b"What \xed\xa0\x80 is the grace period?".decode("utf-8", "surrogateescape")
    proc = _cli(["run", question], tmp_path / "ws")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "not valid UTF-8" in proc.stderr
