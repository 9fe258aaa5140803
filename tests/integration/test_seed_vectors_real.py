"""The shipped seed vectors are real MiniLM output for the bundled corpus, and a cold bisect uses them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from replaylab.config import RunConfig
from replaylab.stack.corpus import load_golden
from replaylab.stack.embedders import MiniLM
from replaylab.stack.pipeline import Stack
from replaylab.stack.seed_export import corpus_texts
from replaylab.stack.seed_vectors import BUNDLED_SEEDS, read_seed, text_key
from replaylab.workspace import Workspace

pytestmark = pytest.mark.minilm
ROOT = Path(__file__).resolve().parents[2]
SEED = BUNDLED_SEEDS / "minilm-l6-v2.npz"


def test_the_seed_fits_the_installed_minilm_and_covers_every_corpus_version(tmp_path: Path) -> None:
    header, index, _ = read_seed(SEED)
    assert header.embedder == "minilm-l6-v2" and header.fingerprint == MiniLM().fingerprint(), "run make vectors"
    texts = corpus_texts(Stack(Workspace(tmp_path)), RunConfig())
    questions = [g.question for g in load_golden()]
    missing = [t for t in [*texts, *questions] if text_key(t) not in index]
    assert not missing, f"{len(missing)} texts of the bundled corpus/golden set are not seeded: run make vectors"


def test_seeded_vectors_are_what_minilm_computes_now(tmp_path: Path) -> None:
    _, index, vectors = read_seed(SEED)
    texts = corpus_texts(Stack(Workspace(tmp_path)), RunConfig())
    sample = [*texts[:: max(1, len(texts) // 6)][:6], load_golden()[0].question]
    live = MiniLM().encode(sample)
    seeded = np.stack([vectors[index[text_key(t)]] for t in sample])
    np.testing.assert_allclose(seeded, live, atol=2e-5)


def test_a_cold_bisect_of_the_bundled_trace_computes_no_embedding(tmp_path: Path) -> None:
    env = {**os.environ, "REPLAYLAB_HOME": str(tmp_path), "COLUMNS": "200"}
    env.pop("REPLAYLAB_EMBED_CACHE", None)  # its own empty cache: really cold
    env.pop("REPLAYLAB_SEED_VECTORS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "replaylab", "bisect", "cassettes/demo-reader/trace.json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "cause: index" in proc.stdout
    assert "from seed vectors, 0 computed" in proc.stdout and " 0 from seed vectors" not in proc.stdout
