"""The on-disk embedding cache: vectors keyed by (embedder id, sha256 of text), seeded on a miss."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from replaylab.stack.embedders import Embedder, Vectors
from replaylab.stack.seed_vectors import check_fits, read_seed, seeded_vectors, text_key


class EmbeddingCache:
    """Vectors on disk keyed by (embedder id, sha256 of text): a warm run re-embeds nothing, a cold one
    only what no fitting seed file holds."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (embedder TEXT, key TEXT, v BLOB, PRIMARY KEY (embedder, key))")
        self.hits = 0
        self.misses = 0
        self.seeded = 0
        """Texts whose vectors came from a seed file on this cache's misses."""

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        """Embed `texts`, computing only the ones neither cached nor in a fitting seed file."""
        keys = [text_key(t) for t in texts]
        found = self._lookup(embedder.id, keys)
        self.hits += sum(1 for k in keys if k in found)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        seeded = seeded_vectors(embedder, missing) if missing else {}
        if seeded:
            self._store(embedder.id, seeded)
            found.update(seeded)
            self.seeded += len(seeded)
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.misses += len(todo)
        if todo:
            vecs = embedder.encode([texts[i] for i in todo])
            fresh = {keys[i]: vecs[j].tobytes() for j, i in enumerate(todo)}
            self._store(embedder.id, fresh)
            found.update(fresh)
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = np.frombuffer(found[k], dtype=np.float32)
        return out

    def import_seed(self, path: Path, embedder: Embedder) -> int:
        """Load a seed-vector file written for `embedder`'s weights into the cache; the rows added."""
        header, index, vectors = read_seed(path)
        check_fits(header, embedder, path)
        have = self._lookup(embedder.id, list(index))
        new = {k: vectors[row].tobytes() for k, row in index.items() if k not in have}
        self._store(embedder.id, new)
        return len(new)

    def _lookup(self, embedder_id: str, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, v FROM vec WHERE embedder=? AND key IN ({marks})", [embedder_id, *part]
                ).fetchall()
                found.update(rows)
        return found

    def _store(self, embedder_id: str, rows: dict[str, bytes]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?, ?)", [(embedder_id, k, v) for k, v in rows.items()])
