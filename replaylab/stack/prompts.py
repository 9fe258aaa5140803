"""Immutable prompt versions and movable labels.

A version (`rag-answer@3`) is written once and never changed; a label (`production`,
`canary`, any name) points at a version and moves. Moving `production` back is the
rollback: a configuration change, no code change. The workspace is seeded with the bundled
versions on first use.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.errors import ConfigError
from replaylab.files import atomic_write_json, atomic_write_text
from replaylab.workspace import BUNDLED_PROMPTS, Workspace

CHUNK_FORMAT = "[{n}] ({source}, ingested {ingested_at}) {title}: {text}"


class PromptVersion(BaseModel):
    """One immutable prompt version: system rules and a user template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str
    """Template name, e.g. `rag-answer`: lower-case letters, digits, `-` and `_`."""
    version: int
    """Version number within the template, from 1 and counting up; the id is `template@version`."""
    system: str
    """The system message: the rules the generator answers by."""
    user: str
    """Must contain `{context}` and `{question}`."""
    note: str = ""
    """Free-text note on what changed in this version (empty: none)."""
    created_at: str = ""
    """When the version was written, ISO 8601 UTC (empty: unknown, e.g. a hand-written file)."""

    @property
    def id(self) -> str:
        return f"{self.template}@{self.version}"


class LabelMove(BaseModel):
    """One move of a label, as kept in the label history."""

    template: str
    """Template name the label belongs to, e.g. `rag-answer`."""
    label: str
    """The label that moved, e.g. `production` or `canary`."""
    version: int
    """The version the label points at after the move."""
    previous: int | None
    """The version the label pointed at before (None: the label is new)."""
    at: str
    """When, ISO 8601 UTC."""


LABEL_STATE = "label-state.json"
"""The one file holding the labels and their history, so the two never disagree."""
_THREAD_LOCK = threading.RLock()


