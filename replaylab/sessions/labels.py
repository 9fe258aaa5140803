"""Label propagation as configuration: readers poll the labels file, no restart, no deploy.

A writer moves a label with `PromptRegistry.move_label` (an atomic rename of `label-state.json`, which
holds the labels and their history). Each reader process holds a `LabelStore`: a cached view of that file that it
re-reads at most once per `poll_interval_s`. The poll interval is the propagation budget:
a new session sees a moved label within one interval (plus the write itself).

The poll reads the file's content rather than trusting its stat: `label-state.json` is a few
kilobytes, and two moves inside one coarse mtime tick (ext4 stamps at kernel-tick
granularity, and a renamed-in inode number can be reused) would look unchanged to stat.
`measure_propagation` times the delay from `move_label` to a new session seeing the move,
on a real file, in a temporary copy of the prompt registry.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from replaylab.errors import ConfigError
from replaylab.stack.prompts import LABEL_STATE, LabelMove, PromptRegistry
from replaylab.workspace import Workspace


class LabelStore:
    """A reader's view of the prompt labels, refreshed by polling the labels file."""

    def __init__(
        self, registry: PromptRegistry, *, poll_interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if poll_interval_s < 0:
            raise ConfigError(f"Label poll interval must be >= 0 seconds, not {poll_interval_s}")
        self.registry = registry
        self.path = registry.root / LABEL_STATE
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.version = 0
        """How many changes of the labels file this reader has observed."""
        self.polls = 0
        self._raw = b""
        self._labels: dict[str, dict[str, int]] = {}
        self._polled_at: float | None = None
        self.poll(force=True)

    def poll(self, *, force: bool = False) -> bool:
        """Re-read the labels file if the poll interval has elapsed; True when it changed."""
        now = self.clock()
        if not force and self._polled_at is not None and now - self._polled_at < self.poll_interval_s:
            return False
        self._polled_at = now
        self.polls += 1
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"Cannot read prompt labels {self.path}: {exc.strerror or exc}") from None
        if raw == self._raw:
            return False
        try:
            labels = json.loads(raw)["labels"]
        except json.JSONDecodeError as exc:
            raise ConfigError(f"Prompt labels {self.path} are not valid JSON (line {exc.lineno})") from None
        except (KeyError, TypeError):
            raise ConfigError(f"Prompt labels {self.path} hold no `labels` mapping") from None
        self._raw, self._labels = raw, labels
        self.version += 1
        return True

    def labels(self) -> dict[str, dict[str, int]]:
        """Every template's labels as this reader currently sees them."""
        self.poll()
        return {t: dict(ls) for t, ls in self._labels.items()}

    def get(self, template: str, label: str) -> int | None:
        """The version `template:label` points at for this reader, or None."""
        self.poll()
        return self._labels.get(template, {}).get(label)

    def resolve(self, template: str, label: str) -> str:
        """`template@version` for the label, or ConfigError naming the labels that exist."""
        version = self.get(template, label)
        if version is None:
            raise ConfigError(f"Prompt label {template}:{label} does not exist. Labels: {self._labels.get(template, {})}")
        return f"{template}@{version}"

    def move(self, *, template: str, label: str, version: int) -> LabelMove:
        """Move a label (the writer side). Readers, this one included, see it on their next poll."""
        return self.registry.move_label(template=template, label=label, version=version)


class PropagationReport(BaseModel):
    """How long a moved label took to reach a new session, measured on a real file."""

    poll_interval_ms: float
    new_session_every_ms: float
    """How often the measuring reader opened a new session (resolved the label)."""
    trials: int
    samples_ms: list[float]
    """One delay per move: from calling `move_label` to the first new session seeing it."""
    p50_ms: float
    max_ms: float
    missed: int = 0
    """Moves no session saw within the timeout (ten poll intervals plus one second)."""
    file: str = "label-state.json in a temporary copy of the prompt registry"


class _NewSessions:
    """The reader side: a new session every `every_s` resolves the label; notes when it first sees `want`."""

    def __init__(self, store: LabelStore, template: str, label: str, *, want: int, every_s: float) -> None:
        self.store, self.template, self.label, self.every_s = store, template, label, every_s
        self.want = want
        self.seen_at = 0.0
        self.seen = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.is_set():
            version = self.store.get(self.template, self.label)  # a new session resolves the label
            with self.lock:
                if version == self.want and not self.seen.is_set():
                    self.seen_at = time.perf_counter()
                    self.seen.set()
            time.sleep(self.every_s)

    def expect(self, version: int) -> None:
        """Watch for `version` from now on."""
        with self.lock:
            self.want = version
            self.seen.clear()

    def wait(self, *, timeout: float) -> float | None:
        """When a session first saw the expected version, or None if none did within `timeout`."""
        return self.seen_at if self.seen.wait(timeout=timeout) else None


def measure_propagation(
    *,
    poll_interval_s: float = 0.05,
    trials: int = 5,
    new_session_every_s: float = 0.001,
    template: str = "rag-answer",
    label: str = "production",
    folder: Path | None = None,
) -> PropagationReport:
    """Move `template:label` back and forth `trials` times and time when a polling reader sees it.

    A reader thread opens a new session every `new_session_every_s` (resolves the label
    through a `LabelStore` polling every `poll_interval_s`); the writer moves the label at
    staggered offsets within the poll cycle, so the samples cover its phase. The registry is
    a temporary copy (under `folder` if given): a real workspace's labels are never touched.
    """
    if trials < 1:
        raise ConfigError("measure_propagation needs at least one trial")
    with tempfile.TemporaryDirectory(prefix="replaylab-labels-", dir=folder) as tmp:
        registry = PromptRegistry(Workspace(Path(tmp)))
        start = registry.labels().get(template, {}).get(label)
        versions = [v.version for v in registry.versions(template)]
        others = [v for v in versions if v != start]
        if start is None or not others:
            raise ConfigError(f"Label {template}:{label} needs a second version to move to")
        store = LabelStore(registry, poll_interval_s=poll_interval_s, clock=time.perf_counter)
        watcher = _NewSessions(store, template, label, want=start, every_s=new_session_every_s)
        reader = threading.Thread(target=watcher.run, name="label-reader", daemon=True)
        reader.start()
        samples: list[float] = []
        missed = 0
        try:
            for n in range(trials):
                target = others[0] if n % 2 == 0 else start
                time.sleep(poll_interval_s * ((0.13 + 0.37 * n) % 1.0))  # stagger the phase
                watcher.expect(target)
                moved_at = time.perf_counter()
                registry.move_label(template=template, label=label, version=target)
                seen_at = watcher.wait(timeout=poll_interval_s * 10 + 1.0)
                if seen_at is not None:
                    samples.append(round((seen_at - moved_at) * 1000, 3))
                else:
                    missed += 1
        finally:
            watcher.stop.set()
            reader.join(timeout=5.0)
    return PropagationReport(
        poll_interval_ms=poll_interval_s * 1000,
        new_session_every_ms=new_session_every_s * 1000,
        trials=trials,
        samples_ms=samples,
        p50_ms=round(statistics.median(samples), 3) if samples else float("nan"),
        max_ms=max(samples) if samples else float("nan"),
        missed=missed,
    )
