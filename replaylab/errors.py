"""The one error root of replaylab and its tree.

    ReplaylabError                  anything replaylab raises on purpose
     ├── InputError                 bad input from a user: exit 2, one line
     │    ├── TraceError            a trace file that is missing, not JSON, or off-schema
     │    ├── ConfigError           a config, --set or --good value that cannot be used
     │    ├── UnknownPlugin         a name that no registry holds ("Unknown fault 'x'. Valid: [...]")
     │    └── ScenarioError         a scenario file that is missing or off-schema
     ├── SnapshotError              a missing or corrupt index snapshot, or a dimension mismatch
     ├── ModelUnavailable           a model package or weight file that is not installed
     ├── ModelCrashed               a model backend's worker process died (a native crash in llama.cpp)
     ├── CassetteError              a cassette that cannot be read
     │    └── CassetteMiss          a provider call with no recording in record mode `none`
     ├── NetworkBlocked             a sandbox replay tried to open a socket
     ├── ReplayFailed               a replay that could not run (model error): bisect calls it unresolved
     └── GuardTripped               an agent guard halted a session (replaylab.agents.guards; exit 1)

The CLI turns every ReplaylabError into one line on stderr and exit code 2 (1 for a
deviation or failed check, which is not an error).
"""

from __future__ import annotations

import re


def error_where(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A pydantic error location as one short line: `sampling.temperature`. A key that is not a plain
    name (it may hold a newline, or be long) is shown by its repr, cut to 40 characters."""
    return ".".join(str(p) if re.fullmatch(r"[\w-]{1,40}", str(p)) else repr(p)[:40] for p in loc)


class ReplaylabError(Exception):
    """Root of every error replaylab raises on purpose."""

    exit_code: int = 2


class InputError(ReplaylabError):
    """Bad input from the user; the message says what to do."""


class TraceError(InputError):
    """A trace file that is missing, not JSON, or does not match the schema."""


class ConfigError(InputError):
    """A configuration, `--set` or `--good` value that cannot be used."""


class UnknownPlugin(InputError):
    """A name that no registry holds."""


class ScenarioError(InputError):
    """A scenario file that is missing or does not match the schema."""


class SnapshotError(ReplaylabError):
    """A missing or corrupt index snapshot, or an embedder whose dimension does not match."""


class ModelUnavailable(ReplaylabError):
    """A model package or weight file that is not installed; the message has the pip line."""


class ModelCrashed(ReplaylabError):
    """A model backend's worker process died, e.g. a segmentation fault in llama.cpp: one line, exit 2."""


class CassetteError(ReplaylabError):
    """A cassette that cannot be read or written."""


class CassetteMiss(CassetteError):
    """A provider call that no recording matches while the record mode is `none`."""


class NetworkBlocked(ReplaylabError):
    """A sandbox replay tried to open a network connection."""


class ReplayFailed(ReplaylabError):
    """A replay that could not run to an outcome (model error, cassette miss)."""
