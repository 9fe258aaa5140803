"""Where replaylab keeps what it builds: caches, index snapshots, prompt versions, batches.

The workspace root is `$REPLAYLAB_HOME`, else `.replaylab/` in the current directory. Bundled
data (corpus, golden set, prompts) ships inside the package and is read-only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
BUNDLED_CORPUS = PACKAGE_DATA / "corpus" / "documents.jsonl"
BUNDLED_GOLDEN = PACKAGE_DATA / "corpus" / "golden.jsonl"
BUNDLED_PROMPTS = PACKAGE_DATA / "prompts"


@dataclass(frozen=True)
class Workspace:
    """The folder replaylab writes to; every path it uses is named here."""

    root: Path

    @classmethod
    def default(cls) -> Workspace:
        env = os.environ.get("REPLAYLAB_HOME")
        return cls(Path(env) if env else Path.cwd() / ".replaylab")

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def batches(self) -> Path:
        return self.root / "batches"

    @property
    def prompts(self) -> Path:
        return self.root / "prompts"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def runs(self) -> Path:
        return self.root / "runs"
