"""Seed vectors: embeddings shipped next to a corpus, so a cold workspace embeds only what they lack.

A seed file is an `.npz` holding a JSON header (`SeedHeader`), the sha256 keys of the embedded
texts and their float32 vectors. It is used only for the embedder it names and only while that
embedder's weights fingerprint (`Embedder.fingerprint`) is the one it was written with: new
weights, a layer cut or another model never read stale vectors. The bundled corpus ships one for
MiniLM (`replaylab/data/vectors/`, rebuilt by `make vectors`); a team ships its own with
`replaylab vectors export` and loads it into a workspace with `replaylab vectors import`.
`REPLAYLAB_SEED_VECTORS=0` turns the bundled seeds off (a cold run that embeds everything).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.errors import InputError
from replaylab.files import atomic_write_bytes, read_input_bytes
from replaylab.workspace import PACKAGE_DATA

if TYPE_CHECKING:
    from replaylab.stack.embedders import Embedder, Vectors

BUNDLED_SEEDS = PACKAGE_DATA / "vectors"
"""Seed files shipped in the package (one per embedder, for the bundled corpus)."""


class SeedVectorsError(InputError):
    """A seed-vector file that cannot be read or does not fit the embedder."""


class SeedHeader(BaseModel):
    """What a seed-vector file holds and which weights produced it."""

    model_config = ConfigDict(extra="forbid")

    format: int = 1
    """Version of the seed-file layout; this replaylab reads 1."""
    embedder: str
    """Embedder id the vectors were computed with."""
    fingerprint: str
    """`Embedder.fingerprint()` of the weights at export time; vectors are ignored when it differs."""
    dim: int
    """Vector dimension."""
    count: int
    """Number of vectors (and keys) in the file."""
    source: str = ""
    """Free text: what was embedded (for example the corpus file)."""


def text_key(text: str) -> str:
    """The cache key of a text: sha256 of its UTF-8 bytes, hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def seeds_enabled() -> bool:
    """False when `REPLAYLAB_SEED_VECTORS=0` asks for a run that embeds everything itself."""
    return os.environ.get("REPLAYLAB_SEED_VECTORS", "1") not in {"0", "false", "no"}


def write_seed(path: Path, *, embedder: Embedder, texts: Iterable[str], vectors: Vectors, source: str = "") -> SeedHeader:
    """Write `texts`' vectors as a seed file (atomically); duplicate texts are stored once."""
    fp = embedder.fingerprint()
    if fp is None:
        raise SeedVectorsError(f"embedder {embedder.id!r} has no weights fingerprint; its vectors cannot be seeded")
    keys: dict[str, int] = {}
    for i, t in enumerate(texts):
        keys.setdefault(text_key(t), i)
    rows = np.asarray(vectors, dtype=np.float32)[list(keys.values())]
    header = SeedHeader(embedder=embedder.id, fingerprint=fp, dim=int(rows.shape[1]), count=len(keys), source=source)
    buf = io.BytesIO()
    np.savez(buf, header=np.array(header.model_dump_json()), keys=np.array([k.encode() for k in keys], dtype="S64"), vectors=rows)
    atomic_write_bytes(path, buf.getvalue())
    return header


def read_seed(path: Path) -> tuple[SeedHeader, dict[str, int], Vectors]:
    """Header, key -> row, and vectors of a seed file; one clear error for anything else."""
    data = read_input_bytes(path, what="seed-vector file", error=SeedVectorsError)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = SeedHeader.model_validate(json.loads(str(z["header"])))
            keys = [k.decode() if isinstance(k, bytes) else str(k) for k in z["keys"].tolist()]
            vectors = np.asarray(z["vectors"], dtype=np.float32)
    except (ValueError, KeyError, OSError, EOFError, ValidationError, zipfile.BadZipFile) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SeedVectorsError(f"{path} is not a replaylab seed-vector file: {first}") from None
    if header.format != 1:
        raise SeedVectorsError(f"{path} has seed format {header.format}; this replaylab reads 1")
    if vectors.shape != (header.count, header.dim) or len(keys) != header.count:
        held = f"{vectors.shape} and {len(keys)} keys"
        raise SeedVectorsError(f"{path}: header says {header.count}x{header.dim}, file holds {held}")
    return header, {k: i for i, k in enumerate(keys)}, vectors


@lru_cache(maxsize=8)
def _bundled(path: Path, mtime_ns: int) -> tuple[SeedHeader, dict[str, int], Vectors] | None:
    try:
        return read_seed(path)
    except SeedVectorsError:
        return None  # a damaged bundled seed only costs speed: everything is embedded


def bundled_seeds(embedder: Embedder) -> list[tuple[dict[str, int], Vectors]]:
    """The shipped seed files that fit `embedder` (same id, same weights fingerprint)."""
    if not seeds_enabled() or not BUNDLED_SEEDS.is_dir():
        return []
    files = sorted(BUNDLED_SEEDS.glob(f"{embedder.id}*.npz"))
    if not files:
        return []
    fp = embedder.fingerprint()
    out = []
    for f in files:
        seed = _bundled(f, f.stat().st_mtime_ns)
        if seed is not None and seed[0].embedder == embedder.id and seed[0].fingerprint == fp:
            out.append((seed[1], seed[2]))
    return out


def seeded_vectors(embedder: Embedder, keys: Sequence[str]) -> dict[str, bytes]:
    """Vectors the bundled seeds hold for `keys`, as the cache stores them (float32 bytes)."""
    found: dict[str, bytes] = {}
    for index, vectors in bundled_seeds(embedder):
        for k in keys:
            row = index.get(k)
            if row is not None and k not in found:
                found[k] = vectors[row].tobytes()
    return found


def check_fits(header: SeedHeader, embedder: Embedder, path: Path) -> None:
    """Refuse a seed file written by other weights than `embedder`'s."""
    if header.embedder != embedder.id:
        raise SeedVectorsError(f"{path} holds vectors of embedder {header.embedder!r}, not {embedder.id!r}")
    if header.dim != embedder.dim:
        raise SeedVectorsError(f"{path} holds {header.dim}-dimensional vectors; {embedder.id} makes {embedder.dim}")
    if header.fingerprint != embedder.fingerprint():
        raise SeedVectorsError(
            f"{path} was written with other weights of {embedder.id} (fingerprint {header.fingerprint}, "
            f"installed {embedder.fingerprint()}); re-export it"
        )
