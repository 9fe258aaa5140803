"""The `replaylab.yaml` model, how it is found and read, and what it yields for the stack."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from replaylab.config import ChunkingSpec, ContextOrder, CorpusSpec, IndexKind, IndexSpec, RunConfig, SamplingParams
from replaylab.errors import ConfigError, error_where
from replaylab.files import parse_yaml, read_input_text

PROJECT_FILE = "replaylab.yaml"
"""The project file every command looks for in the current directory."""
PROJECT_ENV = "REPLAYLAB_PROJECT"
"""Environment variable naming a project file elsewhere (it wins over ./replaylab.yaml)."""
SOURCE_SEPARATOR = " + "
"""Joins the paths of a multi-source corpus in `CorpusSpec.source`."""
SCHEMA_HINT = "# yaml-language-server: $schema=schemas/project.schema.json"

FieldMap = dict[str, str | None]
"""Your field name -> replaylab's field name; `null` drops the field (e.g. `notes: null`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorpusSource(_Strict):
    """Where your documents are and how their fields map onto replaylab's Document."""

    path: str
    """A folder of .md/.txt files (YAML front matter read for title, source, ingested_at) or a
    .jsonl file of one document per line; relative to the project file."""
    fields: FieldMap = {}
    """Rename your keys (jsonl columns or front-matter keys) to replaylab's: doc_id, title, source,
    topic, ingested_at, text. Example: `{id: doc_id, body: text, published: ingested_at}`."""
    source: str | None = None
    """The source name of a document that names none (default: its sub-folder, else the corpus folder's name)."""
    ingested_at: date | None = None
    """The ingestion date of a document that gives none (default: the file's modification date)."""
    id_prefix: str = ""
    """Prepended to every document id of this source (keeps two sources' ids apart, e.g. `faq/`)."""


class EmbedderSource(_Strict):
    """A sentence-transformers model of your own, registered as an embedder under `name`."""

    name: str = Field(pattern=r"^[A-Za-z0-9][\w.\-]*$")
    """The embedder id to use in `embedder:` and in `--set embedder=...`."""
    path: str | None = None
    """Folder of the model on disk (relative to the project file)."""
    package: str | None = None
    """An installed Python package shipping the model (its `get_model_path()`, else its folder)."""
    layers: int | None = Field(None, ge=1)
    """Keep only the first N transformer layers (a cheaper, different embedder version)."""


class PromptTemplate(_Strict):
    """A prompt template of your app; `replaylab init`/`prompts add` store it as an immutable version."""

    template: str = Field(pattern=r"^[a-z0-9][a-z0-9\-_]*$")
    """Template name, e.g. `docs-answer`; versions are `docs-answer@1`, `@2`, ..."""
    system: str
    """System rules: the text itself, or a path (relative to the project file) of a file holding it."""
    user: str
    """User turn with `{context}` and `{question}`: the text, or a path of a file holding it."""
    label: str = "production"
    """The label pointed at the stored version when the template has no such label yet."""


class ModelSpec(_Strict):
    """The generator: the sandbox reader, a local model, or any OpenAI-compatible endpoint."""

    id: str = "sandbox-reader-1.0"
    """A generator id: `sandbox-reader-1.0`, `gemma-3-270m`, or `openai:<remote-model>`."""
    base_url: str | None = None
    """Base URL of the OpenAI-compatible endpoint (used when REPLAYLAB_OPENAI_BASE_URL is unset).
    The API key is never written here: it comes from REPLAYLAB_OPENAI_API_KEY / OPENAI_API_KEY."""
    cassettes: str = "cassettes"
    """Folder (relative to the project file) where recordings of endpoint calls are kept."""


class GoldenSource(_Strict):
    """Your golden set and how its fields map onto replaylab's GoldenItem."""

    path: str
    """A .jsonl file, one question per line; relative to the project file."""
    fields: FieldMap = {}
    """Rename your keys to replaylab's: qid, question, answer, aliases, doc_ids, topic, false_premise,
    unanswerable, route, updated, old_answer. Example: `{id: qid, expected: answer, sources: doc_ids}`."""