class LabelState(BaseModel):
    """Labels and their history in one file, written atomically under a lock."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    labels: dict[str, dict[str, int]] = {}
    """template -> label -> version."""
    history: list[LabelMove] = []
    """Every label move, oldest first."""


_KILL_HITS: dict[str, int] = {}


def kill_point(name: str) -> None:
    """Test seam: SIGKILL this process at the named point when `REPLAYLAB_TEST_KILL_AT` names it,
    as `POINT` (first hit) or `POINT#N` (N-th hit). Used by tests/integration/test_kill9.py; unset,
    it costs one environment lookup. Points: `label-move:before-write`, `label-move:after-write`."""
    want = os.environ.get("REPLAYLAB_TEST_KILL_AT")
    if not want or not want.startswith(name):
        return
    _KILL_HITS[name] = _KILL_HITS.get(name, 0) + 1
    point, _, nth = want.partition("#")
    if point == name and _KILL_HITS[name] == (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)


_TEMPLATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")


def parse_prompt_id(pid: str) -> tuple[str, str]:
    """Split `template@version` or `template:label` into its two parts. Both name files in the
    workspace, so a template is letters, digits, `-`, `_` and single dots (never a path), a
    version is a number and a label a plain name."""
    for sep in ("@", ":"):
        if sep in pid:
            a, b = pid.split(sep, 1)
            if a and b:
                if not _TEMPLATE.fullmatch(a) or len(a) > 80:
                    raise ConfigError(f"Prompt {pid!r}: template {a!r} must be letters, digits, '-', '_' or '.' (not a path)")
                if sep == "@" and not b.isdigit():
                    raise ConfigError(f"Prompt {pid!r}: version {b!r} is not a number")
                if sep == ":" and not _TEMPLATE.fullmatch(b):
                    raise ConfigError(f"Prompt {pid!r}: label {b!r} must be letters, digits, '-', '_' or '.'")
                return a, b
    raise ConfigError(f"Prompt {pid!r} is not 'template@version' or 'template:label'")


class PromptRegistry:
    """Prompt versions and labels stored in the workspace."""

    def __init__(self, ws: Workspace | None, *, root: Path | None = None) -> None:
        self.root = root or (ws or Workspace.default()).prompts
        self._versions: dict[Path, PromptVersion] = {}
        if not (self.root / LABEL_STATE).exists():
            with self._locked():
                if not (self.root / LABEL_STATE).exists():
                    self._seed()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise label moves across threads and processes (an fcntl lock on a side file)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(self.root / ".labels.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _state(self) -> LabelState:
        path = self.root / LABEL_STATE
        try:
            return LabelState.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Prompt labels {path} are unreadable: {str(exc).splitlines()[0]}") from None

    def _write_state(self, state: LabelState) -> None:
        """The one atomic write of a label change; `labels.json` is a mirror for readers of the old layout."""
        kill_point("label-move:before-write")
        atomic_write_text(self.root / LABEL_STATE, state.model_dump_json(indent=2) + "\n")
        kill_point("label-move:after-write")
        atomic_write_json(self.root / "labels.json", state.labels)

    def _seed(self) -> None:
        for path in sorted(BUNDLED_PROMPTS.glob("*@*.json")):
            pv = PromptVersion.model_validate_json(path.read_text())
            dest = self.root / pv.template / f"{pv.version}.json"
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
        # migration: a workspace written before label-state.json keeps its own labels and history
        src = self.root if (self.root / "labels.json").exists() else BUNDLED_PROMPTS
        try:
            labels = json.loads((src / "labels.json").read_text())
            old = src / "label-history.json"
            moves = json.loads(old.read_text()) if old.exists() else []
            state = LabelState(labels=labels, history=[LabelMove.model_validate(m) for m in moves])
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Prompt labels in {src} are unreadable: {str(exc).splitlines()[0]}") from None
        atomic_write_text(self.root / LABEL_STATE, state.model_dump_json(indent=2) + "\n")
        atomic_write_json(self.root / "labels.json", state.labels)
        (self.root / "label-history.json").unlink(missing_ok=True)

    def scratch_copy(self) -> PromptRegistry:
        """A private copy of this registry (versions, labels, history) for a drill to move labels in:
        the real labels are never touched, even when the drill is killed. The copy lives under the
        workspace's `.scratch/` folder and is removed when the registry object is collected."""
        base = self.root.parent / ".scratch"
        base.mkdir(parents=True, exist_ok=True)
        dest = Path(tempfile.mkdtemp(prefix="drill-prompts-", dir=base))
        with self._locked():
            shutil.copytree(self.root, dest / "prompts", ignore=shutil.ignore_patterns(".labels.lock", ".*.tmp"))
        copy = PromptRegistry(None, root=dest / "prompts")
        weakref.finalize(copy, shutil.rmtree, dest, True)
        return copy

    def labels(self) -> dict[str, dict[str, int]]:
        return {t: dict(ls) for t, ls in self._state().labels.items()}

    def versions(self, template: str) -> list[PromptVersion]:
        """Every version of `template`, oldest first."""
        out = [self._read(p) for p in (self.root / template).glob("*.json")]
        return sorted(out, key=lambda v: v.version)

    def templates(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def _read(self, path: Path) -> PromptVersion:
        """A version file, read once per registry: versions are written once and never change."""
        if path not in self._versions:
            try:
                self._versions[path] = PromptVersion.model_validate_json(path.read_text())
            except (OSError, ValidationError) as exc:
                raise ConfigError(f"Prompt file {path} is unreadable: {str(exc).splitlines()[0]}") from None
        return self._versions[path]

    def resolve(self, pid: str) -> PromptVersion:
        """The version named by `template@N` or `template:label`."""
        template, ref = parse_prompt_id(pid)
        if "@" not in pid:
            version = self.labels().get(template, {}).get(ref)
            if version is None:
                raise ConfigError(f"Prompt label {pid!r} does not exist. Labels: {self.labels().get(template, {})}")
            ref = str(version)
        path = self.root / template / f"{ref}.json"
        if not path.exists():
            known = [v.id for v in self.versions(template)] if (self.root / template).exists() else []
            raise ConfigError(f"Prompt version {template}@{ref} does not exist. Known: {known}")
        return self._read(path)

    def create(self, *, template: str, system: str, user: str, note: str = "") -> PromptVersion:
        """Write a new version (the next number); existing versions are never touched."""
        if "{context}" not in user or "{question}" not in user:
            raise ConfigError("A prompt's user template must contain {context} and {question}")
        existing = self.versions(template) if (self.root / template).exists() else []
        pv = PromptVersion(
            template=template,
            version=(existing[-1].version + 1) if existing else 1,
            system=system,
            user=user,
            note=note,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        atomic_write_text(self.root / template / f"{pv.version}.json", pv.model_dump_json(indent=2))
        return pv

    def add_version(self, *, template: str, system: str, user: str, note: str = "", label: str | None = None) -> PromptVersion:
        """Store a version (an identical one already stored is reused: versions are immutable and
        content decides identity); `label`, if given, is moved to it."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-_]*", template):
            raise ConfigError(f"Prompt template name {template!r}: use lower-case letters, digits, '-' and '_'")
        existing = self.versions(template) if (self.root / template).exists() else []
        pv = next((v for v in existing if v.system == system and v.user == user), None)
        if pv is None:
            pv = self.create(template=template, system=system, user=user, note=note)
        if label is not None and self.labels().get(template, {}).get(label) != pv.version:
            self.move_label(template=template, label=label, version=pv.version)
        return pv

    def move_label(self, *, template: str, label: str, version: int) -> LabelMove:
        """Point `label` at `version`; returns the move (with the previous version) for the journal."""
        self.resolve(f"{template}@{version}")
        with self._locked():
            state = self._state()
            previous = state.labels.get(template, {}).get(label)
            state.labels.setdefault(template, {})[label] = version
            move = LabelMove(
                template=template,
                label=label,
                version=version,
                previous=previous,
                at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )
            state.history.append(move)
            self._write_state(state)
        return move

    def delete_label(self, *, template: str, label: str) -> int | None:
        """Remove `label` (a killed canary flag); returns the version it pointed at."""
        with self._locked():
            state = self._state()
            previous = state.labels.get(template, {}).pop(label, None)
            if previous is not None:
                self._write_state(state)
        return previous

    def history(self) -> list[LabelMove]:
        """Every label move, oldest first."""
        return list(self._state().history)

    def label_as_of(self, template: str, label: str, when: date) -> int | None:
        """The version `template:label` pointed at at the end of day `when`."""
        version = None
        for move in self.history():
            if move.template == template and move.label == label and move.at[:10] <= when.isoformat():
                version = move.version
        return version


def sync_prompts(reg: PromptRegistry, templates: Sequence[tuple[str, str, str, str]]) -> dict[str, str]:
    """Store a project's prompt templates `(template, system, user, label)`; returns template -> version id.

    A template whose text is not stored yet becomes a new version and its label moves to it (the
    project file declares it); text already stored is reused and labels are left where they are.
    """
    out: dict[str, str] = {}
    for template, system, user, label in templates:
        known = reg.versions(template) if (reg.root / template).exists() else []
        match = next((v for v in known if v.system == system and v.user == user), None)
        has_label = label in reg.labels().get(template, {})
        pv = match or reg.add_version(template=template, system=system, user=user, note="from replaylab.yaml")
        if match is None or not has_label:
            reg.move_label(template=template, label=label, version=pv.version)
        out[template] = pv.id
    return out
