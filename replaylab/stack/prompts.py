"""Immutable prompt versions and movable labels.

A version (`rag-answer@3`) is written once and never changed; a label (`production`,
`canary`, any name) points at a version and moves. Moving `production` back is the
rollback: a configuration change, no code change. The workspace is seeded with the bundled
versions on first use.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.errors import ConfigError
from replaylab.files import atomic_write_json, atomic_write_text
from replaylab.workspace import BUNDLED_PROMPTS, Workspace

CHUNK_FORMAT = "[{n}] ({source}, ingested {ingested_at}) {title}: {text}"


class PromptVersion(BaseModel):
    """One immutable prompt version: system rules and a user template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str
    version: int
    system: str
    user: str
    """Must contain `{context}` and `{question}`."""
    note: str = ""
    created_at: str = ""

    @property
    def id(self) -> str:
        return f"{self.template}@{self.version}"


class LabelMove(BaseModel):
    template: str
    label: str
    version: int
    previous: int | None
    at: str


def parse_prompt_id(pid: str) -> tuple[str, str]:
    """Split `template@version` or `template:label` into its two parts."""
    for sep in ("@", ":"):
        if sep in pid:
            a, b = pid.split(sep, 1)
            if a and b:
                return a, b
    raise ConfigError(f"Prompt {pid!r} is not 'template@version' or 'template:label'")


class PromptRegistry:
    """Prompt versions and labels stored in the workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.root = ws.prompts
        self._versions: dict[Path, PromptVersion] = {}
        if not (self.root / "labels.json").exists():
            self._seed()

    def _seed(self) -> None:
        for path in sorted(BUNDLED_PROMPTS.glob("*@*.json")):
            pv = PromptVersion.model_validate_json(path.read_text())
            dest = self.root / pv.template / f"{pv.version}.json"
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
        history = BUNDLED_PROMPTS / "label-history.json"
        if history.exists():
            atomic_write_text(self.root / "label-history.json", history.read_text())
        atomic_write_text(self.root / "labels.json", (BUNDLED_PROMPTS / "labels.json").read_text())

    def labels(self) -> dict[str, dict[str, int]]:
        data: dict[str, dict[str, int]] = json.loads((self.root / "labels.json").read_text())
        return data

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
        labels = self.labels()
        previous = labels.get(template, {}).get(label)
        labels.setdefault(template, {})[label] = version
        move = LabelMove(
            template=template,
            label=label,
            version=version,
            previous=previous,
            at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        atomic_write_json(self.root / "label-history.json", [m.model_dump() for m in [*self.history(), move]])
        atomic_write_json(self.root / "labels.json", labels)
        return move

    def delete_label(self, *, template: str, label: str) -> int | None:
        """Remove `label` (a killed canary flag); returns the version it pointed at."""
        labels = self.labels()
        previous = labels.get(template, {}).pop(label, None)
        if previous is not None:
            atomic_write_json(self.root / "labels.json", labels)
        return previous

    def history(self) -> list[LabelMove]:
        """Every label move, oldest first."""
        path = self.root / "label-history.json"
        if not path.exists():
            return []
        try:
            return [LabelMove.model_validate(m) for m in json.loads(path.read_text())]
        except (OSError, ValueError, ValidationError) as exc:
            raise ConfigError(f"Label history {path} is unreadable: {str(exc).splitlines()[0]}") from None

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
