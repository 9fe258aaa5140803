"""Seed vectors: used only for the embedder and weights they were written with; bad files are one clear line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from replaylab.stack import seed_vectors
from replaylab.stack.embedders import HashingEmbedder, Vectors
from replaylab.stack.embedding_cache import EmbeddingCache
from replaylab.stack.seed_vectors import SeedVectorsError, read_seed, write_seed

TEXTS = ["the grace period is 16 days", "SSO needs the Business plan", "exports run nightly"]


class CountingEmbedder(HashingEmbedder):
    """The hashing stand-in with a weights fingerprint, counting the texts it really embeds."""

    id = "hashing-test"
    weights = "w1"
    embedded: list[str] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        type(self).embedded.extend(texts)
        return super().encode(texts)

    def fingerprint(self) -> str | None:
        return self.weights


@pytest.fixture
def seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bundled"
    folder.mkdir()
    monkeypatch.setattr(seed_vectors, "BUNDLED_SEEDS", folder)
    monkeypatch.delenv("REPLAYLAB_SEED_VECTORS", raising=False)
    CountingEmbedder.embedded = []
    return folder


def _seed(folder: Path, emb: CountingEmbedder) -> Path:
    path = folder / "hashing-test.npz"
    write_seed(path, embedder=emb, texts=TEXTS, vectors=HashingEmbedder().encode(TEXTS))
    CountingEmbedder.embedded = []
    return path


def test_a_cold_cache_takes_fitting_seed_vectors_and_embeds_only_the_rest(seeds: Path, tmp_path: Path) -> None:
    emb = CountingEmbedder()
    _seed(seeds, emb)
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    out = cache.encode(emb, [*TEXTS, "a question nobody seeded"])
    assert CountingEmbedder.embedded == ["a question nobody seeded"]
    assert (cache.seeded, cache.misses) == (3, 1)
    np.testing.assert_array_equal(out[:3], HashingEmbedder().encode(TEXTS))
    cache.encode(emb, TEXTS)  # now in the cache itself
    assert cache.hits == 3 and cache.seeded == 3


def test_seed_vectors_of_other_weights_are_never_used(seeds: Path, tmp_path: Path) -> None:
    _seed(seeds, CountingEmbedder())
    other = CountingEmbedder()
    other.weights = "w2"  # the model package was upgraded
    EmbeddingCache(tmp_path / "c.sqlite").encode(other, TEXTS)
    assert CountingEmbedder.embedded == TEXTS


def test_seeds_off_embeds_everything(seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(seeds, CountingEmbedder())
    monkeypatch.setenv("REPLAYLAB_SEED_VECTORS", "0")
    EmbeddingCache(tmp_path / "c.sqlite").encode(CountingEmbedder(), TEXTS)
    assert CountingEmbedder.embedded == TEXTS


def test_an_embedder_without_a_fingerprint_cannot_be_seeded(tmp_path: Path) -> None:
    with pytest.raises(SeedVectorsError, match="no weights fingerprint"):
        write_seed(tmp_path / "x.npz", embedder=HashingEmbedder(), texts=TEXTS, vectors=HashingEmbedder().encode(TEXTS))


def test_a_damaged_bundled_seed_only_costs_speed(seeds: Path, tmp_path: Path) -> None:
    (seeds / "hashing-test.npz").write_bytes(b"PK\x03\x04 not really a zip")
    out = EmbeddingCache(tmp_path / "c.sqlite").encode(CountingEmbedder(), TEXTS)
    assert CountingEmbedder.embedded == TEXTS and out.shape == (3, 384)


@pytest.mark.parametrize("data", [b"", b"junk", b"PK\x03\x04junk"])
def test_reading_junk_is_one_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(data)
    with pytest.raises(SeedVectorsError) as err:
        read_seed(path)
    assert "\n" not in str(err.value)


def test_import_loads_a_fitting_file_and_refuses_other_weights(seeds: Path, tmp_path: Path) -> None:
    path = _seed(tmp_path, CountingEmbedder())
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    assert cache.import_seed(path, CountingEmbedder()) == 3
    assert cache.import_seed(path, CountingEmbedder()) == 0  # already there
    other = CountingEmbedder()
    other.weights = "w2"
    with pytest.raises(SeedVectorsError, match="other weights"):
        cache.import_seed(path, other)


def test_vectors_import_of_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, workspace: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from replaylab.cli import main

    bad = tmp_path / "bad.npz"
    bad.write_text("not numpy")
    monkeypatch.setattr(sys, "argv", ["replaylab", "vectors", "import", str(bad)])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("replaylab: error:") and "not a replaylab seed-vector file" in err
    assert err.strip().count("\n") == 0
