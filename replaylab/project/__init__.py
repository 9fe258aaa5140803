"""The project file: `replaylab.yaml` describes a user's own stack, so every command runs on it.

    project = find_project()            # ./replaylab.yaml, or $REPLAYLAB_PROJECT; None if neither
    project.run_config()                # the good baseline as a RunConfig (prompt may still be a label)
    project.golden_path()               # the user's golden set
    project.corpus_spec()               # the CorpusSpec of the user's documents (one source or several)

The file is strict (`extra="forbid"` everywhere): an unknown key is one ConfigError line naming it.
Its JSON Schema is `schemas/project.schema.json` (`replaylab schema`); `replaylab init` writes the
editor hint that points at it.
"""

from __future__ import annotations

from replaylab.project.file import (
    PROJECT_ENV,
    PROJECT_FILE,
    SOURCE_SEPARATOR,
    CorpusSource,
    EmbedderSource,
    FieldMap,
    GoldenSource,
    ModelSpec,
    ProjectFile,
    PromptTemplate,
    active_golden_path,
    active_project,
    find_project,
    load_project,
    project_yaml,
)

__all__ = [
    "PROJECT_ENV",
    "PROJECT_FILE",
    "SOURCE_SEPARATOR",
    "CorpusSource",
    "EmbedderSource",
    "FieldMap",
    "GoldenSource",
    "ModelSpec",
    "ProjectFile",
    "PromptTemplate",
    "active_golden_path",
    "active_project",
    "find_project",
    "load_project",
    "project_yaml",
]
