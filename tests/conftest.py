"""Shared fixtures. Tests by where they run: see tests/README.md."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# one embedding cache for the whole run: every test workspace reuses vectors already computed
_CACHE_DIR = Path(os.environ.get("REPLAYLAB_TEST_CACHE", Path(__file__).resolve().parent.parent / ".replaylab" / "test-cache"))
_CACHE_DIR.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("REPLAYLAB_EMBED_CACHE", str(_CACHE_DIR / "embeddings.sqlite"))

DATA = Path(__file__).resolve().parent / "data"
TINY_CORPUS = DATA / "tiny_corpus.jsonl"
TINY_GOLDEN = DATA / "tiny_golden.jsonl"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh workspace folder, also set as REPLAYLAB_HOME for code that reads the default."""
    from replaylab.workspace import Workspace

    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    return Workspace(tmp_path / "ws")


@pytest.fixture
def tiny_stack(workspace):
    """A stack over a fresh workspace."""
    from replaylab.stack.pipeline import Stack

    return Stack(workspace)


@pytest.fixture
def tiny_config():
    """A config over the six-document test corpus with the hashing stand-in embedder (unit tests only)."""
    from replaylab.config import CorpusSpec, IndexSpec, RunConfig

    return RunConfig(
        prompt="rag-answer@4",
        corpus=CorpusSpec(source=str(TINY_CORPUS)),
        index=IndexSpec(embedder="hashing-test"),
        embedder="hashing-test",
        top_k=3,
    )


@pytest.fixture
def tiny_golden():
    from replaylab.stack.corpus import load_golden

    return load_golden(TINY_GOLDEN)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An empty project folder as the current directory, with its own workspace and a fresh stack."""
    from replaylab.cli._common import get_stack

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("REPLAYLAB_PROJECT", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_stack.cache_clear()
    yield tmp_path
    get_stack.cache_clear()