class BaselineSpec(_Strict):
    """The known-good configuration's remaining knobs; anything left out is replaylab's default."""

    prompt: str | None = None
    """`template@N` or `template:label` (default: the first prompt template's label)."""
    top_k: int | None = Field(None, ge=1, le=200)
    """Chunks retrieved per question."""
    min_score: float | None = None
    """Drop retrieved chunks scoring below this cosine."""
    context_order: ContextOrder | None = None
    """Order of the retrieved chunks in the prompt."""
    tokenizer: str | None = None
    """Tokenizer the context budget is counted with."""
    context_budget: int | None = Field(None, ge=16)
    """Token budget of the assembled context."""
    sampling: SamplingParams | None = None
    """Sampling parameters sent to the model."""
    router: str | None = None
    """Router version (unset: every request goes to the RAG answerer)."""
    tools: str | None = None
    """Tool-schema set version (unset: no tools)."""


class ProjectFile(_Strict):
    """`replaylab.yaml`: your corpus, chunking, embedder, index, prompts, model, golden set and good baseline."""

    version: Literal[1] = 1
    """Version of this file's format."""
    name: str = ""
    """A name for the project (shown in reports)."""
    corpus: CorpusSource | list[CorpusSource] = Field(union_mode="left_to_right")
    """Your documents: one source, or a list of sources merged into one corpus (a document id may
    come from one source only)."""
    chunking: ChunkingSpec = ChunkingSpec()
    """How documents are cut into chunks."""
    embedder: str = "minilm-l6-v2"
    """The embedder of both the index and the queries: a built-in id or a name from `embedders`."""
    embedders: list[EmbedderSource] = []
    """Sentence-transformers models of your own, registered by name."""
    index_kind: IndexKind = "flat"
    """FAISS index kind: flat (exact), ivf or hnsw."""
    prompts: list[PromptTemplate] = []
    """Your prompt templates (none: the bundled `rag-answer` versions)."""
    model: ModelSpec = ModelSpec()
    """The generator and, for an endpoint, where its recordings go."""
    golden: GoldenSource | None = None
    """Your golden set (none: the bundled one)."""
    baseline: BaselineSpec = BaselineSpec()
    """The good baseline: bisect's good side when no `--good` is given."""

    _root: Path = PrivateAttr(default_factory=Path.cwd)

    @property
    def root(self) -> Path:
        """The folder relative paths in the file are resolved against."""
        return self._root

    def resolve(self, path: str) -> Path:
        """A path from the file, made absolute against the project folder."""
        p = Path(path).expanduser()
        return (p if p.is_absolute() else self._root / p).resolve()

    @property
    def sources(self) -> list[CorpusSource]:
        """The corpus sources, in order (one for the single-source form)."""
        return list(self.corpus) if isinstance(self.corpus, list) else [self.corpus]

    def corpus_spec(self) -> CorpusSpec:
        """The CorpusSpec of the project's documents: an absolute source path, or several joined by
        ` + ` (SOURCE_SEPARATOR), read and merged by replaylab.stack.corpus."""
        return CorpusSpec(source=SOURCE_SEPARATOR.join(str(self.resolve(c.path)) for c in self.sources))

    def source_of(self, path: str) -> CorpusSource | None:
        """The corpus source whose path is `path` (absolute or relative to the project), or None."""
        target = self.resolve(path)
        return next((c for c in self.sources if self.resolve(c.path) == target), None)

    def golden_path(self) -> Path | None:
        """The project's golden set, or None (the bundled one)."""
        return self.resolve(self.golden.path) if self.golden else None

    def cassette_dir(self) -> Path:
        return self.resolve(self.model.cassettes)

    def prompt_ref(self) -> str:
        """The baseline prompt as written: `template@N`, `template:label`, or the bundled default."""
        if self.baseline.prompt:
            return self.baseline.prompt
        if self.prompts:
            return f"{self.prompts[0].template}:{self.prompts[0].label}"
        return RunConfig().prompt

    def run_config(self, *, prompt: str | None = None) -> RunConfig:
        """The good baseline as a RunConfig; `prompt` replaces the (possibly label) prompt reference."""
        extra = {k: v for k, v in self.baseline.model_dump(exclude_none=True).items() if k != "prompt"}
        try:
            return RunConfig.model_validate(
                {
                    **extra,
                    "prompt": prompt or self.prompt_ref(),
                    "model": self.model.id,
                    "corpus": self.corpus_spec().model_dump(mode="json"),
                    "index": IndexSpec(embedder=self.embedder, chunking=self.chunking, kind=self.index_kind).model_dump(
                        mode="json"
                    ),
                    "embedder": self.embedder,
                }
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"Project baseline is invalid: {error_where(err['loc'])}: {err['msg']}") from None

    def text_of(self, value: str) -> str:
        """A prompt part: the contents of the file it names, else the text itself."""
        if "\n" not in value and len(value) < 255:
            p = self.resolve(value)
            try:
                is_file = p.is_file()
            except OSError:  # text too long or odd to be a file name
                is_file = False
            if is_file:
                return read_input_text(p, what="prompt file", error=ConfigError)
        return value


