"""Immutable, content-addressed FAISS index snapshots with a manifest.

A snapshot's id is a hash of its embedder id, chunking, index kind and every chunk's id and
text; the manifest records the build time, dimension, metric and each chunk's provenance
(document id, source, ingestion date). Snapshots are written to a temporary folder and
renamed into place, and the index file's checksum is verified on load.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from pydantic import BaseModel, ValidationError

from replaylab.config import ChunkingSpec, IndexKind
from replaylab.errors import SnapshotError
from replaylab.files import atomic_write_bytes, canonical_json
from replaylab.stack.chunker import Chunk
from replaylab.stack.embedders import Vectors


class Manifest(BaseModel):
    """What a snapshot holds and how it was built."""

    version: int = 1
    """Manifest format version."""
    snapshot_id: str
    """Snapshot id, derived from the embedder, chunking, index kind and chunks."""
    embedder: str
    """Id of the embedder that made the vectors."""
    dim: int
    """Embedding dimension."""
    metric: str = "inner_product"
    """FAISS similarity metric (always `inner_product`)."""
    kind: IndexKind
    """FAISS index kind: `flat`, `ivf` or `hnsw`."""
    chunking: ChunkingSpec
    """How the documents were split into chunks."""
    as_of: date | None
    """The corpus as-of date the snapshot was built at (None: the latest corpus)."""
    corpus_newest: date | None
    """The newest ingestion date among the documents indexed."""
    built_at: datetime
    """When the snapshot was built."""
    checksum: str
    """sha256 of index.faiss."""
    chunks: list[Chunk]
    """The indexed chunks, in FAISS row order."""


def snapshot_id(*, embedder: str, chunking: ChunkingSpec, kind: IndexKind, chunks: Sequence[Chunk]) -> str:
    """Content address of a snapshot: changes when any input changes."""
    h = hashlib.sha256()
    h.update(canonical_json({"embedder": embedder, "chunking": chunking.model_dump(), "kind": kind}).encode())
    for c in chunks:
        h.update(c.chunk_id.encode() + b"\0" + c.text.encode() + b"\0" + c.ingested_at.isoformat().encode() + b"\1")
    return "idx-" + h.hexdigest()[:16]


HNSW_M = 32
"""Graph degree of HNSW snapshots (memory ~ 4·2·M bytes a vector on top of the vectors)."""
HNSW_EF_CONSTRUCTION = 40
"""Build breadth (FAISS's default): 1M x 384 builds in 400 s on 2 cores (`make bench`); 64 took over 9 minutes."""


def ivf_nlist(n: int) -> int:
    """Inverted lists for `n` vectors: about 4·sqrt(n), with at least 39 training vectors a list."""
    return max(1, min(round(4 * math.sqrt(n)), n // 39))


def ivf_nprobe(nlist: int) -> int:
    """Lists an IVF search scans: enough for recall@10 >= 0.95 on clustered sentence embeddings
    (measured at 100k and 1M by `make bench`, replaylab.bench.faiss_scale), all of them for small indexes."""
    return min(nlist, max(16, math.ceil(nlist / 32)))


def hnsw_ef_search(n: int) -> int:
    """HNSW search breadth for `n` vectors: grows with log n. At 1M structured MiniLM-like vectors
    (`make bench`, M 32, efConstruction 40) this picks 100: recall@10 0.963 at 1.56 ms p50 (96: 0.96
    at 1.52 ms; 128: 0.97 at 2.04 ms)."""
    return max(64, min(256, 5 * math.ceil(math.log2(max(n, 2)))))


def tune_search(index: Any) -> Any:
    """Set the search-time parameters of a built or loaded index from its size."""
    if hasattr(index, "nprobe"):
        index.nprobe = ivf_nprobe(int(index.nlist))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = hnsw_ef_search(int(index.ntotal))
    return index


def _faiss_index(vectors: Vectors, kind: IndexKind) -> Any:
    n, dim = vectors.shape
    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    elif kind == "ivf" and n >= 64:
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, ivf_nlist(n), faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return tune_search(index)


@dataclass
class Snapshot:
    """A loaded snapshot: its FAISS index and its manifest."""

    manifest: Manifest
    index: faiss.Index

    @property
    def id(self) -> str:
        return self.manifest.snapshot_id

    def search(self, query: Vectors, k: int) -> list[tuple[Chunk, float]]:
        """The top-k chunks for one query vector, best first."""
        if query.shape[1] != self.manifest.dim:
            raise SnapshotError(
                f"Query embedder gives {query.shape[1]}-d vectors but index {self.id} holds "
                f"{self.manifest.dim}-d vectors from {self.manifest.embedder}: rebuild the index or use a "
                f"{self.manifest.dim}-d embedder"
            )
        k = min(k, self.index.ntotal)
        scores, ids = self.index.search(np.ascontiguousarray(query[:1], dtype=np.float32), k)
        return [(self.manifest.chunks[int(i)], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]


def build_snapshot(
    *,
    root: Path,
    embedder: str,
    chunking: ChunkingSpec,
    kind: IndexKind,
    chunks: Sequence[Chunk],
    vectors: Vectors,
    as_of: date | None,
) -> Snapshot:
    """Build (or reuse) the snapshot of these chunks and vectors under `root`."""
    sid = snapshot_id(embedder=embedder, chunking=chunking, kind=kind, chunks=chunks)
    final = root / sid
    if final.exists():
        return load_snapshot(root, sid)
    if len(chunks) == 0:
        raise SnapshotError("Cannot build an index over an empty corpus")
    index = _faiss_index(np.ascontiguousarray(vectors, dtype=np.float32), kind)
    blob = faiss.serialize_index(index).tobytes()
    manifest = Manifest(
        snapshot_id=sid,
        embedder=embedder,
        dim=int(vectors.shape[1]),
        kind=kind,
        chunking=chunking,
        as_of=as_of,
        corpus_newest=max((c.ingested_at for c in chunks), default=None),
        built_at=datetime.now(timezone.utc),
        checksum=hashlib.sha256(blob).hexdigest(),
        chunks=list(chunks),
    )
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{sid}.", dir=root))
    try:
        atomic_write_bytes(tmp / "index.faiss", blob)
        atomic_write_bytes(tmp / "manifest.json", manifest.model_dump_json(indent=1).encode())
        try:
            tmp.rename(final)
        except OSError:  # another process won the race; its snapshot has the same content
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Snapshot(manifest=manifest, index=index)


def load_snapshot(root: Path, sid: str) -> Snapshot:
    """Load snapshot `sid`, verifying its manifest and checksum."""
    folder = root / sid
    if not (folder / "manifest.json").exists():
        raise SnapshotError(f"Index snapshot {sid!r} is not in {root}")
    try:
        manifest = Manifest.model_validate(json.loads((folder / "manifest.json").read_text()))
        blob = (folder / "index.faiss").read_bytes()
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise SnapshotError(f"Index snapshot {sid!r} is corrupt: {str(exc).splitlines()[0]}") from None
    if hashlib.sha256(blob).hexdigest() != manifest.checksum:
        raise SnapshotError(f"Index snapshot {sid!r} is corrupt: index.faiss checksum does not match its manifest")
    index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
    if index.ntotal != len(manifest.chunks) or index.d != manifest.dim:
        raise SnapshotError(f"Index snapshot {sid!r} is corrupt: {index.ntotal} vectors for {len(manifest.chunks)} chunks")
    return Snapshot(manifest=manifest, index=tune_search(index))


def list_snapshots(root: Path) -> list[Manifest]:
    """Manifests of every snapshot under `root`, oldest corpus first."""
    out = []
    for path in sorted(root.glob("idx-*/manifest.json")):
        try:
            out.append(Manifest.model_validate(json.loads(path.read_text())))
        except (OSError, json.JSONDecodeError, ValidationError):
            continue
    return sorted(out, key=lambda m: (m.corpus_newest or date.min, m.built_at))