def load_project(path: Path) -> ProjectFile:
    """Read and validate a project file; any problem is one ConfigError line naming the key."""
    path = Path(path)
    text = read_input_text(path, what="project file", error=ConfigError)
    data = parse_yaml(text, what="project file", path=path, error=ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"Project file {path} is not a mapping (see schemas/project.schema.json)")
    try:
        project = ProjectFile.model_validate(data)
    except ValidationError as exc:
        err = _first_error(exc)
        where = error_where(err["loc"])
        if err["type"] == "extra_forbidden":
            parent: type[BaseModel] = ProjectFile
            for part in err["loc"][:-1]:
                field = parent.model_fields.get(str(part)) if isinstance(part, str) else None
                ann = getattr(field, "annotation", None) if field else None
                parent = next(
                    (a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), parent
                )
            valid = ", ".join(parent.model_fields)
            raise ConfigError(f"Project file {path}: unknown key {where!r}. Valid here: {valid}") from None
        raise ConfigError(f"Project file {path} is invalid: {where}: {err['msg']}") from None
    if not project.sources:
        raise ConfigError(f"Project file {path}: corpus lists no source; give at least one path")
    project._root = path.resolve().parent
    return project


def _first_error(exc: ValidationError) -> Any:
    """The first error, with union branch tags (`CorpusSource`, `list[CorpusSource]`) cut from its
    location; an error that only says "not this branch's shape" loses to one inside the other branch."""
    errors = []
    for e in exc.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and (p[:1].isupper() or "[" in p)))
        errors.append({**e, "loc": loc})
    inside = [e for e in errors if e["type"] not in ("model_type", "list_type")]
    return (inside or errors)[0]


def find_project(cwd: Path | None = None) -> Path | None:
    """$REPLAYLAB_PROJECT (which must exist), else ./replaylab.yaml, else None."""
    env = os.environ.get(PROJECT_ENV)
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise ConfigError(f"${PROJECT_ENV} names {env!r}, which is not a file")
        return p
    p = (cwd or Path.cwd()) / PROJECT_FILE
    return p if p.is_file() else None


_CACHE: dict[tuple[str, int, int], ProjectFile] = {}


def active_project() -> ProjectFile | None:
    """The project file in effect for this process (re-read when it changes on disk), or None."""
    path = find_project()
    if path is None:
        return None
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_project(path)
    return _CACHE[key]


def active_golden_path() -> Path | None:
    """The active project's golden set, or None (no project, or one without a golden set: the bundled one).

    The one place every command and drill picks its golden set from."""
    project = active_project()
    return project.golden_path() if project is not None else None


def project_yaml(project: ProjectFile, *, header: str = "") -> str:
    """The YAML text of a project file, with the editor hint that points at its JSON Schema."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    data = project.model_dump(mode="json", exclude_none=True)
    lines = [SCHEMA_HINT]
    if header:
        lines += [f"# {ln}" if ln else "#" for ln in header.splitlines()]
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body
